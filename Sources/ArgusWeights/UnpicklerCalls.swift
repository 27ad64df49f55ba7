/// The callables Argus interprets (torch tensor rebuilders, containers, a few builtins); every
/// other call or class instantiation becomes an object record holding its arguments.
extension Unpickler {
    mutating func call(_ callable: Item, args: [Item], at offset: Int, nested: Bool = false) throws -> Item {
        guard case .leaf(.global(let module, let name)) = callable else {
            throw WeightsError.corrupt("pickle calls something that is not a global at byte \(offset)")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"):
            let dict = newBox(Box(kind: .dict))
            if let source = args.first { try fillDict(dict, from: source) }
            return dict
        case ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "list"), ("builtins", "tuple"),
             ("torch", "Size"):
            let kind: Kind = name == "list" ? .list : (name == "tuple" || name == "Size" ? .tuple : .set)
            let items = try args.first.map { try sequenceItems($0) } ?? []
            return newBox(Box(kind: kind, items: items))
        case ("builtins", "slice"):
            return newBox(Box(kind: .object, className: "builtins.slice", args: args))
        case ("builtins", "bytearray"), ("builtins", "bytes"):
            if case .leaf(.bytes(let b))? = args.first { return .leaf(.bytes(b)) }
            if args.isEmpty { return .leaf(.bytes([])) }
        case ("_codecs", "encode"):
            // Protocol 2 writes bytes as _codecs.encode(latin-1 text, "latin1").
            if args.count == 2, case .leaf(.string(let text)) = args[0], case .leaf(.string(let enc)) = args[1],
               enc == "latin1" || enc == "latin-1",
               let bytes = PickleText.latin1Bytes(text) {
                return .leaf(.bytes(bytes))
            }
        case ("torch", "device"):
            if case .leaf(.string(let type))? = args.first {
                if args.count > 1, case .leaf(.int(let index)) = args[1] { return .leaf(.string("\(type):\(index)")) }
                return .leaf(.string(type))
            }
        case ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"),
             ("torch._utils", "_rebuild_tensor_v3"):
            return .leaf(.tensor(try rebuildTensor(args, explicitDType: name == "_rebuild_tensor_v3", at: offset)))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            if let data = args.first { return data }
        case ("torch._tensor", "_rebuild_from_type_v2"):
            // (func, new_type, args, state): a Tensor subclass; rebuild the plain tensor.
            if !nested, args.count >= 3 {
                return try call(args[0], args: try tupleItems(args[2]), at: offset, nested: true)
            }
        case ("copyreg", "_reconstructor"):
            if case .leaf(.global(let m, let n))? = args.first {
                return newBox(Box(kind: .object, className: m + "." + n))
            }
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"):
            if let value = numpyScalar(args) { return .leaf(value) }
        default:
            break
        }
        return newBox(Box(kind: .object, className: module + "." + name, args: args))
    }

    // MARK: - Torch storages and tensors

    /// torch's persistent id for a storage: `('storage', storage_type, key, location, numel)`;
    /// legacy files add `view_metadata` (None, or `(view_key, offset, view_size)` before torch 1.0)
    /// and name module classes as `('module', cls, source_file, source)`.
    mutating func persistentLoad(_ pid: Item, at offset: Int) throws -> Item {
        let parts = try tupleItems(pid)
        if parts.count == 4, case .leaf(.string("module")) = parts[0] { return parts[1] }
        guard parts.count == 5 || parts.count == 6, case .leaf(.string("storage")) = parts[0],
              case .leaf(.global(let module, let typeName)) = parts[1],
              case .leaf(let keyValue) = parts[2], case .leaf(.string(let location)) = parts[3],
              case .leaf(.int(let count)) = parts[4], count >= 0 else {
            throw WeightsError.corrupt("unrecognised persistent id at byte \(offset)")
        }
        let key = try storageKey(keyValue, at: offset)
        // Typed storages are `torch.<Type>Storage`; torch >= 2 writes `torch.storage.UntypedStorage` (bytes).
        let dtype = module == "torch" || module == "torch.storage" ? TensorDType(torchStorageName: typeName) : nil
        let root = StorageRef(key: key, typeName: module + "." + typeName, dtype: dtype, location: location, count: count)
        if storages[key] == nil { storages[key] = root }
        if parts.count == 6, case .box = parts[5] {
            let view = try tupleItems(parts[5])
            guard view.count == 3, case .leaf(.int(let viewOffset)) = view[1], case .leaf(.int(let viewCount)) = view[2],
                  viewOffset >= 0, viewCount >= 0 else {
                throw WeightsError.corrupt("bad storage view metadata at byte \(offset)")
            }
            return .leaf(.storage(StorageRef(key: key, typeName: root.typeName, dtype: dtype, location: location,
                                             count: viewCount, offset: viewOffset)))
        }
        return .leaf(.storage(root))
    }

    private func storageKey(_ value: PickleValue, at offset: Int) throws -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: throw WeightsError.corrupt("storage key is not a string at byte \(offset)")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])`;
    /// v3 adds the dtype after the hooks (for an UntypedStorage).
    private func rebuildTensor(_ args: [Item], explicitDType: Bool, at offset: Int) throws -> StoredTensor {
        guard args.count >= (explicitDType ? 7 : 4), case .leaf(.storage(let storage)) = args[0],
              case .leaf(.int(let storageOffset)) = args[1] else {
            throw WeightsError.corrupt("malformed tensor record at byte \(offset)")
        }
        let shape = try intTuple(args[2], what: "size", at: offset)
        let stride = try intTuple(args[3], what: "stride", at: offset)
        var dtype = storage.dtype
        if explicitDType {
            guard case .leaf(.global("torch", let dtypeName)) = args[6] else {
                throw WeightsError.corrupt("tensor record without a dtype at byte \(offset)")
            }
            dtype = TensorDType(torchName: dtypeName)
            if dtype == nil {
                return StoredTensor(storage: StorageRef(key: storage.key, typeName: "torch." + dtypeName, dtype: nil,
                                                        location: storage.location, count: storage.count),
                                    dtype: nil, storageOffset: storageOffset, shape: shape, stride: stride)
            }
        }
        return StoredTensor(storage: storage, dtype: dtype, storageOffset: storageOffset, shape: shape, stride: stride)
    }

    private func intTuple(_ item: Item, what: String, at offset: Int) throws -> [Int] {
        try tupleItems(item).map { element in
            guard case .leaf(.int(let v)) = element else {
                throw WeightsError.corrupt("tensor \(what) is not a tuple of ints at byte \(offset)")
            }
            return v
        }
    }

    // MARK: - Containers from arguments

    private func sequenceItems(_ item: Item) throws -> [Item] {
        guard case .box(let i) = item else { throw WeightsError.corrupt("expected a sequence argument") }
        switch boxes[i].kind {
        case .list, .tuple, .set: return boxes[i].items
        case .dict: return boxes[i].keys
        case .object: throw WeightsError.corrupt("expected a sequence argument")
        }
    }

    /// `OrderedDict(pairs)` or `dict(mapping)`.
    private mutating func fillDict(_ dict: Item, from source: Item) throws {
        guard case .box(let d) = dict, case .box(let s) = source else { return }
        if boxes[s].kind == .dict {
            boxes[d].keys = boxes[s].keys
            boxes[d].values = boxes[s].values
            return
        }
        for pair in try sequenceItems(source) {
            let kv = try tupleItems(pair)
            guard kv.count == 2 else { throw WeightsError.corrupt("dict built from a non-pair") }
            boxes[d].keys.append(kv[0])
            boxes[d].values.append(kv[1])
        }
    }

    /// `numpy.core.multiarray.scalar(dtype, raw_bytes)` for the common little-endian number types.
    private func numpyScalar(_ args: [Item]) -> PickleValue? {
        guard args.count == 2, case .box(let d) = args[0], boxes[d].kind == .object,
              boxes[d].className.hasSuffix("numpy.dtype"),
              case .leaf(.string(let code))? = boxes[d].args.first,
              case .leaf(.bytes(let raw)) = args[1] else { return nil }
        let slice = raw[...]
        func le(_ width: Int) -> UInt64? { raw.count == width ? slice.littleEndian(at: 0, width: width) : nil }
        switch code {
        case "f8": return le(8).map { .float(Double(bitPattern: $0)) }
        case "f4": return le(4).map { .float(Double(Float(bitPattern: UInt32($0)))) }
        case "f2": return le(2).map { .float(Double(TensorDecoding.halfToFloat(UInt16($0)))) }
        case "i8": return le(8).map { .int(Int(Int64(bitPattern: $0))) }
        case "i4": return le(4).map { .int(Int(Int32(bitPattern: UInt32($0)))) }
        case "i2": return le(2).map { .int(Int(Int16(bitPattern: UInt16($0)))) }
        case "i1": return le(1).map { .int(Int(Int8(bitPattern: UInt8($0)))) }
        case "u1", "u2", "u4": return le(Int(code.dropFirst())!).map { .int(Int($0)) }
        case "b1": return le(1).map { .bool($0 != 0) }
        default: return nil
        }
    }
}

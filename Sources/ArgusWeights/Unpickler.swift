/// A pickle virtual machine (protocols 0-5) that builds data instead of running code: GLOBAL
/// names are never imported, known torch/builtins callables are interpreted, any other call
/// becomes a `PickleObject` record.
///
/// Containers live in an arena (`boxes`) and refer to each other by index, so pickle's shared
/// and mutated-after-memoization references behave as in Python, and no deep chain of Swift
/// references exists whose release could overflow the stack. `freeze` turns the result into a
/// `PickleValue` tree with bounded depth.
struct Unpickler {
    enum Item {
        case leaf(PickleValue)
        case box(Int)
    }

    enum Kind { case list, tuple, dict, set, object }

    struct Box {
        var kind: Kind
        var items: [Item] = []          // list, tuple and set elements; object list items
        var keys: [Item] = []           // dict entries; object dict items
        var values: [Item] = []
        var className = ""
        var args: [Item] = []
        var state: Item?
    }

    /// Deepest nesting `freeze` accepts; real checkpoints stay far below it.
    static let maxDepth = 200

    private var reader: ByteReader
    var boxes: [Box] = []
    private var stack: [Item] = []
    private var marks: [Int] = []
    private var memo: [Int: Item] = [:]
    /// Storages named by persistent ids so far, first occurrence per key.
    var storages: [String: StorageRef] = [:]

    init(_ bytes: ArraySlice<UInt8>) {
        reader = ByteReader(bytes, context: "pickle")
    }

    /// Runs the stream to its STOP opcode and returns the result.
    static func load(_ bytes: ArraySlice<UInt8>) throws -> PickleValue {
        try loadPrefix(bytes).value
    }

    /// Reads one pickle from the start of `bytes`, which may continue past its STOP (legacy
    /// torch files are several pickles and raw data back to back). Returns the index after
    /// STOP and the storages the stream referenced, by key.
    static func loadPrefix(_ bytes: ArraySlice<UInt8>) throws -> (value: PickleValue, end: Int, storages: [String: StorageRef]) {
        var vm = Unpickler(bytes)
        let result = try vm.run()
        var freezer = Freezer(boxes: vm.boxes)
        return (try freezer.freeze(result, depth: 0), vm.reader.position, vm.storages)
    }

    // MARK: - Stack helpers

    private mutating func pop() throws -> Item {
        guard let top = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw WeightsError.corrupt("pickle stack underflow at byte \(reader.offset)")
        }
        return top
    }

    private func top() throws -> Item {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else {
            throw WeightsError.corrupt("pickle stack empty at byte \(reader.offset)")
        }
        return top
    }

    /// Pops everything down to the last MARK.
    private mutating func popMark() throws -> [Item] {
        guard let mark = marks.popLast() else {
            throw WeightsError.corrupt("pickle MARK missing at byte \(reader.offset)")
        }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func newBox(_ box: Box) -> Item {
        boxes.append(box)
        return .box(boxes.count - 1)
    }

    private mutating func memoGet(_ index: Int) throws -> Item {
        guard let item = memo[index] else {
            throw WeightsError.corrupt("pickle memo reference \(index) out of range at byte \(reader.offset)")
        }
        return item
    }

    // MARK: - Container mutation

    private mutating func append(_ values: [Item], to target: Item) throws {
        guard case .box(let i) = target, boxes[i].kind == .list || boxes[i].kind == .object else {
            throw WeightsError.corrupt("pickle APPEND to a non-list at byte \(reader.offset)")
        }
        boxes[i].items.append(contentsOf: values)
    }

    private mutating func setItems(_ pairs: [Item], on target: Item) throws {
        guard pairs.count % 2 == 0 else { throw WeightsError.corrupt("pickle SETITEMS with an odd item count") }
        guard case .box(let i) = target, boxes[i].kind == .dict || boxes[i].kind == .object else {
            throw WeightsError.corrupt("pickle SETITEM on a non-dict at byte \(reader.offset)")
        }
        var k = 0
        while k < pairs.count {
            boxes[i].keys.append(pairs[k])
            boxes[i].values.append(pairs[k + 1])
            k += 2
        }
    }

    private mutating func build(_ target: Item, state: Item) {
        // Only plain objects keep state; BUILD on dicts (OrderedDict._metadata), tensors
        // and other values carries nothing we read, so it is dropped rather than refused.
        guard case .box(let i) = target, boxes[i].kind == .object else { return }
        if let old = boxes[i].state, case .box(let o) = old, boxes[o].kind == .dict,
           case .box(let n) = state, boxes[n].kind == .dict {
            boxes[o].keys.append(contentsOf: boxes[n].keys)
            boxes[o].values.append(contentsOf: boxes[n].values)
        } else {
            boxes[i].state = state
        }
    }

    // MARK: - The opcode loop

    private mutating func run() throws -> Item {
        while true {
            let at = reader.offset
            let op = try reader.u8()
            switch op {
            case 0x80: // PROTO
                let version = try reader.u8()
                guard version <= 5 else { throw WeightsError.unsupported("pickle protocol \(version)") }
            case 0x95: // FRAME: only a hint for buffered readers
                _ = try reader.u64()
            case 0x2E: // STOP
                return try pop()

            // Marks and stack shuffling
            case 0x28: marks.append(stack.count)                          // MARK
            case 0x30:                                                    // POP
                if stack.count == (marks.last ?? -1) { _ = try popMark() } else { _ = try pop() }
            case 0x31: _ = try popMark()                                  // POP_MARK
            case 0x32: stack.append(try top())                            // DUP

            // Memo
            case 0x71: memo[Int(try reader.u8())] = try top()             // BINPUT
            case 0x72: memo[Int(try reader.u32())] = try top()            // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()                       // MEMOIZE
            case 0x70: memo[try decimal(reader.line())] = try top()       // PUT
            case 0x68: stack.append(try memoGet(Int(try reader.u8())))    // BINGET
            case 0x6A: stack.append(try memoGet(Int(try reader.u32())))   // LONG_BINGET
            case 0x67: stack.append(try memoGet(try decimal(reader.line()))) // GET

            // Constants and numbers
            case 0x4E: stack.append(.leaf(.none))                         // NONE
            case 0x88: stack.append(.leaf(.bool(true)))                   // NEWTRUE
            case 0x89: stack.append(.leaf(.bool(false)))                  // NEWFALSE
            case 0x4B: stack.append(.leaf(.int(Int(try reader.u8()))))    // BININT1
            case 0x4D: stack.append(.leaf(.int(Int(try reader.u16()))))   // BININT2
            case 0x4A: stack.append(.leaf(.int(Int(Int32(bitPattern: try reader.u32()))))) // BININT
            case 0x8A: stack.append(.leaf(PickleText.long(try reader.take(Int(try reader.u8()))))) // LONG1
            case 0x8B: stack.append(.leaf(PickleText.long(try reader.take(declared: UInt64(try reader.u32()))))) // LONG4
            case 0x47:                                                    // BINFLOAT (big-endian)
                stack.append(.leaf(.float(Double(bitPattern: try reader.u64().byteSwapped))))
            case 0x49: stack.append(.leaf(try PickleText.int(reader.line())))     // INT
            case 0x4C: stack.append(.leaf(try PickleText.long(text: reader.line()))) // LONG
            case 0x46: stack.append(.leaf(.float(try PickleText.float(reader.line())))) // FLOAT

            // Strings and bytes
            case 0x8C: stack.append(.leaf(.string(try utf8(reader.take(Int(try reader.u8())))))) // SHORT_BINUNICODE
            case 0x58: stack.append(.leaf(.string(try utf8(reader.take(declared: UInt64(try reader.u32())))))) // BINUNICODE
            case 0x8D: stack.append(.leaf(.string(try utf8(reader.take(declared: try reader.u64()))))) // BINUNICODE8
            case 0x43: stack.append(.leaf(.bytes(Array(try reader.take(Int(try reader.u8()))))))  // SHORT_BINBYTES
            case 0x42: stack.append(.leaf(.bytes(Array(try reader.take(declared: UInt64(try reader.u32())))))) // BINBYTES
            case 0x8E, 0x96:                                              // BINBYTES8, BYTEARRAY8
                stack.append(.leaf(.bytes(Array(try reader.take(declared: try reader.u64())))))
            case 0x55:                                                    // SHORT_BINSTRING (Python 2 str)
                stack.append(.leaf(.string(PickleText.latin1(try reader.take(Int(try reader.u8()))))))
            case 0x54:                                                    // BINSTRING
                let n = Int32(bitPattern: try reader.u32())
                guard n >= 0 else { throw WeightsError.corrupt("negative BINSTRING length at byte \(at)") }
                stack.append(.leaf(.string(PickleText.latin1(try reader.take(Int(n))))))
            case 0x53: stack.append(.leaf(.string(try PickleText.quoted(reader.line()))))  // STRING
            case 0x56: stack.append(.leaf(.string(try PickleText.rawUnicodeEscape(reader.line())))) // UNICODE
            case 0x98: _ = try top()                                      // READONLY_BUFFER: no-op here
            case 0x97: throw WeightsError.unsupported("out-of-band pickle buffers (NEXT_BUFFER)")

            // Containers
            case 0x7D: stack.append(newBox(Box(kind: .dict)))             // EMPTY_DICT
            case 0x5D: stack.append(newBox(Box(kind: .list)))             // EMPTY_LIST
            case 0x29: stack.append(newBox(Box(kind: .tuple)))            // EMPTY_TUPLE
            case 0x8F: stack.append(newBox(Box(kind: .set)))              // EMPTY_SET
            case 0x85, 0x86, 0x87:                                        // TUPLE1, TUPLE2, TUPLE3
                let n = Int(op - 0x84)
                guard stack.count - n >= (marks.last ?? 0) else {
                    throw WeightsError.corrupt("pickle stack underflow at byte \(at)")
                }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                stack.append(newBox(Box(kind: .tuple, items: items)))
            case 0x74: stack.append(newBox(Box(kind: .tuple, items: try popMark())))   // TUPLE
            case 0x6C: stack.append(newBox(Box(kind: .list, items: try popMark())))    // LIST
            case 0x91: stack.append(newBox(Box(kind: .set, items: try popMark())))     // FROZENSET
            case 0x64:                                                    // DICT
                let pairs = try popMark()
                let dict = newBox(Box(kind: .dict))
                try setItems(pairs, on: dict)
                stack.append(dict)
            case 0x61:                                                    // APPEND
                let value = try pop()
                try append([value], to: try top())
            case 0x65:                                                    // APPENDS
                let values = try popMark()
                try append(values, to: try top())
            case 0x73:                                                    // SETITEM
                let value = try pop()
                let key = try pop()
                try setItems([key, value], on: try top())
            case 0x75:                                                    // SETITEMS
                let pairs = try popMark()
                try setItems(pairs, on: try top())
            case 0x90:                                                    // ADDITEMS
                let values = try popMark()
                guard case .box(let i) = try top(), boxes[i].kind == .set else {
                    throw WeightsError.corrupt("pickle ADDITEMS on a non-set at byte \(at)")
                }
                boxes[i].items.append(contentsOf: values)

            // Names, calls and objects
            case 0x63:                                                    // GLOBAL
                let module = try utf8(reader.line())
                let name = try utf8(reader.line())
                stack.append(.leaf(Self.global(module, name)))
            case 0x93:                                                    // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case .leaf(.string(let n)) = name, case .leaf(.string(let m)) = module else {
                    throw WeightsError.corrupt("pickle STACK_GLOBAL without strings at byte \(at)")
                }
                stack.append(.leaf(Self.global(m, n)))
            case 0x52:                                                    // REDUCE
                let args = try pop()
                let callable = try pop()
                stack.append(try call(callable, args: try tupleItems(args), at: at))
            case 0x81:                                                    // NEWOBJ
                let args = try pop()
                let cls = try pop()
                stack.append(try call(cls, args: try tupleItems(args), at: at))
            case 0x92:                                                    // NEWOBJ_EX (kwargs dropped)
                _ = try pop()
                let args = try pop()
                let cls = try pop()
                stack.append(try call(cls, args: try tupleItems(args), at: at))
            case 0x62:                                                    // BUILD
                let state = try pop()
                build(try top(), state: state)
            case 0x69:                                                    // INST
                let module = try utf8(reader.line())
                let name = try utf8(reader.line())
                let args = try popMark()
                stack.append(try call(.leaf(Self.global(module, name)), args: args, at: at))
            case 0x6F:                                                    // OBJ
                var items = try popMark()
                guard !items.isEmpty else { throw WeightsError.corrupt("pickle OBJ without a class at byte \(at)") }
                let cls = items.removeFirst()
                stack.append(try call(cls, args: items, at: at))
            case 0x51:                                                    // BINPERSID
                stack.append(try persistentLoad(try pop(), at: at))
            case 0x50:                                                    // PERSID
                throw WeightsError.unsupported("text persistent id \"\(try utf8(reader.line()))\"")
            default:
                throw WeightsError.unsupportedOpcode(opcode: op, offset: at)
            }
        }
    }

    // MARK: - Helpers

    /// Python 2 module names as Python 3's `_compat_pickle` maps them.
    private static func global(_ module: String, _ name: String) -> PickleValue {
        switch module {
        case "__builtin__": return .global(module: "builtins", name: name)
        case "copy_reg": return .global(module: "copyreg", name: name)
        default: return .global(module: module, name: name)
        }
    }

    private func utf8(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw WeightsError.corrupt("invalid UTF-8 string in pickle at byte \(reader.offset)")
        }
        return s
    }

    private func decimal(_ line: ArraySlice<UInt8>) throws -> Int {
        guard let n = Int(String(decoding: line, as: UTF8.self)), n >= 0 else {
            throw WeightsError.corrupt("bad memo index in pickle at byte \(reader.offset)")
        }
        return n
    }

    func tupleItems(_ item: Item) throws -> [Item] {
        guard case .box(let i) = item, boxes[i].kind == .tuple || boxes[i].kind == .list else {
            throw WeightsError.corrupt("pickle call arguments are not a tuple")
        }
        return boxes[i].items
    }
}

extension PickleValue {
    /// Unpickles a standalone pickle stream (torch storages stay unresolved references).
    public init(pickle bytes: [UInt8]) throws {
        self = try Unpickler.load(bytes[...])
    }
}

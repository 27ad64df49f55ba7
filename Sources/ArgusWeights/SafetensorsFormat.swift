/// The safetensors layout: u64 little-endian header length, a JSON header mapping each tensor
/// name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data that
/// follows the header) plus an optional `__metadata__` string map, then the raw data.
struct SafetensorsFormat {
    /// Tensor names in data order (the order the writer laid them out).
    let names: [String]
    let tensors: [String: StoredTensor]
    let storages: [String: ArraySlice<UInt8>]
    let metadata: [(key: String, value: String)]
    /// The header as parsed.
    let header: PickleValue

    /// The reference implementation refuses headers above 100 MB.
    private static let maxHeader = 100_000_000

    /// True when `bytes` start like a safetensors file (length prefix, then `{`).
    static func matches(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let n = bytes.littleEndian(at: 0, width: 8), n >= 2, n <= UInt64(bytes.count - 8) else { return false }
        return bytes[bytes.startIndex + 8] == 0x7B
    }

    init(bytes: ArraySlice<UInt8>) throws {
        guard let declared = bytes.littleEndian(at: 0, width: 8) else {
            throw WeightsError.truncated("safetensors file shorter than its 8-byte header length")
        }
        guard declared <= UInt64(Self.maxHeader), declared <= UInt64(bytes.count - 8) else {
            throw WeightsError.truncated("safetensors header declares \(declared) bytes, file has \(bytes.count - 8)")
        }
        let headerEnd = bytes.startIndex + 8 + Int(declared)
        header = try JSONReader.parse(bytes[(bytes.startIndex + 8)..<headerEnd])
        guard let entries = header.dict else { throw WeightsError.corrupt("safetensors header is not a JSON object") }
        let data = bytes[headerEnd...]

        var metadata: [(String, String)] = []
        var found: [(name: String, begin: Int, order: Int)] = []
        var tensors: [String: StoredTensor] = [:]
        var storages: [String: ArraySlice<UInt8>] = [:]
        for (order, (name, info)) in entries.stringEntries.enumerated() {
            if name == "__metadata__" {
                for (k, v) in info.dict?.stringEntries ?? [] { metadata.append((k, v.string ?? v.json(maxLength: 1000))) }
                continue
            }
            guard let code = info["dtype"]?.string, let shape = info["shape"]?.ints,
                  let offsets = info["data_offsets"]?.ints, offsets.count == 2 else {
                throw WeightsError.corrupt("safetensors entry \(name) lacks dtype, shape or data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= data.count else {
                throw WeightsError.corrupt("safetensors entry \(name) has data offsets \(offsets) outside \(data.count) bytes")
            }
            guard let count = StoredTensor.product(shape) else {
                throw WeightsError.corrupt("safetensors entry \(name) has a bad shape \(shape)")
            }
            let dtype = TensorDType(safetensorsCode: code)
            if let dtype = dtype {
                let (bytesNeeded, overflow) = count.multipliedReportingOverflow(by: dtype.size)
                guard !overflow, bytesNeeded == end - begin else {
                    throw WeightsError.corrupt("safetensors entry \(name): \(shape) \(code) needs \(count) elements, data range holds \(end - begin) bytes")
                }
            }
            guard tensors[name] == nil else { throw WeightsError.corrupt("safetensors entry \(name) appears twice") }
            let storage = StorageRef(key: name, typeName: code, dtype: dtype, location: "cpu",
                                     count: dtype.map { (end - begin) / $0.size } ?? 0)
            tensors[name] = StoredTensor(storage: storage, dtype: dtype, storageOffset: 0, shape: shape,
                                         stride: Self.contiguousStrides(shape))
            storages[name] = data[(data.startIndex + begin)..<(data.startIndex + end)]
            found.append((name, begin, order))
        }
        names = found.sorted { ($0.begin, $0.order) < ($1.begin, $1.order) }.map(\.name)
        self.tensors = tensors
        self.storages = storages
        self.metadata = metadata
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for d in shape.indices.reversed() {
            strides[d] = step
            step = step &* max(shape[d], 1)
        }
        return strides
    }
}

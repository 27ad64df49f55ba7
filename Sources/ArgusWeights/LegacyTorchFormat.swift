/// `torch.save(..., _use_new_zipfile_serialization=False)` and every torch before 1.6: pickles
/// back to back — magic number, protocol version 1001, sys_info, the object, the sorted list
/// of storage keys — then each storage in that order as an int64 element count and its raw
/// little-endian bytes. Many published weights from 2017-2020 use it.
struct LegacyTorchFormat {
    let root: PickleValue
    let storages: [String: ArraySlice<UInt8>]

    /// 0x1950a86a20f9469cfc6c as pickle's little-endian LONG1 payload.
    private static let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    private static let protocolVersion = 1001

    /// True when `bytes` begin with the pickled magic number (protocol 2 LONG1 of 10 bytes).
    static func matches(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.count >= 14 && bytes.prefix(4).elementsEqual([0x80, 0x02, 0x8A, 0x0A])
            && bytes.dropFirst(4).prefix(10).elementsEqual(magic)
    }

    init(bytes: ArraySlice<UInt8>) throws {
        var position = bytes.startIndex
        func next() throws -> (value: PickleValue, storages: [String: StorageRef]) {
            let result = try Unpickler.loadPrefix(bytes[position...])
            position = result.end
            return (result.value, result.storages)
        }
        guard case .bigInt(let magic) = try next().value, magic == Self.magic else {
            throw WeightsError.notACheckpoint("legacy torch file without its magic number")
        }
        guard try next().value.int == Self.protocolVersion else {
            throw WeightsError.unsupported("legacy torch serialization protocol other than \(Self.protocolVersion)")
        }
        _ = try next()                                     // sys_info: storages are little-endian regardless
        let (root, refs) = try next()
        guard let keys = try next().value.strings else {
            throw WeightsError.corrupt("legacy torch file: storage key list is not a list of strings")
        }

        var reader = ByteReader(bytes[position...], context: "legacy torch storages")
        var storages: [String: ArraySlice<UInt8>] = [:]
        for key in keys {
            guard let ref = refs[key] else { throw WeightsError.corrupt("legacy torch file: storage \(key) is never used") }
            guard let size = ref.dtype?.size ?? Self.otherElementSize(ref.typeName) else {
                throw WeightsError.unsupportedDType(ref.typeName)
            }
            let count = try reader.u64()
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
            guard !overflow else { throw WeightsError.corrupt("legacy torch storage \(key) size overflows") }
            let data = try reader.take(declared: byteCount)
            if storages[key] == nil { storages[key] = data }
        }
        self.root = root
        self.storages = storages
    }

    /// Element sizes of storage types Argus cannot convert but must step over.
    private static func otherElementSize(_ typeName: String) -> Int? {
        switch typeName {
        case "torch.ComplexDoubleStorage": return 16
        case "torch.ComplexFloatStorage": return 8
        case "torch.QInt32Storage": return 4
        case "torch.QInt8Storage", "torch.QUInt8Storage", "torch.QUInt4x2Storage", "torch.QUInt2x4Storage": return 1
        default: return nil
        }
    }
}

@testable import ArgusWeights

/// `Checkpoint(bytes:)` sniffs the format (torch zip, legacy torch, safetensors), builds the state dict and checks
/// every view against its storage; then every tensor is read as doubles and the summary is printed to a string.
func fuzzCheckpoint(_ bytes: [UInt8]) {
    guard let checkpoint = try? Checkpoint(bytes: bytes) else { return }
    for name in checkpoint.names { _ = try? checkpoint.doubles(name) }
    _ = checkpoint.summary()
}

/// A bare pickle stream (the protocol 2-5 opcodes torch writes, memo, reductions).
func fuzzPickle(_ bytes: [UInt8]) {
    guard let value = try? PickleValue(pickle: bytes) else { return }
    _ = value.json(maxLength: 1000)
}

/// The zip reader: central directory (ZIP64 too) and every entry's data, inflated and CRC-checked.
func fuzzZip(_ bytes: [UInt8]) {
    guard let zip = try? ZipArchive(bytes: bytes[...]) else { return }
    for entry in zip.entries {
        guard let data = try? zip.data(of: entry) else { continue }
        require(data.count == entry.size, "entry \(entry.name): \(data.count) bytes, directory says \(entry.size)")
    }
}

/// The safetensors layout alone (header JSON, dtypes, shapes, offsets).
func fuzzSafetensors(_ bytes: [UInt8]) {
    guard SafetensorsFormat.matches(bytes[...]), let file = try? SafetensorsFormat(bytes: bytes[...]) else { return }
    for name in file.names { require(file.tensors[name] != nil, "tensor \(name) listed without a view") }
}

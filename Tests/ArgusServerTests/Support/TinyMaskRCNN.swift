import ArgusModels
import ArgusTensor
import ArgusTestSupport
import ArgusWeights
import Foundation

/// The committed tiny torchvision Mask R-CNN (MobileNetV3-FPN): the Faster R-CNN fixture's tensors plus the mask
/// branch's, merged into one safetensors file so it loads like any published checkpoint (ModelLoader.loadModel).
enum TinyMaskRCNN {
    static let fixtures = Repository.url("Tests/ArgusModelsTests/Fixtures")

    /// Writes the merged checkpoint to a temporary `.safetensors` file and returns its path (the caller removes it).
    static func writeCheckpoint() throws -> String {
        var tensors: [(String, Tensor)] = []
        for file in ["torchvision/fasterrcnn_mnv3_tiny.pt", "torchvision_seg/maskrcnn_mnv3_tiny_mask_branch.pt"] {
            let checkpoint = try Checkpoint.load(contentsOf: fixtures.appendingPathComponent(file).path)
            for name in checkpoint.names { tensors.append((name, try checkpoint.tensor(name))) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tiny_maskrcnn-\(UUID().uuidString).safetensors").path
        try Data(safetensors(tensors)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The safetensors layout: u64 little-endian header length, JSON header `{name: {dtype, shape, data_offsets}}`, data.
    static func safetensors(_ tensors: [(String, Tensor)]) -> [UInt8] {
        var header = "{", data: [UInt8] = []
        for (i, (name, tensor)) in tensors.enumerated() {
            let begin = data.count
            for v in tensor.storage { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
            header += (i > 0 ? "," : "") + "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(begin),\(data.count)]}"
        }
        header += "}"
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out += $0 }
        return out + Array(header.utf8) + data
    }
}

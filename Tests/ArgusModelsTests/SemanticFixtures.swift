import ArgusImage
import ArgusModels
import ArgusTensor
import ArgusWeights
import Foundation
import XCTest

/// Reading tools/gen_segmentation_fixtures.py's semantic references and comparing against them.
enum SemanticFixtures {
    static func fixture(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision_seg/\(name)", withExtension: "json"),
                                "missing fixture \(name).json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The committed tiny state dict (both tiny models' keys), or the full-size rule weights of `ref`.
    static func weights(_ ref: [String: Any]) throws -> WeightSource {
        if let files = ref["weights_file"] as? [String], let file = files.first {
            let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision_seg/\(file)", withExtension: nil))
            return try Checkpoint.load(contentsOf: url.path)
        }
        let listing = try XCTUnwrap(ref["state_dict"] as? [String: Any])
        let gains = try XCTUnwrap(ref["weight_gain"] as? [Double])
        return RuleWeights.stateDict(listing, gain: (gains[0], gains[1]))
    }

    /// The reference label map: an 8-bit grayscale PNG next to the JSON (decoded to RGB: gray in every channel).
    static func labelMap(_ file: String) throws -> (width: Int, height: Int, labels: [UInt8]) {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/torchvision_seg/\(file)", withExtension: nil))
        let image = try decodeImage([UInt8](try Data(contentsOf: url))).image
        return (image.width, image.height, (0..<(image.width * image.height)).map { image.pixels[3 * $0] })
    }

    /// mean, std (unbiased) and samples [c, y, x, value] of a [1, C, H, W] tensor, within `tolerance`
    /// (std and samples: 10x, as the Faster R-CNN comparisons).
    static func checkStats(_ t: Tensor, _ ref: [String: Any]?, tolerance: Double, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let ref = try XCTUnwrap(ref, "\(what): no reference", file: file, line: line)
        XCTAssertEqual(t.shape, ref["shape"] as? [Int], "\(what): shape", file: file, line: line)
        guard t.shape == ref["shape"] as? [Int] else { return }
        let n = Double(t.count)
        let mean = t.storage.reduce(0.0) { $0 + Double($1) } / n
        let variance = t.storage.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        XCTAssertEqual(mean, try XCTUnwrap(ref["mean"] as? Double), accuracy: tolerance, "\(what): mean", file: file, line: line)
        XCTAssertEqual(variance.squareRoot(), try XCTUnwrap(ref["std"] as? Double), accuracy: tolerance * 10, "\(what): std",
                       file: file, line: line)
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        for case let sample as [Double] in try XCTUnwrap(ref["samples"] as? [Any]) {
            let (ci, yi, xi) = (Int(sample[0]), Int(sample[1]), Int(sample[2]))
            guard ci < c, yi < h, xi < w else { XCTFail("\(what): sample outside \(t.shape)", file: file, line: line); continue }
            XCTAssertEqual(Double(t.storage[(ci * h + yi) * w + xi]), sample[3], accuracy: tolerance * 10,
                           "\(what): sample at \(ci),\(yi),\(xi)", file: file, line: line)
        }
    }
}

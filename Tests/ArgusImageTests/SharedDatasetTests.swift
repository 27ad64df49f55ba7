import ArgusImage
import ArgusTestSupport
import Foundation
import XCTest

/// Checks against the shared datasets and YOLOv5 reference dumps (skipped when ../shared is absent).
final class SharedDatasetTests: XCTestCase {
    struct DecodeCase: Decodable { let path: String, width: Int, height: Int, sha256: String }

    func shared() throws -> URL {
        try SharedData.root(containing: "datasets")
    }

    /// Every shared JPEG decodes to exactly cv2.imread's pixels (BGR->RGB).
    func testAllSharedJPEGsMatchOpenCV() throws {
        let dir = try shared()
        let cases = try Fixtures.json("shared_decode.json", as: [DecodeCase].self)
        XCTAssertEqual(cases.count, 224)
        var mismatches: [String] = []
        for c in cases {
            let data = [UInt8](try Data(contentsOf: dir.appendingPathComponent(c.path)))
            let image = try decodeImage(data).image
            XCTAssertEqual(image.width, c.width, c.path); XCTAssertEqual(image.height, c.height, c.path)
            if SHA256.hex(image.pixels) != c.sha256 { mismatches.append(c.path) }
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) of \(cases.count) decodes differ from cv2.imread")
    }

    /// decode + letterbox(640, auto) reproduces YOLOv5's network input bytes (uint8 CHW RGB sha256).
    func testYOLOv5LetterboxInputsMatchReference() throws {
        let dir = try shared()
        let images = ["000000000139": "datasets/coco-val96/images/val2017/000000000139.jpg",
                      "000000005503": "datasets/coco-val96/images/val2017/000000005503.jpg",
                      "000000000491": "datasets/coco128/images/train2017/000000000491.jpg"]
        for (id, path) in images.sorted(by: { $0.key < $1.key }) {
            let debugURL = dir.appendingPathComponent("reference/yolov5n/debug/\(id).json")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: debugURL)) as! [String: Any]
            let input = json["input"] as! [String: Any]
            let expected = input["uint8_chw_rgb_sha256"] as! String
            let lb = json["letterbox"] as! [String: Any]
            let data = [UInt8](try Data(contentsOf: dir.appendingPathComponent(path)))
            let result = letterbox(try decodeImage(data).image)
            let g = result.geometry
            XCTAssertEqual(g.ratioX, lb["ratio"] as? Double, id)
            XCTAssertEqual([g.resizedWidth, g.resizedHeight], lb["resized_wh"] as? [Int], id)
            XCTAssertEqual([g.padX, g.padY], lb["pad_half_wh"] as? [Double], id)
            XCTAssertEqual([g.top, g.bottom, g.left, g.right], lb["pad_top_bottom_left_right"] as? [Int], id)
            XCTAssertEqual(SHA256.hex(chwBytes(result.image)), expected, "\(id): letterboxed input differs")
        }
    }

    /// Interleaved HWC -> planar CHW bytes.
    func chwBytes(_ image: RGBImage) -> [UInt8] {
        let plane = image.width * image.height
        var out = [UInt8](repeating: 0, count: plane * 3)
        for i in 0 ..< plane { for c in 0 ..< 3 { out[c * plane + i] = image.pixels[3 * i + c] } }
        return out
    }
}

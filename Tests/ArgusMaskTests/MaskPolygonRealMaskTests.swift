import ArgusMask
import ArgusTestSupport
import Foundation
import XCTest

/// Polygon round trip on real masks: the 939 COCO128 instance annotations (polygons rasterised with the
/// pycocotools-exact `RLE(polygons:)`, crowds from their RLE), next to OpenCV's pixel-centre contours.
final class MaskPolygonRealMaskTests: XCTestCase {
    func testCOCO128MasksRoundTripThroughPolygons() throws {
        let coco = try SharedData.json("datasets/coco128/annotations/instances_train2017.json")
        let images = try XCTUnwrap(coco["images"] as? [[String: Any]])
        var sizes = [Int: (Int, Int)]()
        for im in images { sizes[im["id"] as! Int] = (im["height"] as! Int, im["width"] as! Int) }
        let anns = try XCTUnwrap(coco["annotations"] as? [[String: Any]])
        var masks = 0, mismatched = 0, awayFromBoundary = 0, vertices = 0, pixels = 0
        for ann in anns {
            let (h, w) = try XCTUnwrap(sizes[ann["image_id"] as! Int])
            let mask: RLE
            if let polys = ann["segmentation"] as? [[Any]] {
                mask = try RLE(polygons: polys.map { $0.doubles }, height: h, width: w)
            } else {
                let seg = try XCTUnwrap(ann["segmentation"] as? [String: Any])
                mask = try RLE(validatingHeight: h, width: w, counts: try XCTUnwrap(seg["counts"] as? [Int]))
            }
            let parts = MaskPolygons.trace(mask)
            vertices += parts.reduce(0) { $0 + $1.exterior.count / 2 + $1.holes.reduce(0) { $0 + $1.count / 2 } }
            let back = try RLE(polygons: parts, height: h, width: w).decodeRowMajor()
            let want = mask.decodeRowMajor()
            for p in 0..<want.count where back[p] != want[p] {
                mismatched += 1
                if !isBoundary(want, p, h, w) { awayFromBoundary += 1 }
            }
            masks += 1
            pixels += mask.area
        }
        XCTAssertEqual(masks, 939)
        XCTAssertEqual(awayFromBoundary, 0, "round-trip errors must stay on boundary pixels")
        let baseline = try MaskFixturePaths.fixture("polygon_baseline.json")
        let cvMismatched = try XCTUnwrap(baseline["mismatchedPixels"] as? Int)
        print("COCO128 polygon round trip: \(masks) masks, \(pixels) set pixels, \(vertices) vertices; "
              + "pixel-edge rings (Argus): \(mismatched) pixels differ (\(awayFromBoundary) away from the boundary); "
              + "cv2 RETR_CCOMP pixel-centre contours: \(cvMismatched) differ "
              + "(\(baseline["mismatchesAwayFromBoundary"] ?? "?") away from the boundary)")
        XCTAssertLessThanOrEqual(mismatched, cvMismatched)
        XCTAssertEqual(mismatched, 0, "pixel-edge rings should rasterise back exactly with pycocotools' rule")
    }

    func testSharedRLECasesRoundTripThroughPolygons() throws {
        let root = try SharedData.json("eval/rle_cases.json")
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 29)
        for c in cases {
            let name = c["name"] as! String, h = c["h"] as! Int, w = c["w"] as! Int
            let rowMajor = (c["rows"] as! [String]).flatMap { $0.utf8.map { $0 == UInt8(ascii: "1") ? UInt8(1) : 0 } }
            let mask = RLE(rowMajor: rowMajor, height: h, width: w)
            let parts = MaskPolygons.trace(mask)
            XCTAssertEqual(parts.count, components8(rowMajor, h, w), name)
            if h > 0 && w > 0 {
                XCTAssertEqual(try RLE(polygons: parts, height: h, width: w).decodeRowMajor(), rowMajor, name)
            }
        }
    }

    /// A pixel with a differently valued pixel among its 8 neighbours (image edges do not count).
    private func isBoundary(_ m: [UInt8], _ p: Int, _ h: Int, _ w: Int) -> Bool {
        let x = p % w, y = p / w
        for dy in -1...1 { for dx in -1...1 {
            let nx = x + dx, ny = y + dy
            if nx >= 0, ny >= 0, nx < w, ny < h, m[ny * w + nx] != m[p] { return true }
        } }
        return false
    }
}

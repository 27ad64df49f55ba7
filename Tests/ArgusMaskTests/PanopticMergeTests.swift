import ArgusMask
import XCTest

/// Panoptic merge: hand-computed cases, and random cases against a numpy transcription of Detectron2's
/// `combine_semantic_and_instance_outputs` (tools/gen_mask_encoding_fixtures.py -> tools/mask_fixtures).
final class PanopticMergeTests: XCTestCase {
    /// A rectangle mask (inclusive pixel ranges) on a 6x4 image.
    private func rect(_ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int, w: Int = 6, h: Int = 4) -> RLE {
        var px = [UInt8](repeating: 0, count: w * h)
        for y in y0...y1 { for x in x0...x1 { px[y * w + x] = 1 } }
        return RLE(rowMajor: px, height: h, width: w)
    }

    private var semantic: LabelMap {
        LabelMap(width: 6, height: 4, labels: (0..<24).map { $0 % 6 < 3 ? 0 : 5 })
    }

    private var instances: [PanopticInstance] {
        [
            PanopticInstance(mask: rect(0, 2, 0, 1), score: 0.9, categoryId: 10),   // A
            PanopticInstance(mask: rect(1, 3, 0, 3), score: 0.8, categoryId: 11),   // B: 4/12 taken, kept
            PanopticInstance(mask: rect(5, 5, 3, 3), score: 0.95, categoryId: 12),  // C: placed first
            PanopticInstance(mask: rect(0, 1, 1, 2), score: 0.7, categoryId: 13),   // D: 3/4 taken, dropped
            PanopticInstance(mask: rect(4, 5, 0, 0), score: 0.4, categoryId: 14),   // E: below 0.5
            PanopticInstance(mask: RLE(height: 4, width: 6, counts: [24]), score: 0.85, categoryId: 15),  // empty
        ]
    }

    func testScoreOrderOverlapAndStuffThreshold() throws {
        let r = try PanopticMerge.merge(instances: instances, semantic: semantic,
                                        options: PanopticOptions(stuffAreaThreshold: 3))
        XCTAssertEqual(r.segmentIds, [
            2, 2, 2, 3, 4, 4,
            2, 2, 2, 3, 4, 4,
            0, 3, 3, 3, 4, 4,
            0, 3, 3, 3, 4, 1,
        ])
        XCTAssertEqual(r.segments, [
            PanopticSegment(id: 1, categoryId: 12, isThing: true, area: 1, bbox: BoxXYWH(x: 5, y: 3, width: 1, height: 1), score: 0.95),
            PanopticSegment(id: 2, categoryId: 10, isThing: true, area: 6, bbox: BoxXYWH(x: 0, y: 0, width: 3, height: 2), score: 0.9),
            PanopticSegment(id: 3, categoryId: 11, isThing: true, area: 8, bbox: BoxXYWH(x: 1, y: 0, width: 3, height: 4), score: 0.8),
            PanopticSegment(id: 4, categoryId: 5, isThing: false, area: 7, bbox: BoxXYWH(x: 4, y: 0, width: 2, height: 4), score: nil),
        ])
    }

    func testStuffBelowMinimumAreaIsDroppedAndIgnoredClassesAreOptional() throws {
        let dropped = try PanopticMerge.merge(instances: instances, semantic: semantic,
                                              options: PanopticOptions(stuffAreaThreshold: 8))
        XCTAssertEqual(dropped.segments.map(\.id), [1, 2, 3])
        XCTAssertEqual(dropped.segmentIds.filter { $0 == 0 }.count, 2 + 7)
        let all = try PanopticMerge.merge(instances: instances, semantic: semantic,
                                          options: PanopticOptions(stuffAreaThreshold: 1, ignoredStuffClasses: []))
        XCTAssertEqual(all.segments.count, 5)
        XCTAssertEqual(all.segments[3], PanopticSegment(id: 4, categoryId: 0, isThing: false, area: 2,
                                                        bbox: BoxXYWH(x: 0, y: 2, width: 1, height: 2), score: nil))
        XCTAssertEqual(all.segments[4].categoryId, 5)
        XCTAssertFalse(all.segmentIds.contains(0))
        // Default threshold 4096: no stuff on a 24-pixel image.
        XCTAssertEqual(try PanopticMerge.merge(instances: instances, semantic: semantic).segments.count, 3)
    }

    func testTiesKeepInputOrderAndNoInstancesGiveStuffOnly() throws {
        let a = PanopticInstance(mask: rect(0, 2, 0, 3), score: 0.6, categoryId: 1)
        let b = PanopticInstance(mask: rect(0, 5, 0, 3), score: 0.6, categoryId: 2)  // half of it taken: 12/24 <= 0.5
        let r = try PanopticMerge.merge(instances: [a, b], semantic: semantic)
        XCTAssertEqual(r.segments.map(\.categoryId), [1, 2])
        XCTAssertEqual(r.segments.map(\.area), [12, 12])
        let stuff = try PanopticMerge.merge(instances: [], semantic: semantic, options: PanopticOptions(stuffAreaThreshold: 12))
        XCTAssertEqual(stuff.segments.map(\.categoryId), [5])
        XCTAssertEqual(stuff.segmentIds, (0..<24).map { $0 % 6 < 3 ? 0 : 1 })
    }

    func testOvershootingRunsAreClippedToTheImage() throws {
        // A malformed (unvalidated) RLE covering "more" than the image is treated as the full image.
        let all = PanopticInstance(mask: RLE(height: 4, width: 6, counts: [0, 1000]), score: 0.9, categoryId: 3)
        let r = try PanopticMerge.merge(instances: [all], semantic: semantic)
        XCTAssertEqual(r.segments.map(\.area), [24])
        XCTAssertEqual(r.segmentIds, [UInt32](repeating: 1, count: 24))
    }

    func testSizeMismatchThrows() {
        let wrong = PanopticInstance(mask: RLE(height: 6, width: 4, counts: [24]), score: 0.9, categoryId: 1)
        XCTAssertThrowsError(try PanopticMerge.merge(instances: [wrong], semantic: semantic)) { error in
            XCTAssertEqual(error as? PanopticError,
                           .sizeMismatch(instance: 0, maskWidth: 4, maskHeight: 6, width: 6, height: 4))
        }
    }

    func testMatchesDetectron2ReferenceOnRandomCases() throws {
        let root = try MaskFixturePaths.fixture("panoptic_cases.json")
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 6)
        for (k, c) in cases.enumerated() {
            let h = c["height"] as! Int, w = c["width"] as! Int
            let o = c["options"] as! [String: Any]
            let options = PanopticOptions(overlapThreshold: o["overlapThreshold"] as! Double,
                                          stuffAreaThreshold: o["stuffAreaThreshold"] as! Int,
                                          instanceScoreThreshold: o["instanceScoreThreshold"] as! Double)
            let instances = try (c["instances"] as! [[String: Any]]).map {
                PanopticInstance(mask: try RLE(validatingHeight: h, width: w, counts: $0["counts"] as! [Int]),
                                 score: Float($0["score"] as! Double), categoryId: $0["categoryId"] as! Int)
            }
            let semantic = LabelMap(width: w, height: h, labels: (c["semantic"] as! [Int]).map { UInt8($0) })
            let r = try PanopticMerge.merge(instances: instances, semantic: semantic, options: options)
            let expectedIds = (c["expectedSegmentIds"] as! [Int]).map { UInt32($0) }
            XCTAssertEqual(r.segmentIds, expectedIds, "case \(k)")
            let expected = c["expectedSegments"] as! [[String: Any]]
            XCTAssertEqual(r.segments.count, expected.count, "case \(k)")
            for (s, e) in zip(r.segments, expected) {
                XCTAssertEqual(s.id, e["id"] as! Int)
                XCTAssertEqual(s.isThing, e["isthing"] as! Bool)
                XCTAssertEqual(s.categoryId, e["category_id"] as! Int)
                if s.isThing { XCTAssertEqual(s.score, Float(e["score"] as! Double)) } else {
                    XCTAssertNil(s.score)
                    XCTAssertEqual(s.area, e["area"] as! Int)
                }
                // Area and box straight from the reference map.
                let pixels = expectedIds.indices.filter { expectedIds[$0] == UInt32(s.id) }
                XCTAssertEqual(s.area, pixels.count, "case \(k) segment \(s.id)")
                if let first = pixels.first {
                    let xs = pixels.map { $0 % w }, ys = pixels.map { $0 / w }
                    XCTAssertEqual(s.bbox, BoxXYWH(x: Double(xs.min()!), y: Double(ys.min()!),
                                                   width: Double(xs.max()! - xs.min()! + 1),
                                                   height: Double(ys.max()! - ys.min()! + 1)), "case \(k) segment \(s.id) from \(first)")
                }
            }
        }
    }
}

import ArgusDetection
import XCTest

/// NMS against torchvision.ops.nms / batched_nms. Kept indices are integers, so they must be equal, in
/// order: Argus computes the IoU in Float32 with the CPU kernel's operation order and compares it with
/// the Double threshold as torch does, so no decision may flip.
final class NMSTests: XCTestCase {
    func testNMSKeepsTorchvisionsIndicesInOrder() throws {
        let fixture = try DetectionOpsFixture.load()
        for c in fixture.nms {
            for run in c.runs {
                let keep = nms(boxes: boxes(c.boxes), scores: floats(c.scores), iouThreshold: run.iou_threshold)
                XCTAssertEqual(keep, run.keep, "\(c.name) at IoU threshold \(run.iou_threshold)")
            }
        }
    }

    func testBatchedNMSMatchesTorchvision() throws {
        let fixture = try DetectionOpsFixture.load()
        var paths = Set<String>()
        for c in fixture.batched_nms {
            let runs = c.runs.map { (c.boxes, c.scores, c.classes, $0) }
                + (c.prefix_runs ?? []).map { (Array(c.boxes.prefix(c.prefix!)), Array(c.scores.prefix(c.prefix!)),
                                               Array(c.classes.prefix(c.prefix!)), $0) }
            for (rows, s, classes, run) in runs {
                let label = "\(c.name), \(rows.count) boxes, IoU threshold \(run.iou_threshold) (\(run.path))"
                paths.insert(run.path)
                let (b, scores) = (boxes(rows), floats(s))
                let keep = torchvisionBatchedNMS(boxes: b, scores: scores, groups: classes,
                                                 iouThreshold: run.iou_threshold)
                // Groups cut into slices run in any order (as on the engine's threads): the same indices.
                let sliced = torchvisionBatchedNMS(boxes: b, scores: scores, groups: classes,
                                                   iouThreshold: run.iou_threshold) { count, body in
                    stride(from: count, to: 0, by: -2).forEach { body(max(0, $0 - 2)..<$0) }
                }
                XCTAssertEqual(sliced, keep, "sliced groups: \(label)")
                if run.tie_order_stable {
                    XCTAssertEqual(keep, run.keep, label)
                } else {
                    // torchvision's per-class branch re-sorts the kept boxes with torch's unstable sort, so
                    // equal scores come back in no defined order; Argus keeps them in index order. Same boxes,
                    // same score sequence; only the order inside a run of equal scores may differ.
                    assertEqualUpToTieOrder(keep, run.keep, scores: scores, label)
                }
                if run.path == "coordinate_offset" {
                    let direct = batchedNMS(boxes: b, scores: scores, classIds: classes,
                                            iouThreshold: run.iou_threshold, separation: .torchvision)
                    XCTAssertEqual(direct, run.keep, "batchedNMS(.torchvision): \(label)")
                }
                if let agnostic = run.agnostic_keep {
                    let got = batchedNMS(boxes: b, scores: scores, classIds: classes, iouThreshold: run.iou_threshold,
                                         separation: .agnostic)
                    XCTAssertEqual(got, agnostic, "agnostic: \(label)")
                    XCTAssertNotEqual(got, keep, "classes must matter in \(label)")
                }
                if let yolo = run.yolo_offset_keep {
                    let got = batchedNMS(boxes: b, scores: scores, classIds: classes, iouThreshold: run.iou_threshold,
                                         separation: .offsetPerClass(7680))
                    XCTAssertEqual(got, yolo, "YOLOv5 class offset 7680: \(label)")
                }
            }
        }
        XCTAssertEqual(paths, ["coordinate_offset", "vanilla"], "both branches of batched_nms are covered")
    }

    /// topOrderDescending (selection, then a sort of the selected) is the prefix of a stable descending sort, with
    /// many ties, both zeros, infinities and every k.
    func testTopOrderIsThePrefixOfAStableSort() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 3, 10, 257] {
            var values = (0..<n).map { _ in Float(Int.random(in: -4...4, using: &rng)) / 4 }
            if n > 3 { values[0] = -0.0; values[1] = .infinity; values[2] = -.infinity }
            let reference = values.indices.sorted { a, b in
                values[a] != values[b] ? values[a] > values[b] : a < b
            }
            XCTAssertEqual(stableOrderDescending(values), reference, "n \(n)")
            for k in 0...(n + 1) {
                XCTAssertEqual(topOrderDescending(values, k), Array(reference.prefix(k)), "n \(n), k \(k)")
            }
        }
    }

    func testBatchedNMSOfNothingIsEmpty() {
        XCTAssertEqual(torchvisionBatchedNMS(boxes: [], scores: [], groups: [], iouThreshold: 0.5), [])
        XCTAssertEqual(batchedNMS(boxes: [], scores: [], classIds: [], iouThreshold: 0.5, separation: .torchvision), [])
    }

    private func assertEqualUpToTieOrder(_ got: [Int], _ expected: [Int], scores: [Float], _ label: String,
                                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, "kept count: \(label)", file: file, line: line)
        XCTAssertEqual(got.map { scores[$0] }, expected.map { scores[$0] }, "score order: \(label)",
                       file: file, line: line)
        guard got.count == expected.count else { return }
        var start = 0
        while start < got.count {
            var end = start + 1
            while end < got.count && scores[expected[end]] == scores[expected[start]] { end += 1 }
            XCTAssertEqual(Set(got[start..<end]), Set(expected[start..<end]),
                           "boxes with score \(scores[expected[start]]): \(label)", file: file, line: line)
            start = end
        }
    }
}

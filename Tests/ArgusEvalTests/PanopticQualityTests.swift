import ArgusEval
import XCTest

/// Panoptic quality on small id maps, against values worked out by hand from panopticapi's rules.
final class PanopticQualityRulesTests: XCTestCase {
    typealias Segment = PanopticDataset.Segment
    let categories = [PanopticDataset.Category(id: 1, name: "person", isThing: true),
                      PanopticDataset.Category(id: 2, name: "sky", isThing: false),
                      PanopticDataset.Category(id: 3, name: "car", isThing: true)]

    func annotation(_ segments: [Segment]) -> PanopticDataset.Annotation {
        PanopticDataset.Annotation(imageId: 1, fileName: "1.png", segments: segments)
    }

    /// A 10x1 strip; ids per pixel.
    func testMatchingVoidAndCrowdRules() throws {
        // ground truth: person 10 on pixels 0-3, sky 20 on 4-7, void on 8, a car crowd 30 on 9... and a missed car 40
        // that the JSON lists with area 2 (panopticapi takes ground-truth areas from the JSON).
        let gtIds: [UInt32] = [10, 10, 10, 10, 20, 20, 20, 20, 0, 30]
        let gt = annotation([Segment(id: 10, categoryId: 1, isCrowd: false, area: 4), Segment(id: 20, categoryId: 2, isCrowd: false, area: 4),
                             Segment(id: 30, categoryId: 3, isCrowd: true, area: 1), Segment(id: 40, categoryId: 3, isCrowd: false, area: 2)])
        // prediction: person 1 on 0-2 plus the void pixel 8 (IoU 3 / (4 + 4 - 3 - 1) = 0.75: a match);
        // sky 2 on 4-5 (IoU 2 / 4 = 0.5: not over 0.5, so a false negative and, being half on sky, a false positive);
        // car 3 on pixel 9 (all on a crowd car: ignored).
        let predIds: [UInt32] = [1, 1, 1, 0, 2, 2, 0, 0, 1, 3]
        let prediction = annotation([Segment(id: 1, categoryId: 1, isCrowd: false, area: 0), Segment(id: 2, categoryId: 2, isCrowd: false, area: 0),
                                     Segment(id: 3, categoryId: 3, isCrowd: false, area: 0)])
        var quality = PanopticQuality(categories: categories)
        try quality.add(gt: gt, gtIds: gtIds, prediction: prediction, predictionIds: predIds)
        XCTAssertEqual(quality.totals[1], PanopticQuality.Totals(iou: 0.75, tp: 1, fp: 0, fn: 0))
        XCTAssertEqual(quality.totals[2], PanopticQuality.Totals(iou: 0, tp: 0, fp: 1, fn: 1))
        XCTAssertEqual(quality.totals[3], PanopticQuality.Totals(iou: 0, tp: 0, fp: 0, fn: 1), "car 40 missed; the crowd's prediction ignored")
        let all = quality.average(isThing: nil)
        XCTAssertEqual(all.n, 3)
        XCTAssertEqual(all.perClass[1], PanopticQuality.Scores(pq: 0.75, sq: 0.75, rq: 1))
        XCTAssertEqual(all.perClass[2], PanopticQuality.Scores(pq: 0, sq: 0, rq: 0))
        XCTAssertEqual(all.mean.pq, 0.25, accuracy: 1e-15)
        XCTAssertEqual(quality.average(isThing: false).n, 1)
        XCTAssertEqual(quality.average(isThing: true).mean.rq, 0.5, accuracy: 1e-15, "(1 + 0) / 2")
    }

    func testInconsistentPredictionsAreErrors() {
        var quality = PanopticQuality(categories: categories)
        let gt = annotation([Segment(id: 10, categoryId: 1, isCrowd: false, area: 2)])
        let listed = annotation([Segment(id: 1, categoryId: 1, isCrowd: false, area: 0)])
        XCTAssertThrowsError(try quality.add(gt: gt, gtIds: [10, 10], prediction: listed, predictionIds: [1, 5]), "5 is not in the JSON")
        XCTAssertThrowsError(try quality.add(gt: gt, gtIds: [10, 10], prediction: listed, predictionIds: [0, 0]), "1 is not in the PNG")
        XCTAssertThrowsError(try quality.add(gt: gt, gtIds: [10, 10], prediction: listed, predictionIds: [1]), "sizes differ")
        let unknown = annotation([Segment(id: 1, categoryId: 99, isCrowd: false, area: 0)])
        XCTAssertThrowsError(try quality.add(gt: gt, gtIds: [10, 10], prediction: unknown, predictionIds: [1, 1]), "unknown category")
        XCTAssertThrowsError(try PanopticDataset(json: Array(#"{"annotations": []}"#.utf8), requireCategories: true))
        XCTAssertThrowsError(try PanopticDataset(json: Array(#"{"annotations": [{"image_id": 1, "file_name": "../x.png"}]}"#.utf8), requireCategories: false))
        XCTAssertThrowsError(try PanopticDataset(json: Array(#"{"annotations": [{"image_id": 1, "file_name": "x.png", "segments_info": [{"id": 16777216, "category_id": 1}]}]}"#.utf8), requireCategories: false))
    }
}

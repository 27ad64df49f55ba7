import ArgusDetection
import ArgusEval
import ArgusMask
import ArgusServer
import XCTest
import ArgusJSON
import ArgusPipeline

/// /evaluate with uploaded images and iou_type=segm: an instance segmentation model's masks are scored as COCO
/// `segm` results; a ground truth made of its own masks gives AP 1.
final class SegmentEvaluateTests: XCTestCase {
    func testSegmAgainstTheModelsOwnMasksIsAPOne() throws {
        let server = try ServerHarness(models: [FakeDetector(), FakeMaskDetector()])
        let (w, h) = (128, 96)
        let masks = FakeMaskDetector.raw(width: w, height: h)
        // person (the ring) and car (two parts) as COCO annotations; the empty bicycle mask has no ground truth.
        var annotations: [String] = []
        for (id, d) in [(1, masks[0]), (3, masks[1])] {
            let m = d.mask!, b = m.boundingBox
            var counts = ""
            JSONWriter.appendQuoted(m.compressedCounts, to: &counts)  // counts may hold a backslash
            annotations.append("{\"id\": \(id), \"image_id\": 1, \"category_id\": \(id), \"iscrowd\": 0, \"area\": \(m.area), "
                + "\"bbox\": [\(b.x), \(b.y), \(b.width), \(b.height)], "
                + "\"segmentation\": {\"size\": [\(h), \(w)], \"counts\": \(counts)}}")
        }
        let gt = "{\"images\": [{\"id\": 1, \"file_name\": \"a.png\", \"width\": \(w), \"height\": \(h)}], "
            + "\"categories\": [{\"id\": 1, \"name\": \"person\"}, {\"id\": 2, \"name\": \"bicycle\"}, {\"id\": 3, \"name\": \"car\"}], "
            + "\"annotations\": [\(annotations.joined(separator: ", "))]}"
        func post(_ fields: [(String, String)]) throws -> RawResponse {
            let form = TestInputs.multipart(fields: fields, files: [("gt", "gt.json", "application/json", Array(gt.utf8)),
                                                                    ("image", "a.png", "image/png", TestInputs.png(width: w, height: h))])
            return try server.post("/evaluate", contentType: form.contentType, body: form.body)
        }
        // Without a model name, iou_type=segm picks the first instance segmentation model.
        let r = try post([("iou_type", "segm"), ("policy", "pycocotools")])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["iou_type"] as? String, "segm")
        XCTAssertEqual((r.object["stats"] as? [Double])?.first ?? -1, 1.0, accuracy: 1e-12, r.text)
        XCTAssertEqual((r.object["inference"] as? [String: Any])?["model"] as? String, "fake_masks")

        // The box model cannot give masks: a 400 naming the model that can.
        let boxes = try post([("model", "fake"), ("iou_type", "segm")])
        XCTAssertEqual(boxes.status, 400, boxes.text)
        XCTAssertEqual(boxes.errorCode, "model_cannot_segment")
        XCTAssert(boxes.text.contains("fake_masks"), boxes.text)
    }

    func testResultsJSONCarriesTheMasks() throws {
        let d = FakeMaskDetector.raw(width: 40, height: 30)
        let results = DatasetEvaluation.results(d, imageId: 5, categoryIds: [1, 2, 3, 4])
        let parsed = try COCOResult.parseList(json: Data(DatasetEvaluation.resultsJSON(results).utf8))
        XCTAssertEqual(parsed.map(\.segmentation), d.map { .rle($0.mask!) })
        XCTAssertEqual(parsed.map(\.categoryId), [1, 3, 2])
    }
}

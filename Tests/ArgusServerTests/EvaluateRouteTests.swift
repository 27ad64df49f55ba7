import ArgusServer
import ArgusTestSupport
import XCTest

/// POST /evaluate against pycocotools' numbers (shared/eval/public cases, made with pycocotools 2.0.11).
final class EvaluateRouteTests: XCTestCase {
    func loadCases() throws -> [(String, [String: Any])] {
        let cases = try SharedData.url("eval/public")
        let files = try FileManager.default.contentsOfDirectory(atPath: cases.path)
        return try files.filter { $0.hasSuffix(".json") }.sorted().map { file in
            let data = try Data(contentsOf: cases.appendingPathComponent(file))
            return (file, try JSONSerialization.jsonObject(with: data) as! [String: Any])
        }
    }

    func assertStats(_ response: RawResponse, _ expected: [String: Any], _ label: String) {
        XCTAssertEqual(response.status, 200, "\(label): \(response.text)")
        let stats = response.object["stats"] as? [Double] ?? []
        let want = expected["stats"] as! [Double]
        XCTAssertEqual(stats.count, 12, label)
        for (g, w) in zip(stats, want) { XCTAssertEqual(g, w, accuracy: 1e-6, label) }
        let perCategory = response.object["per_category_ap"] as? [String: Double] ?? [:]
        for (k, v) in expected["per_category_ap"] as! [String: Double] {
            XCTAssertEqual(perCategory[k] ?? .nan, v, accuracy: 1e-6, "\(label) category \(k)")
        }
    }

    func testEveryPublicCaseAsJSONAndAsMultipart() throws {
        let cases = try loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        let server = try ServerHarness()
        for (file, c) in cases {
            let envelope: [String: Any] = ["ground_truth": c["gt"]!, "results": c["dt"]!, "params": c["params"] ?? [:],
                                           "iou_type": c["iouType"] ?? "bbox", "policy": "pycocotools"]
            let body = try JSONSerialization.data(withJSONObject: envelope)
            assertStats(try server.post("/evaluate", contentType: "application/json", body: Array(body)), c["expected"] as! [String: Any], "\(file) json")

            let files: [(String, String, String, [UInt8])] = try ["gt": "ground_truth", "dt": "results", "params": "params"].compactMap { key, field in
                guard let value = c[key] else { return nil }
                return (field, "\(field).json", "application/json", Array(try JSONSerialization.data(withJSONObject: value)))
            }
            let form = TestInputs.multipart(fields: [("iou_type", c["iouType"] as? String ?? "bbox"), ("policy", "pycocotools")], files: files)
            assertStats(try server.post("/evaluate", contentType: form.contentType, body: form.body), c["expected"] as! [String: Any], "\(file) multipart")
        }
    }

    /// The issue's (and pycocotools') names `gt` and `dt` work as well as `ground_truth` and `results`.
    func testGtDtNames() throws {
        let cases = try loadCases()
        let (file, c) = try XCTUnwrap(cases.first)
        let server = try ServerHarness()
        let envelope: [String: Any] = ["gt": c["gt"]!, "dt": c["dt"]!, "params": c["params"] ?? [:],
                                       "iou_type": c["iouType"] ?? "bbox", "policy": "pycocotools"]
        let body = try JSONSerialization.data(withJSONObject: envelope)
        assertStats(try server.post("/evaluate", contentType: "application/json", body: Array(body)), c["expected"] as! [String: Any], "\(file) gt/dt json")
        let files: [(String, String, String, [UInt8])] = try ["gt", "dt"].map { key in
            (key, "\(key).json", "application/json", Array(try JSONSerialization.data(withJSONObject: c[key]!)))
        }
        let form = TestInputs.multipart(fields: [("iou_type", c["iouType"] as? String ?? "bbox"), ("policy", "pycocotools")]
                                        + (c["params"] != nil ? [("params", String(data: try JSONSerialization.data(withJSONObject: c["params"]!), encoding: .utf8)!)] : []),
                                        files: files)
        assertStats(try server.post("/evaluate", contentType: form.contentType, body: form.body), c["expected"] as! [String: Any], "\(file) gt/dt multipart")
    }

    func testEvaluateErrors() throws {
        let server = try ServerHarness { $0.maxEvaluateBodyBytes = 4096 }
        var r = try server.postJSON("/evaluate", #"{"ground_truth": {"images": [], "annotations": [], "categories": []}}"#)
        XCTAssertEqual(r.status, 400); XCTAssertEqual(r.errorCode, "bad_request")
        r = try server.postJSON("/evaluate", #"{"ground_truth": {"images": 5}, "results": []}"#)
        XCTAssertEqual(r.status, 400); XCTAssertEqual(r.errorCode, "invalid_evaluation_input")
        r = try server.postJSON("/evaluate", #"{"ground_truth": {"images": [{"id": 1, "width": 10, "height": 10}], "annotations": [], "categories": [{"id": 1, "name": "a"}]}, "results": [{"image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]}"#)
        XCTAssertEqual(r.status, 400, r.text); XCTAssertEqual(r.errorCode, "invalid_evaluation_input")
        r = try server.postJSON("/evaluate", #"{"ground_truth": {}, "results": [], "iou_type": "keypoints"}"#)
        XCTAssertEqual(r.status, 400); XCTAssertEqual(r.errorCode, "invalid_parameter")
        r = try server.post("/evaluate", contentType: "text/csv", body: Array("a,b".utf8))
        XCTAssertEqual(r.status, 415)
        r = try server.post("/evaluate", contentType: "application/json", body: [UInt8](repeating: 0x20, count: 5000))
        XCTAssertEqual(r.status, 413)
        // /detect keeps its own (default) limit.
        XCTAssertEqual(try server.post("/detect", contentType: "image/png", body: TestInputs.png()).status, 200)
    }
}

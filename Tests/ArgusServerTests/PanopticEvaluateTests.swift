import ArgusTestSupport
import Foundation
import XCTest

/// POST /evaluate with panoptic=true: the panopticapi cases (tools/gen_panoptic_cases.py) through HTTP.
final class PanopticEvaluateTests: XCTestCase {
    static let fixtures = Repository.url("Tests/ArgusEvalTests/Fixtures/panoptic")

    func testMultipartAndJSONEqualPanopticapi() throws {
        let gtDirectory = try SharedData.url("datasets/coco-val96/annotations/panoptic_val2017")
        let server = try ServerHarness()
        let gtJSON = try Data(contentsOf: Self.fixtures.appendingPathComponent("gt.json"))
        let gt = try JSONSerialization.jsonObject(with: gtJSON) as! [String: Any]
        let files = (gt["annotations"] as! [[String: Any]]).map { $0["file_name"] as! String }
        func png(_ directory: URL, _ file: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(file))) }

        // Multipart: the perturbed case.
        let perturbed = Self.fixtures.appendingPathComponent("perturbed")
        var parts: [(String, String, String, [UInt8])] = [("gt", "gt.json", "application/json", Array(gtJSON)),
                                                          ("dt", "pred.json", "application/json", Array(try Data(contentsOf: perturbed.appendingPathComponent("pred.json"))))]
        for file in files {
            parts.append(("gt_png", file, "image/png", try png(gtDirectory, file)))
            parts.append(("dt_png", file, "image/png", try png(perturbed.appendingPathComponent("pred"), file)))
        }
        let form = TestInputs.multipart(fields: [("panoptic", "true")], files: parts)
        let r = try server.post("/evaluate", contentType: form.contentType, body: form.body)
        XCTAssertEqual(r.status, 200, r.text)
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: perturbed.appendingPathComponent("expected.json"))) as! [String: Any]
        for group in ["All", "Things", "Stuff"] {
            let want = expected[group] as! [String: Double], got = r.object[group] as? [String: Double] ?? [:]
            for key in ["pq", "sq", "rq", "n"] { XCTAssertEqual(got[key] ?? -1, want[key]!, accuracy: 1e-9, "\(group) \(key)") }
        }
        XCTAssertEqual((r.object["per_class"] as? [String: Any])?.count, (expected["per_class"] as! [String: Any]).count)

        // JSON with base64 PNGs: the ground truth against itself.
        var body: [String: Any] = ["ground_truth": gt, "panoptic": true,
                                   "results": try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("identical/pred.json")))]
        var encoded: [String: String] = [:]
        for file in files { encoded[file] = Data(try png(gtDirectory, file)).base64EncodedString() }
        body["gt_pngs"] = encoded
        body["dt_pngs"] = encoded
        let same = try server.postJSON("/evaluate", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
        XCTAssertEqual(same.status, 200, same.text)
        XCTAssertEqual((same.object["All"] as? [String: Double])?["pq"], 1)

        // A PNG not sent, and a parameter that does not apply, are 400s naming them.
        body["dt_pngs"] = [String: String]()
        let missing = try server.postJSON("/evaluate", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
        XCTAssertEqual(missing.status, 400, missing.text)
        XCTAssertTrue(missing.text.contains("dt_png"), missing.text)
        body["dt_pngs"] = encoded
        body["iou_type"] = "segm"
        XCTAssertEqual(try server.postJSON("/evaluate", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)).status, 400)
    }
}

import ArgusEval
import ArgusPipeline
import ArgusTestSupport
import Foundation
import XCTest

/// `argus eval --panoptic` against panopticapi's pq_compute on coco-val96 panoptic ground truth
/// (tools/gen_panoptic_cases.py: the ground truth itself, perturbed predictions, predictions on void and crowd).
final class PanopticQualityTests: XCTestCase {
    static let fixtures = Repository.url("Tests/ArgusEvalTests/Fixtures/panoptic")

    func testCasesEqualPanopticapi() throws {
        let gtDirectory = try SharedData.path("datasets/coco-val96/annotations/panoptic_val2017")
        let gt = try PanopticDataset(json: Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("gt.json"))), requireCategories: true)
        for name in ["identical", "perturbed", "void_and_crowd"] {
            let directory = Self.fixtures.appendingPathComponent(name)
            let prediction = try PanopticDataset(json: Array(try Data(contentsOf: directory.appendingPathComponent("pred.json"))),
                                                 requireCategories: false)
            let predictionDirectory = name == "identical" ? gtDirectory : directory.appendingPathComponent("pred").path
            let quality = try PanopticEvaluation.run(gt: gt, gtDirectory: gtDirectory, prediction: prediction,
                                                     predictionDirectory: predictionDirectory)
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("expected.json"))) as! [String: Any]
            for (group, isThing) in [("All", nil), ("Things", true), ("Stuff", false)] as [(String, Bool?)] {
                let want = expected[group] as! [String: Double], got = quality.average(isThing: isThing)
                XCTAssertEqual(got.n, Int(want["n"]!), "\(name) \(group) n")
                XCTAssertEqual(got.mean.pq, want["pq"]!, accuracy: 1e-9, "\(name) \(group) PQ")
                XCTAssertEqual(got.mean.sq, want["sq"]!, accuracy: 1e-9, "\(name) \(group) SQ")
                XCTAssertEqual(got.mean.rq, want["rq"]!, accuracy: 1e-9, "\(name) \(group) RQ")
            }
            let perClass = expected["per_class"] as! [String: [String: Double]], got = quality.average(isThing: nil).perClass
            XCTAssertEqual(perClass.count, got.count, name)
            for (id, want) in perClass {
                let g = try XCTUnwrap(got[Int(id)!], "\(name) class \(id)")
                XCTAssertEqual(g.pq, want["pq"]!, accuracy: 1e-9, "\(name) class \(id) PQ")
                XCTAssertEqual(g.sq, want["sq"]!, accuracy: 1e-9, "\(name) class \(id) SQ")
                XCTAssertEqual(g.rq, want["rq"]!, accuracy: 1e-9, "\(name) class \(id) RQ")
            }
        }
    }
}

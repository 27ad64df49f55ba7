@testable import ArgusEval
import ArgusTestSupport
import Foundation
import XCTest

/// Runs every conformance case in-process (`EvalCase.run(json:)`, what `argus eval --case -` prints) and
/// compares with pycocotools' numbers: the public cases of `../shared/eval` and the extra cases in
/// `tools/eval_fixtures` (generated with pycocotools by tools/gen_eval_fixtures.py).
final class ConformanceTests: XCTestCase {
    func testSharedPublicCases() throws {
        let dir = SharedData.root.appendingPathComponent("eval/public")
        let files = EvalFixtures.caseFiles(in: dir)
        if files.isEmpty { throw XCTSkip("\(dir.path) has no conformance cases (\(SharedData.origin)): skipping") }
        XCTAssertGreaterThanOrEqual(files.count, 16)
        for f in files { try check(f) }
    }

    func testExtraCases() throws {
        let files = EvalFixtures.caseFiles(in: EvalFixtures.toolsFixtures)
        XCTAssertGreaterThanOrEqual(files.count, 24)
        for f in files { try check(f) }
    }

    private func check(_ url: URL) throws {
        let name = url.lastPathComponent
        let data = try Data(contentsOf: url)
        let want = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let gotData = try EvalCase.run(json: data)
        let got = try JSONSerialization.jsonObject(with: gotData) as! [String: Any]
        let exp = want["expected"] as! [String: Any]
        assertNumbers(got["stats"], exp["stats"], "\(name) stats")
        assertMap(got["per_category_ap"], exp["per_category_ap"], "\(name) per_category_ap")
        assertMap(got["ap50_per_category"], exp["ap50_per_category"], "\(name) ap50_per_category")
        if let ev = want["expected_voc"] as? [String: Any] {
            let gv = got["voc"] as? [String: Any] ?? [:]
            assertMap(gv["ap50_all_point"], ev["ap50_all_point"], "\(name) voc all-point")
            assertMap(gv["ap50_11_point"], ev["ap50_11_point"], "\(name) voc 11-point")
            assertNumbers([gv["map50_all_point"] as Any, gv["map50_11_point"] as Any],
                          [ev["map50_all_point"] as Any, ev["map50_11_point"] as Any], "\(name) voc mAP")
        }
    }

    private func assertNumbers(_ got: Any?, _ exp: Any?, _ what: String) {
        let g = (got as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
        let e = (exp as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
        XCTAssertEqual(g.count, e.count, what)
        for (i, (a, b)) in zip(g, e).enumerated() { XCTAssertEqual(a, b, accuracy: 1e-12, "\(what)[\(i)]") }
    }

    private func assertMap(_ got: Any?, _ exp: Any?, _ what: String) {
        let g = got as? [String: Any] ?? [:], e = exp as? [String: Any] ?? [:]
        XCTAssertEqual(Set(g.keys), Set(e.keys), what)
        for (k, v) in e {
            XCTAssertEqual((g[k] as? NSNumber)?.doubleValue ?? .nan, (v as! NSNumber).doubleValue, accuracy: 1e-12, "\(what)[\(k)]")
        }
    }
}

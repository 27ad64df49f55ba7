@testable import ArgusEval
import Foundation
import XCTest

/// numpy-exact summation, numpy linspace thresholds and the JSON number reader.
final class NumericsTests: XCTestCase {
    func testPairwiseSumMatchesNumpy() throws {
        let url = EvalFixtures.toolsFixtures.appendingPathComponent("numpy_sum.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for row in root["rows"] as! [[String: Any]] {
            let n = row["n"] as! Int
            var a = [Double]()
            for i in 0..<n {
                let num: Double = Double((i * 7919) % 1000) + 0.5
                a.append(num / Double(1 + i % 13))
            }
            XCTAssertEqual(a.withUnsafeBufferPointer { numpySum($0) }, Double(row["sum"] as! String)!, "sum n=\(n)")
            XCTAssertEqual(numpyMean(a), Double(row["mean"] as! String)!, "mean n=\(n)")
        }
    }

    func testDefaultThresholdsAreNumpyLinspace() {
        // Values from ../shared/eval/README.md (np.linspace in float64).
        XCTAssertEqual(EvalParams.defaultIoUThresholds,
                       [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95])
        let r = EvalParams.defaultRecallThresholds
        XCTAssertEqual(r.count, 101)
        XCTAssertEqual(r[35], 0.35000000000000003)
        XCTAssertEqual(r[70], 0.7000000000000001)
        XCTAssertEqual(r[100], 1.0)
    }

    func testJSONNumbersAreCorrectlyRounded() throws {
        let samples = ["0", "-0", "1", "10.0", "0.1", "0.8999999999999999", "0.35000000000000003", "1e-05", "2.5E+3",
                       "123456789012345678901234567890", "9007199254740993", "0.30000000000000004", "4.9e-324",
                       "1.7976931348623157e308", "-3.14159", "1e22", "1e23", "8.589973e9", "0.000001234", "1234.5678e-2"]
        let json = "[" + samples.joined(separator: ",") + "]"
        let got = try withScanner(Data(json.utf8)) { try $0.readDoubleArray() }
        XCTAssertEqual(got, samples.map { Double($0)! })
    }

    func testJSONErrorsSayWhere() {
        let bad = "{\"images\": [\n {\"id\": 1,}]}"
        XCTAssertThrowsError(try COCODataset(json: Data(bad.utf8))) { e in
            XCTAssertTrue("\(e)".contains("line 2"), "\(e)")
        }
        XCTAssertThrowsError(try COCOResult.parseList(json: Data("[{\"image_id\": 1, \"category_id\": 1, \"score\": 0.5, \"bbox\": [1, 2, 3]}]".utf8))) { e in
            XCTAssertEqual((e as? EvalError)?.issues.first?.code, "malformed_bbox")
        }
        XCTAssertThrowsError(try COCOResult.parseList(json: Data("[{\"image_id\": 1, \"category_id\": 1, \"score\": 0.5, \"segmentation\": {\"size\": [2, 2], \"counts\": \"~~\"}}]".utf8))) { e in
            XCTAssertEqual((e as? EvalError)?.issues.first?.code, "malformed_rle")
        }
        XCTAssertThrowsError(try COCOResult.parseList(json: Data(String(repeating: "[", count: 10000).utf8)))
    }

    func testStringsWithEscapes() throws {
        let json = "{\"categories\": [{\"id\": 3, \"name\": \"caf\\u00e9 \\\"x\\\" \\ud83d\\ude00\"}]}"
        let d = try COCODataset(json: Data(json.utf8))
        XCTAssertEqual(d.categories.first?.name, "café \"x\" 😀")
    }
}

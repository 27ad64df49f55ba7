import XCTest
@testable import ArgusWeights

/// The text `argus inspect` prints.
final class SummaryTests: XCTestCase {
    func testModuleSummary() throws {
        let text = try Fixtures.load("module.pt").summary()
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "format: pytorch")
        XCTAssertTrue(lines.contains("model: __main__.TinyNet"))
        XCTAssertTrue(lines.contains(#"  names: ["cat", "dog"]"#))
        XCTAssertTrue(lines.contains("  nc: 2"))
        XCTAssertTrue(lines.contains("  stride: tensor(float32, [3]) [8.0, 16.0, 32.0]"))
        XCTAssertTrue(lines.contains(#"  yaml: {"nc": 2, "depth_multiple": 0.33, "width_multiple": 0.25, "anchors": [[10, 13, 16, 30]], "backbone": [[-1, 1, "Conv", [4, 3]]]}"#), text)
        // Aligned columns: every tensor row has dtype and shape starting at the same column.
        XCTAssertTrue(lines.contains("  model.0.weight               float32  [4, 3, 3, 3]"), text)
        XCTAssertTrue(lines.contains("  model.1.num_batches_tracked  int64    []"), text)
        XCTAssertTrue(lines.contains("tensors: 10"))
        // 108 + 4*4 + 1 + 8 + 2 + 2 + 4 = 141 elements.
        XCTAssertEqual(lines.last, "total parameters: 141 (elements of all 10 tensors, buffers included)")
    }

    func testSafetensorsSummaryShowsMetadata() throws {
        let text = try Fixtures.load("tensors.safetensors").summary()
        XCTAssertTrue(text.contains("metadata:\n  format: pt\n  source: gen_weight_fixtures"), text)
        XCTAssertTrue(text.contains("  f16         float16   [12]"), text)
    }

    func testNestedSummaryShowsOtherEntries() throws {
        let text = try Fixtures.load("nested.pt").summary()
        XCTAssertTrue(text.contains("checkpoint:\n  state_dict: dict of 19 entries\n  epoch: 3\n  optimizer: null"), text)
    }
}

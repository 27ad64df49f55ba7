import XCTest
import ArgusTensor
import ArgusTestSupport
@testable import ArgusWeights

/// The published YOLOv5n checkpoint (a pickled `models.yolo.Model` in fp16), compared with the
/// `state_dict()` torch gives for it (tools/gen_weight_fixtures.py -> yolov5n_expected.json).
final class YOLOv5CheckpointTests: XCTestCase {
    private func load() throws -> Checkpoint {
        try Checkpoint.load(contentsOf: SharedData.path("weights/ultralytics/yolov5n.pt"))
    }

    func testStateDictNamesShapesAndDTypes() throws {
        let ckpt = try load()
        let expected = try Fixtures.json("yolov5n_expected.json")
        let names = try XCTUnwrap(expected["names"] as? [String])
        XCTAssertEqual(ckpt.names.count, 349)
        XCTAssertEqual(ckpt.names, names)
        let shapes = try XCTUnwrap(expected["shapes"] as? [String: [Int]])
        let dtypes = try XCTUnwrap(expected["dtypes"] as? [String: String])
        for name in names {
            XCTAssertEqual(ckpt.info(name)?.shape, shapes[name], name)
            XCTAssertEqual(ckpt.info(name)?.dtype, dtypes[name], name)
        }
        XCTAssertEqual(ckpt.info("model.0.conv.weight"), StoredTensorInfo(dtype: "float16", shape: [16, 3, 6, 6]))
        XCTAssertEqual(try ckpt.stored("model.0.conv.weight").storage.typeName, "torch.HalfStorage")
    }

    func testValuesMatchTorch() throws {
        let ckpt = try load()
        let expected = try XCTUnwrap(Fixtures.json("yolov5n_expected.json")["tensors"] as? [String: [String: Any]])
        for (name, rec) in expected {
            let t = try ckpt.tensor(name, shape: try XCTUnwrap(rec["shape"] as? [Int]))
            if let all = floatsFromBits(rec["float_bits"]) {
                XCTAssertEqual(t.storage.map(\.bitPattern), all.map(\.bitPattern), name)
            }
            if let sampled = rec["sampled_float_bits"] as? [String: NSNumber] {
                XCTAssertFalse(sampled.isEmpty)
                for (index, bits) in sampled {
                    XCTAssertEqual(t.storage[Int(index)!].bitPattern, bits.uint32Value, "\(name)[\(index)]")
                }
            }
            if let ints = rec["ints"] as? [NSNumber] {
                XCTAssertEqual(try ckpt.int64s(name), ints.map(\.int64Value), name)
            }
        }
        let anchors = try ckpt.tensor("model.24.anchors", shape: [3, 3, 2])
        XCTAssertEqual(Array(anchors.storage[0..<6]), [1.25, 1.625, 2, 3.75, 4.125, 2.875])
    }

    func testModelAttributes() throws {
        let ckpt = try load()
        let expected = try Fixtures.json("yolov5n_expected.json")
        let model = try XCTUnwrap(ckpt.model)
        XCTAssertEqual(model.className, "models.yolo.Model")
        XCTAssertEqual(model.className, expected["class"] as? String)
        XCTAssertEqual(model["yaml"]?["depth_multiple"]?.double, 0.33)
        XCTAssertEqual(model["yaml"]?["width_multiple"]?.double, 0.25)
        XCTAssertEqual(model["yaml"]?["nc"]?.int, 80)
        let names = try XCTUnwrap(model["names"]?.strings)
        XCTAssertEqual(names.count, 80)
        XCTAssertEqual(names.first, "person")
        XCTAssertEqual(names, expected["class_names"] as? [String])
        let stride = try ckpt.tensor(XCTUnwrap(model["stride"]?.tensor))
        XCTAssertEqual(stride.storage, [8, 16, 32])
        // The training checkpoint around it: ema is None, so the names come from "model".
        XCTAssertEqual(ckpt.root["ema"]?.isNone, true)
        XCTAssertEqual(ckpt.root["epoch"]?.int, expected["epoch"] as? Int)
    }

    func testSummary() throws {
        let text = try load().summary()
        XCTAssertTrue(text.contains("\nmodel: models.yolo.Model\n"))
        XCTAssertTrue(text.contains(#"  yaml: {"nc": 80, "depth_multiple": 0.33, "width_multiple": 0.25"#), text)
        XCTAssertTrue(text.contains("  stride: tensor(float32, [3]) [8.0, 16.0, 32.0]"), text)
        XCTAssertTrue(text.contains("\ntensors: 349\n"))
        XCTAssertTrue(text.contains("  model.0.conv.weight "))
    }
}

import ArgusDetection
import Foundation
import XCTest

/// Tests/ArgusDetectionTests/Fixtures/detection_ops.json, written by tools/gen_detection_ops_fixtures.py
/// (torchvision 0.28 on CPU; the script's docstring describes every field). Floats are stored as the
/// shortest decimal that, read as a Double and rounded to Float, gives torch's exact float32 bits.
struct DetectionOpsFixture: Decodable {
    struct NMSRun: Decodable {
        let iou_threshold: Double
        let keep: [Int]
    }
    struct NMSCase: Decodable {
        let name: String
        let boxes: [[Double]]
        let scores: [Double]
        let runs: [NMSRun]
    }
    struct BatchedRun: Decodable {
        let iou_threshold: Double
        let path: String
        let keep: [Int]
        let tie_order_stable: Bool
        let agnostic_keep: [Int]?
        let yolo_offset_keep: [Int]?
    }
    struct BatchedCase: Decodable {
        let name: String
        let boxes: [[Double]]
        let scores: [Double]
        let classes: [Int]
        let runs: [BatchedRun]
        let prefix: Int?
        let prefix_runs: [BatchedRun]?
    }
    struct IoUCase: Decodable {
        let name: String
        let boxes1: [[Double]]
        let boxes2: [[Double]]
        let iou: [Double]
        let noise: Double
    }
    struct DecodeCase: Decodable {
        let name: String
        let weights: [Double]
        let deltas: [[Double]]
        let references: [[Double]]
        let expected: [[Double]]
        let exp_exact: [Bool]
        let noise: Double
    }
    struct EncodeCase: Decodable {
        let name: String
        let weights: [Double]
        let boxes: [[Double]]
        let references: [[Double]]
        let expected: [[Double]]
        let log_exact: [Bool]
        let noise: Double
    }
    let nms: [NMSCase]
    let batched_nms: [BatchedCase]
    let box_iou: [IoUCase]
    let decode: [DecodeCase]
    let encode: [EncodeCase]

    static func load() throws -> DetectionOpsFixture {
        guard let url = Bundle.module.url(forResource: "detection_ops", withExtension: "json",
                                          subdirectory: "Fixtures") else {
            throw XCTSkip("Fixtures/detection_ops.json missing: run tools/gen_detection_ops_fixtures.py")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf",
                                                                       negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(DetectionOpsFixture.self, from: Data(contentsOf: url))
    }
}

func floats(_ values: [Double]) -> [Float] { values.map { Float($0) } }
func boxes(_ rows: [[Double]]) -> [Box] {
    rows.map { Box(x1: Float($0[0]), y1: Float($0[1]), x2: Float($0[2]), y2: Float($0[3])) }
}
func corners(_ b: Box) -> [Float] { [b.x1, b.y1, b.x2, b.y2] }

/// Same bits, or both NaN.
func sameBits(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

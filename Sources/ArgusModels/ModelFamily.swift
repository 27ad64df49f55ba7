import ArgusONNX
import ArgusWeights

/// A model family's identifier, listed as `family` by `GET /models` and `argus models`.
public struct ModelFamilyID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let yolov5: ModelFamilyID = "yolov5"
    public static let yolov8: ModelFamilyID = "yolov8"
    public static let yolox: ModelFamilyID = "yolox"
    public static let fasterRCNN: ModelFamilyID = "faster_rcnn"
    public static let maskRCNN: ModelFamilyID = "mask_rcnn"
    public static let fcn: ModelFamilyID = "torchvision-fcn"
    public static let deeplabv3: ModelFamilyID = "torchvision-deeplabv3"
    public static let lraspp: ModelFamilyID = "torchvision-lraspp"
    public static let classification: ModelFamilyID = "torchvision-classification"
    public static let ssd: ModelFamilyID = "ssd"
    public static let retinanet: ModelFamilyID = "retinanet"
    /// R-CNN: an image classifier over warped region proposals (`SlowRCNN`).
    public static let rcnn: ModelFamilyID = "rcnn"
}

/// How `argus bench` times a family's reference implementation next to Argus on the same weights.
public struct ReferenceBench: Sendable {
    /// The peer script under `tools/`.
    public var script: String
    /// The engines the peer runs a PyTorch checkpoint on (its `--engine` values, one process each, so each reports
    /// its own peak RSS; empty: no peer for checkpoints). The ONNX engines time the checkpoint's ONNX export.
    public var checkpointEngines: [String]
    /// The same for an ONNX file.
    public var onnxEngines: [String]
    /// True when the peer is timed from JPEG bytes to JSON (decode and encode included), false from a decoded image.
    public var fromBytes: Bool

    /// PyTorch, then the checkpoint's ONNX export on onnxruntime and on OpenVINO.
    public static let torchAndONNXEngines = ["torch", "onnxruntime", "openvino"]
    /// An ONNX file's engines.
    public static let onnxFileEngines = ["onnxruntime", "openvino"]
}

/// The thresholds a family's own COCO evaluation runs its models at (`argus eval --images`, POST /evaluate with
/// images) unless the caller gives them; nil: the model's own default.
public struct EvaluationSettings: Sendable, Equatable {
    public var confidence: Float?
    public var iou: Double?
    public var maxDetections: Int?
    /// Where the values come from, reported with the results.
    public var source: String

    public init(confidence: Float?, iou: Double?, maxDetections: Int?, source: String) {
        self.confidence = confidence; self.iou = iou; self.maxDetections = maxDetections; self.source = source
    }
}

/// What the user said about a file being loaded.
struct LoadRequest {
    var path: String
    var name: String
    /// A builder name given with `--arch`, already matched to this family.
    var architecture: String?
}

/// One family's place in the loader: how its files are recognised and built. Families are tried in `ModelFamilies.all`
/// order, so a new family is one entry there (and its folder).
public struct ModelFamily: Sendable {
    /// What the entry is, for messages.
    public let name: String
    /// The identifiers of the models it builds.
    public let produces: [ModelFamilyID]
    /// The builder names `--arch` accepts for it (torchvision's), empty when its files are recognised from the tensors alone.
    public let architectures: [String]
    /// How `argus bench` times its reference (with `--arch NAME` for the families that have builder names).
    public let bench: ReferenceBench?
    /// Its reference evaluator's thresholds (nil: no box evaluation, e.g. semantic segmentation).
    public let evaluation: EvaluationSettings?
    let recognizesCheckpoint: (@Sendable (Checkpoint) -> Bool)?
    let loadCheckpoint: (@Sendable (Checkpoint, LoadRequest) throws -> LoadedModel)?
    let recognizesONNX: (@Sendable (ONNXModel) -> Bool)?
    let loadONNX: (@Sendable (ONNXModel, String) throws -> LoadedModel)?
}

public enum ModelFamilies {
    /// Every family, in the order files are tried: the torchvision families (recognised by their heads' tensor names),
    /// YOLOX and YOLOv8 (by their module names), then YOLOv5, which takes any remaining checkpoint and names what
    /// is missing when it is not one.
    public static let all: [ModelFamily] = [
        ModelFamily(
            name: "torchvision semantic segmentation", produces: [.fcn, .deeplabv3, .lraspp],
            architectures: SemanticArchitecture.allCases.map(\.rawValue),
            bench: ReferenceBench(script: "tools/bench_segmentation_peers.py", checkpointEngines: ReferenceBench.torchAndONNXEngines,
                                  onnxEngines: [], fromBytes: false),
            evaluation: nil,
            recognizesCheckpoint: { SemanticCheckpoint.recognizes($0) },
            loadCheckpoint: { checkpoint, request in
                .semantic(try TorchvisionSegmenter.load(checkpoint, architecture: request.architecture.flatMap(SemanticArchitecture.init),
                                                        name: request.name))
            },
            recognizesONNX: nil, loadONNX: nil),
        ModelFamily(
            name: "torchvision Faster/Mask R-CNN", produces: [.fasterRCNN, .maskRCNN],
            architectures: FasterRCNNArchitecture.allCases.map(\.rawValue),
            bench: ReferenceBench(script: "tools/bench_fasterrcnn_peers.py", checkpointEngines: ReferenceBench.torchAndONNXEngines,
                                  onnxEngines: [], fromBytes: false),
            evaluation: EvaluationSettings(confidence: nil, iou: nil, maxDetections: nil, source: "torchvision references/detection (the model's own box_score_thresh, nms_thresh, detections_per_img)"),
            recognizesCheckpoint: { TorchvisionCheckpoint.isFasterRCNN($0) },
            loadCheckpoint: { checkpoint, request in
                let arch = try request.architecture.flatMap(FasterRCNNArchitecture.init)
                    ?? TorchvisionCheckpoint.architecture(checkpoint, fileName: ModelLoader.fileStem(request.path))
                let config = try TorchvisionCheckpoint.fitted(.defaults(for: arch), to: checkpoint)
                return .detector(try FasterRCNN.load(checkpoint, config: config, name: request.name))
            },
            recognizesONNX: nil, loadONNX: nil),
        ModelFamily(
            name: "torchvision SSD", produces: [.ssd],
            architectures: SSDArchitecture.allCases.map(\.rawValue),
            bench: ReferenceBench(script: "tools/bench_single_stage_peers.py", checkpointEngines: ReferenceBench.torchAndONNXEngines,
                                  onnxEngines: [], fromBytes: false),
            evaluation: EvaluationSettings(confidence: nil, iou: nil, maxDetections: nil, source: "torchvision references/detection (the model's own score_thresh, nms_thresh, detections_per_img)"),
            recognizesCheckpoint: { SSDCheckpoint.recognizes($0) },
            loadCheckpoint: { checkpoint, request in
                let arch = try request.architecture.flatMap(SSDArchitecture.init) ?? SSDCheckpoint.architecture(checkpoint)
                let config = try SSDCheckpoint.fitted(.defaults(for: arch), to: checkpoint)
                return .detector(try SSD.load(checkpoint, config: config, name: request.name))
            },
            recognizesONNX: nil, loadONNX: nil),
        ModelFamily(
            name: "torchvision RetinaNet", produces: [.retinanet],
            architectures: RetinaNetArchitecture.allCases.map(\.rawValue),
            bench: ReferenceBench(script: "tools/bench_single_stage_peers.py", checkpointEngines: ReferenceBench.torchAndONNXEngines,
                                  onnxEngines: [], fromBytes: false),
            evaluation: EvaluationSettings(confidence: nil, iou: nil, maxDetections: nil, source: "torchvision references/detection (the model's own score_thresh, nms_thresh, detections_per_img)"),
            recognizesCheckpoint: { RetinaNetCheckpoint.recognizes($0) },
            loadCheckpoint: { checkpoint, request in
                let arch = try request.architecture.flatMap(RetinaNetArchitecture.init) ?? RetinaNetCheckpoint.architecture(checkpoint)
                let config = try RetinaNetCheckpoint.fitted(.defaults(for: arch), to: checkpoint)
                return .detector(try RetinaNet.load(checkpoint, config: config, name: request.name))
            },
            recognizesONNX: nil, loadONNX: nil),
        ModelFamily(
            name: "torchvision image classification", produces: [.classification],
            architectures: ClassificationArchitecture.allCases.map(\.rawValue),
            bench: ReferenceBench(script: "tools/bench_classification_peers.py", checkpointEngines: ReferenceBench.torchAndONNXEngines,
                                  onnxEngines: [], fromBytes: false),
            evaluation: nil,
            recognizesCheckpoint: { ClassificationCheckpoint.recognizes($0) },
            loadCheckpoint: { checkpoint, request in
                .classifier(try TorchvisionClassifier.load(checkpoint, architecture: request.architecture.flatMap(ClassificationArchitecture.init),
                                                           name: request.name))
            },
            recognizesONNX: nil, loadONNX: nil),
        // Built around a classifier (`--rcnn-classifier`, an rcnn manifest), never recognised from a file of its own.
        ModelFamily(
            name: "R-CNN (a classifier over warped region proposals)", produces: [.rcnn], architectures: [], bench: nil,
            evaluation: EvaluationSettings(confidence: nil, iou: nil, maxDetections: nil, source: "the model's own score_thresh, nms_thresh, detections_per_img"),
            recognizesCheckpoint: nil, loadCheckpoint: nil, recognizesONNX: nil, loadONNX: nil),
        ModelFamily(
            name: "YOLOX", produces: [.yolox], architectures: [],
            bench: ReferenceBench(script: "tools/bench_yolo_peers.py", checkpointEngines: [], onnxEngines: ReferenceBench.onnxFileEngines,
                                  fromBytes: false),
            evaluation: EvaluationSettings(confidence: 0.01, iou: 0.65, maxDetections: DetectOptions.maxDetectionsLimit, source: "YOLOX COCOEvaluator (test_conf 0.01, nmsthre 0.65, no cap)"),
            recognizesCheckpoint: { YOLOX.recognizes($0) },
            loadCheckpoint: { checkpoint, request in .detector(try YOLOX.load(checkpoint, name: request.name)) },
            recognizesONNX: { YOLOXONNX.recognizes($0) },
            loadONNX: { graph, name in
                let names = graph.metadata["names"].flatMap { try? PythonLiteral.parse($0) }?.classNames
                return .detector(try YOLOXONNX.load(graph, name: name, classNames: names))
            }),
        ModelFamily(
            name: "YOLOv8", produces: [.yolov8], architectures: [],
            bench: ReferenceBench(script: "tools/bench_yolo_peers.py", checkpointEngines: ReferenceBench.torchAndONNXEngines,
                                  onnxEngines: ReferenceBench.onnxFileEngines, fromBytes: false),
            evaluation: EvaluationSettings(confidence: 0.001, iou: 0.7, maxDetections: 300, source: "Ultralytics val (conf 0.001, iou 0.7, max_det 300)"),
            recognizesCheckpoint: { YOLOv8.recognizes($0) },
            loadCheckpoint: { checkpoint, request in .detector(try YOLOv8.load(checkpoint, name: request.name)) },
            recognizesONNX: { UltralyticsONNX.recognizes($0) },
            loadONNX: { graph, name in .detector(try UltralyticsONNX.load(graph, name: name)) }),
        ModelFamily(
            name: "YOLOv5", produces: [.yolov5], architectures: [],
            bench: ReferenceBench(script: "tools/bench_yolov5_peers.py", checkpointEngines: ReferenceBench.torchAndONNXEngines,
                                  onnxEngines: [], fromBytes: true),
            evaluation: EvaluationSettings(confidence: 0.001, iou: 0.6, maxDetections: 300, source: "YOLOv5 val.py (conf 0.001, iou 0.6, max_det 300)"),
            recognizesCheckpoint: { _ in true },
            loadCheckpoint: { checkpoint, request in .detector(try YOLOv5.load(checkpoint, name: request.name)) },
            recognizesONNX: nil, loadONNX: nil),
    ]

    /// The family that builds models of `id`.
    public static func family(of id: ModelFamilyID) -> ModelFamily? { all.first { $0.produces.contains(id) } }

    /// The family `--arch name` belongs to.
    public static func family(architecture: String) -> ModelFamily? { all.first { $0.architectures.contains(architecture) } }

    /// The evaluation thresholds for a family's models; families without their own (and models of no registered
    /// family) get YOLOv5 val.py's, the low-score tail mAP needs.
    public static func evaluation(of id: ModelFamilyID) -> EvaluationSettings {
        family(of: id)?.evaluation ?? EvaluationSettings(confidence: 0.001, iou: 0.6, maxDetections: 300,
                                                          source: "YOLOv5 val.py (conf 0.001, iou 0.6, max_det 300)")
    }

    /// Every builder name `--arch` accepts.
    public static var architectures: [String] { all.flatMap(\.architectures) }
}

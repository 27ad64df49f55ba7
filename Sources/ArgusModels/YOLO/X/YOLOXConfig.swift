/// A YOLOX model's hyper-parameters as its checkpoint's tensors fix them (the exps' `depth`, `width`,
/// depthwise flag, `num_classes`), with the released variant they match and its test size.
public struct YOLOXConfig: Sendable, Equatable {
    /// `int(64 * width)`: the Focus stem's output channels; every other width is a multiple of it.
    public let baseChannels: Int
    /// Bottlenecks per CSP layer: `max(round(3 * depth), 1)` (dark2, dark5 and the PAFPN; dark3 / dark4 have 3x).
    public let baseDepth: Int
    /// Whether the 3x3 convs are `DWConv` (depthwise + pointwise), as in YOLOX-Nano.
    public let depthwise: Bool
    public let classCount: Int

    /// The exps' width multiplier (`base / 64`).
    public var width: Double { Double(baseChannels) / 64 }

    /// The released variant with these settings (exps/default/yolox_*.py), if any.
    public var variant: String? {
        let known: [(String, Int, Int, Bool)] = [("nano", 16, 1, true), ("tiny", 24, 1, false), ("s", 32, 1, false),
                                                 ("m", 48, 2, false), ("l", 64, 3, false), ("x", 80, 4, false)]
        return known.first { $0.1 == baseChannels && $0.2 == baseDepth && $0.3 == depthwise }?.0
    }

    /// The exps' `test_size`: 416 for Nano and Tiny, 640 for S/M/L/X; other settings follow the nearest of those
    /// (416 below width 0.5 or when depthwise).
    public var inputSize: Int {
        if let variant { return variant == "nano" || variant == "tiny" ? 416 : 640 }
        return depthwise || baseChannels < 32 ? 416 : 640
    }

    /// The tensor names that mark a YOLOX checkpoint (YOLOX(YOLOPAFPN, YOLOXHead)'s state dict).
    static let markers = ["backbone.backbone.stem.conv.conv.weight", "backbone.lateral_conv0.conv.weight",
                          "head.cls_preds.0.weight", "head.obj_preds.0.weight", "head.reg_preds.0.weight"]

    /// True when the checkpoint has YOLOX's state-dict names.
    static func recognizes(_ w: any WeightSource) -> Bool {
        markers.allSatisfy { w.contains($0) }
    }

    /// Reads the settings from the tensors: width from the stem's channels, depth from dark2's bottlenecks,
    /// depthwise from `dconv` / `pconv` names, classes from `head.cls_preds.0`.
    init(_ w: any WeightSource) throws {
        guard Self.recognizes(w) else {
            throw ModelError.unsupportedCheckpoint("not a YOLOX state dict: it lacks "
                + Self.markers.filter { !w.contains($0) }.joined(separator: ", "))
        }
        let stem = w.shape("backbone.backbone.stem.conv.conv.weight")!
        let cls = w.shape("head.cls_preds.0.weight")!
        guard stem.count == 4, stem[1] == 12, stem[0] >= 2, stem[0] % 2 == 0 else {
            throw ModelError.unsupportedCheckpoint("YOLOX stem conv must be [C, 12, k, k] with even C, got \(stem)")
        }
        guard cls.count == 4, cls[0] >= 1, cls[2] == 1, cls[3] == 1 else {
            throw ModelError.unsupportedCheckpoint("head.cls_preds.0.weight must be [classes, C, 1, 1], got \(cls)")
        }
        baseChannels = stem[0]
        classCount = cls[0]
        depthwise = w.contains("backbone.backbone.dark2.0.dconv.conv.weight")
        baseDepth = CSPLayer.bottleneckCount(w, "backbone.backbone.dark2.1")
        guard baseDepth >= 1 else {
            throw ModelError.unsupportedCheckpoint("YOLOX dark2 CSP layer has no bottlenecks (backbone.backbone.dark2.1.m.0)")
        }
    }

    init(baseChannels: Int, baseDepth: Int, depthwise: Bool, classCount: Int) {
        self.baseChannels = baseChannels; self.baseDepth = baseDepth
        self.depthwise = depthwise; self.classCount = classCount
    }
}

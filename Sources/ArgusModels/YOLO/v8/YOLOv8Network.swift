import ArgusTensor
import Foundation

/// The Ultralytics 8 network built from its yaml, layer by layer as `parse_model` builds `model.0` ... `model.22`:
/// channels `make_divisible(min(c, max_channels) * width, 8)`, repeats `max(round(n * depth), 1)`.
///
/// Modules: Conv, C2f, SPPF, nn.Upsample, Concat, Detect, Segment (YOLOv8's whole vocabulary); anything else
/// (YOLO11's C3k2 / C2PSA, YOLOv9's ELAN, ...) is refused with `ModelError.malformedConfig` naming it.
struct YOLOv8Network {
    enum Layer {
        case conv(ConvBlock)
        case c2f(C2f)
        case sppf(SPPF)
        case upsample(scale: Int)
        case concat
    }

    struct Node {
        /// Inputs: -1 is the raw input (layer 0 only), others are absolute layer indices.
        let from: [Int]
        let layer: Layer
    }

    let nodes: [Node]
    /// Layers whose outputs the head or a later non-adjacent layer reads.
    let saved: Set<Int>
    /// The Detect/Segment layer's inputs (absolute layer indices).
    let headInputs: [Int]
    let head: YOLOv8Head
    /// The largest stride of the detection levels (the input must be a multiple of it).
    let maxStride: Int

    /// Module names this builder understands (the last dotted component, `nn.Upsample` -> `Upsample`).
    static let supportedModules: Set<String> = ["Conv", "C2f", "SPPF", "Upsample", "Concat", "Detect", "Segment"]

    init(config: YOLOConfig, weights w: any WeightSource) throws {
        let act = try YOLOv5Network.activation(config.activation)
        var channels: [Int] = [], strides: [Int] = []
        var nodes: [Node] = []
        var head: YOLOv8Head?
        var headInputs: [Int] = []

        for (i, row) in config.rows.enumerated() {
            let prefix = "model.\(i)"
            let module = row.module.split(separator: ".").last.map(String.init) ?? row.module
            guard Self.supportedModules.contains(module) else {
                throw ModelError.malformedConfig("layer \(i): module \(row.module) is not supported for YOLOv8 "
                    + "(supported: Conv, C2f, SPPF, nn.Upsample, Concat, Detect, Segment)")
            }
            let from = try row.from.map { f -> Int in
                let j = f < 0 ? i + f : f
                guard j >= -1, j < i, !(j == -1 && i > 0) else {
                    throw ModelError.malformedConfig("layer \(i) reads from \(f), which does not exist yet")
                }
                return j
            }
            let (c1, s1) = from[0] == -1 ? (3, 1) : (channels[from[0]], strides[from[0]])
            let args = row.args
            func int(_ k: Int, _ fallback: Int?) throws -> Int? {
                // PyYAML reads a bare `None` as the string "None", which parse_model evals to None.
                guard k < args.count, !args[k].isNone, args[k].string != "None" else { return fallback }
                if args[k].string == "nc" { return config.classCount }
                guard let v = args[k].int else { throw ModelError.malformedConfig("layer \(i) (\(row.module)): argument \(k) must be an int") }
                return v
            }
            func bool(_ k: Int, _ fallback: Bool) -> Bool {
                guard k < args.count else { return fallback }
                return args[k].bool ?? args[k].string.map { $0 == "True" } ?? fallback
            }
            func outChannels() throws -> Int {
                guard let c = try int(0, nil), c >= 1 else { throw ModelError.malformedConfig("layer \(i): output channels missing") }
                return config.scaledWidth(c)
            }
            let n = config.scaledDepth(row.number)
            if n > 1, module != "C2f" {
                throw ModelError.malformedConfig("layer \(i): \(module) repeated \(n) times is not supported")
            }
            var c2 = c1, s2 = s1
            let layer: Layer
            switch module {
            case "Conv":
                c2 = try outChannels()
                let k = try int(1, 1)!, s = try int(2, 1)!, p = try int(3, nil), g = try int(4, 1)!, d = try int(5, 1)!
                guard k >= 1, s >= 1, g >= 1, d >= 1 else { throw ModelError.malformedConfig("layer \(i): bad Conv arguments") }
                let a = try w.activation(at: prefix, fallback: bool(6, true) ? act : nil)
                layer = .conv(try ConvBlock(w, prefix, c1: c1, c2: c2, k: k, s: s, p: p, g: g, d: d, act: a))
                s2 = s1 * s
            case "C2f":
                c2 = try outChannels()
                let shortcut = bool(1, false), g = try int(2, 1)!
                let e = args.count > 3 ? (args[3].double ?? 0.5) : 0.5
                layer = .c2f(try C2f(w, prefix, c1: c1, c2: c2, n: n, shortcut: shortcut, g: g, e: e, act: act))
            case "SPPF":
                c2 = try outChannels()
                let k = try int(1, 5)!
                // Ultralytics pickles `n` and `add` on the module; older releases have neither (3 pools, no add).
                let pickled = w.module(prefix)
                let yamlRepeats = try int(2, 3)!
                let repeats = pickled?["n"]?.int ?? yamlRepeats
                let add = pickled?["add"]?.bool ?? (bool(3, false) && c1 == c2)
                layer = .sppf(try SPPF(w, prefix, c1: c1, c2: c2, k: k, n: repeats, shortcut: add,
                                       act: w.activation(at: "\(prefix).cv2", fallback: act),
                                       cv1Act: .some(w.activation(at: "\(prefix).cv1", fallback: act))))
            case "Upsample":
                guard args.count > 2, args[2].string == "nearest", let scale = args[1].int, scale >= 1 else {
                    throw ModelError.malformedConfig("layer \(i): only nearest Upsample by an integer scale is supported")
                }
                guard s1 % scale == 0 else { throw ModelError.malformedConfig("layer \(i): upsampling below stride 1") }
                layer = .upsample(scale: scale)
                s2 = s1 / scale
            case "Concat":
                guard args.isEmpty || args[0].int == 1 else { throw ModelError.malformedConfig("layer \(i): Concat only on channels") }
                c2 = try from.reduce(0) { sum, f in
                    guard f >= 0 else { throw ModelError.malformedConfig("layer \(i): Concat of the raw input") }
                    return sum + channels[f]
                }
                guard Set(from.map { strides[$0] }).count == 1 else {
                    throw ModelError.malformedConfig("layer \(i): Concat of maps with different strides")
                }
                layer = .concat
            default:  // Detect, Segment
                guard i == config.rows.count - 1 else { throw ModelError.malformedConfig("\(module) must be the last layer") }
                guard !config.endToEnd else {
                    throw ModelError.malformedConfig("end2end (NMS-free one-to-one) heads are not supported for YOLOv8")
                }
                guard from.allSatisfy({ $0 >= 0 }) else { throw ModelError.malformedConfig("\(module) reads the raw input") }
                if let nc = try int(0, config.classCount), nc != config.classCount {
                    throw ModelError.malformedConfig("\(module) nc \(nc) differs from the yaml's nc \(config.classCount)")
                }
                var masks = 0, protoChannels = 0
                if module == "Segment" {
                    masks = try int(1, 32)!
                    // parse_model scales npr like a channel count.
                    protoChannels = config.scaledWidth(try int(2, 256)!)
                    guard masks >= 1 else { throw ModelError.malformedConfig("Segment needs at least one mask") }
                }
                head = try YOLOv8Head(w, prefix, classCount: config.classCount, regMax: config.regMax, masks: masks,
                                      protoChannels: protoChannels, inChannels: from.map { channels[$0] },
                                      strides: from.map { strides[$0] }, act: act)
                headInputs = from
                channels.append(0); strides.append(0)
                continue
            }
            nodes.append(Node(from: from, layer: layer))
            channels.append(c2)
            strides.append(s2)
        }
        guard let head else { throw ModelError.malformedConfig("the yaml has no Detect or Segment layer") }
        self.nodes = nodes
        self.head = head
        self.headInputs = headInputs
        self.maxStride = head.strides.max() ?? 32
        // The previous layer's output is always at hand; only skip connections and head inputs need keeping.
        var saved = Set(nodes.enumerated().flatMap { i, node in node.from.filter { $0 >= 0 && $0 != i - 1 } })
        saved.formUnion(headInputs)
        self.saved = saved
    }

    /// Runs the network on a `[1, 3, H, W]` input (H, W multiples of `maxStride`); returns the head output.
    func callAsFunction(_ input: Tensor) throws -> YOLOv8HeadOutput {
        guard input.rank == 4, input.shape[0] == 1, input.shape[1] == 3,
              input.shape[2] % maxStride == 0, input.shape[3] % maxStride == 0 else {
            throw ModelError.invalidOption("YOLOv8 input must be [1, 3, H, W] with H, W multiples of \(maxStride), got \(input.shape)")
        }
        var outputs = [Int: Tensor]()
        var x = input
        for (i, node) in nodes.enumerated() {
            let inputs = node.from.map { $0 == -1 || $0 == i - 1 ? x : outputs[$0]! }
            x = try Self.run(node.layer, inputs)
            if saved.contains(i) { outputs[i] = x }
        }
        return try head(headInputs.map { outputs[$0]! })
    }

    private static func run(_ layer: Layer, _ inputs: [Tensor]) throws -> Tensor {
        switch layer {
        case .conv(let m): return try m(inputs[0])
        case .c2f(let m): return try m(inputs[0])
        case .sppf(let m): return try m(inputs[0])
        case .upsample(let scale): return try interpolateNearest(inputs[0], scaleFactor: Double(scale))
        case .concat: return try concat(inputs, axis: 1)
        }
    }
}

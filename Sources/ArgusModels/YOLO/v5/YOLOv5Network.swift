import ArgusTensor
import Foundation

/// The YOLOv5 network built from its yaml, layer by layer as `parse_model` builds `model.0` ... `model.24`.
struct YOLOv5Network {
    enum Layer {
        case conv(ConvBlock)
        case c3(C3)
        case bottleneck(Bottleneck)
        case sppf(SPPF)
        case spp(SPP)
        case focus(Focus)
        case upsample(scale: Int)
        case concat
        case detect(YOLODetect)
        /// `n > 1` copies of a plain module, as `nn.Sequential` (`model.i.0`, `model.i.1`, ...).
        indirect case sequential([Layer])
    }

    struct Node {
        /// Inputs: -1 is the previous layer, others are absolute layer indices.
        let from: [Int]
        let layer: Layer
    }

    let nodes: [Node]
    /// Which layer outputs later layers read (so the rest can be dropped early).
    let saved: Set<Int>
    let detect: YOLODetect
    /// The largest stride of the detection levels (the input must be a multiple of it).
    let maxStride: Int

    init(config: YOLOConfig, weights w: any WeightSource) throws {
        let act = try Self.activation(config.activation)
        var channels: [Int] = []       // output channels per layer
        var strides: [Int] = []        // output stride per layer
        var nodes: [Node] = []
        var detect: YOLODetect?
        let no = config.anchorsPerLevel * (config.classCount + 5)

        for (i, row) in config.rows.enumerated() {
            let prefix = "model.\(i)"
            let from = try row.from.map { f -> Int in
                let j = f < 0 ? i + f : f
                guard j >= -1, j < i, !(j == -1 && i > 0) else {
                    throw ModelError.malformedConfig("layer \(i) reads from \(f), which does not exist yet")
                }
                return j
            }
            func input(_ k: Int = 0) -> (channels: Int, stride: Int) {
                from[k] == -1 ? (3, 1) : (channels[from[k]], strides[from[k]])
            }
            let args = row.args
            func int(_ k: Int, _ fallback: Int?) throws -> Int? {
                // PyYAML reads a bare `None` as the string "None", which parse_model evals to None.
                guard k < args.count, !args[k].isNone, args[k].string != "None" else { return fallback }
                guard let v = args[k].int else { throw ModelError.malformedConfig("layer \(i) (\(row.module)): argument \(k) must be an int") }
                return v
            }
            func bool(_ k: Int, _ fallback: Bool) -> Bool { k < args.count ? (args[k].bool ?? fallback) : fallback }
            let n = config.scaledDepth(row.number)
            let module = row.module.split(separator: ".").last.map(String.init) ?? row.module
            let (c1, s1) = input()
            func outChannels() throws -> Int {
                guard let c = try int(0, nil) else { throw ModelError.malformedConfig("layer \(i): output channels missing") }
                return c == no ? c : config.scaledWidth(c)
            }

            var c2 = c1, s2 = s1
            let layer: Layer
            // Builds `n` copies (n > 1: nn.Sequential children `prefix.k`) of a plain module.
            func repeated(_ make: (String, Int) throws -> Layer) throws -> Layer {
                if n == 1 { return try make(prefix, c1) }
                return .sequential(try (0..<n).map { k in try make("\(prefix).\(k)", k == 0 ? c1 : c2) })
            }
            switch module {
            case "Conv":
                c2 = try outChannels()
                let k = try int(1, 1)!, s = try int(2, 1)!, p = try int(3, nil), g = try int(4, 1)!, d = try int(5, 1)!
                let a = bool(6, true) ? act : nil
                layer = try repeated { pre, cin in .conv(try ConvBlock(w, pre, c1: cin, c2: c2, k: k, s: s, p: p, g: g, d: d, act: a)) }
                s2 = s1 * Int(pow(Double(s), Double(n)))
            case "C3":
                c2 = try outChannels()
                let shortcut = bool(1, true), g = try int(2, 1)!
                let e = args.count > 3 ? (args[3].double ?? 0.5) : 0.5
                layer = .c3(try C3(w, prefix, c1: c1, c2: c2, n: n, shortcut: shortcut, g: g, e: e, act: act))
            case "Bottleneck":
                c2 = try outChannels()
                let shortcut = bool(1, true), g = try int(2, 1)!
                let e = args.count > 3 ? (args[3].double ?? 0.5) : 0.5
                layer = try repeated { pre, cin in .bottleneck(try Bottleneck(w, pre, c1: cin, c2: c2, shortcut: shortcut, g: g, e: e, act: act)) }
            case "SPPF":
                c2 = try outChannels()
                let k = try int(1, 5)!
                layer = try repeated { pre, cin in .sppf(try SPPF(w, pre, c1: cin, c2: c2, k: k, act: act)) }
            case "SPP":
                c2 = try outChannels()
                let ks = args.count > 1 ? (args[1].ints ?? [5, 9, 13]) : [5, 9, 13]
                layer = try repeated { pre, cin in .spp(try SPP(w, pre, c1: cin, c2: c2, k: ks, act: act)) }
            case "Focus":
                c2 = try outChannels()
                let k = try int(1, 1)!, s = try int(2, 1)!, p = try int(3, nil), g = try int(4, 1)!
                let a = bool(5, true) ? act : nil
                layer = .focus(try Focus(w, prefix, c1: c1, c2: c2, k: k, s: s, p: p, g: g, act: a))
                s2 = s1 * 2 * s
            case "Upsample":
                guard args.count > 2, args[2].string == "nearest", let scale = args[1].int, scale >= 1 else {
                    throw ModelError.malformedConfig("layer \(i): only nearest Upsample by an integer scale is supported")
                }
                layer = .upsample(scale: scale)
                guard s1 % scale == 0 else { throw ModelError.malformedConfig("layer \(i): upsampling below stride 1") }
                s2 = s1 / scale
            case "Concat":
                guard args.isEmpty || args[0].int == 1 else { throw ModelError.malformedConfig("layer \(i): Concat only on channels") }
                c2 = try from.indices.reduce(0) { sum, k in
                    guard from[k] >= 0 else { throw ModelError.malformedConfig("layer \(i): Concat of the raw input") }
                    return sum + channels[from[k]]
                }
                layer = .concat
            case "Detect":
                guard i == config.rows.count - 1 else { throw ModelError.malformedConfig("Detect must be the last layer") }
                let inputs = from.map { ($0 >= 0 ? channels[$0] : 3, $0 >= 0 ? strides[$0] : 1) }
                let head = try YOLODetect(w, prefix, classCount: config.classCount, anchorsPerLevel: config.anchorsPerLevel,
                                          anchorsPixels: config.anchors,
                                          inChannels: inputs.map(\.0), strides: inputs.map(\.1))
                detect = head
                layer = .detect(head)
            default:
                throw ModelError.malformedConfig("layer \(i): module \(row.module) is not supported for YOLOv5")
            }
            nodes.append(Node(from: from, layer: layer))
            channels.append(c2)
            strides.append(s2)
        }
        guard let detect else { throw ModelError.malformedConfig("the yaml has no Detect layer") }
        self.nodes = nodes
        self.detect = detect
        self.maxStride = Int(detect.levels.map(\.stride).max() ?? 32)
        // The previous layer's output is always at hand; only skip connections need keeping.
        self.saved = Set(nodes.enumerated().flatMap { i, node in node.from.filter { $0 >= 0 && $0 != i - 1 } })
    }

    /// The yaml's `activation` (e.g. `nn.LeakyReLU(0.1)`), SiLU when absent.
    static func activation(_ spec: String?) throws -> Activation? {
        guard let spec, !spec.isEmpty else { return .silu }
        let name = spec.replacingOccurrences(of: "nn.", with: "")
        if name.hasPrefix("SiLU") { return .silu }
        if name.hasPrefix("ReLU6") { return .relu6 }
        if name.hasPrefix("ReLU") { return .relu }
        if name.hasPrefix("Hardswish") { return .hardswish }
        if name.hasPrefix("Identity") { return nil }
        if name.hasPrefix("LeakyReLU") {
            let inside = name.drop(while: { $0 != "(" }).dropFirst().prefix(while: { $0 != ")" })
            return .leakyReLU(slope: Float(inside) ?? 0.01)
        }
        throw ModelError.malformedConfig("activation \(spec) is not supported")
    }

    /// Runs the network on a `[1, 3, H, W]` input; returns the decoded head rows (only those whose objectness is
    /// above `objectnessAbove`, when given: `YOLODetect`).
    func callAsFunction(_ input: Tensor, objectnessAbove threshold: Float? = nil) throws -> (rows: Int, values: [Float]) {
        var outputs = [Int: Tensor]()
        var x = input
        for (i, node) in nodes.enumerated() {
            let inputs = node.from.map { $0 == -1 || $0 == i - 1 ? x : outputs[$0]! }
            if case .detect(let head) = node.layer { return try head(inputs, objectnessAbove: threshold) }
            x = try Self.run(node.layer, inputs)
            if saved.contains(i) { outputs[i] = x }
        }
        throw ModelError.malformedConfig("the network ended without a Detect layer")
    }

    private static func run(_ layer: Layer, _ inputs: [Tensor]) throws -> Tensor {
        switch layer {
        case .conv(let m): return try m(inputs[0])
        case .c3(let m): return try m(inputs[0])
        case .bottleneck(let m): return try m(inputs[0])
        case .sppf(let m): return try m(inputs[0])
        case .spp(let m): return try m(inputs[0])
        case .focus(let m): return try m(inputs[0])
        case .upsample(let scale): return try interpolateNearest(inputs[0], scaleFactor: Double(scale))
        case .concat: return try concat(inputs, axis: 1)
        case .sequential(let layers):
            var y = inputs[0]
            for l in layers { y = try run(l, [y]) }
            return y
        case .detect: preconditionFailure("Detect is handled by the caller")
        }
    }
}

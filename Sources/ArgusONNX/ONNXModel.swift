import ArgusTensor
import Foundation

/// A graph input or output: name, element type ("FLOAT", "INT64", ...) and shape (nil = symbolic or unknown dim).
public struct ONNXTensorInfo: Sendable, Equatable {
    public let name: String
    public let elementType: String
    public let shape: [Int?]

    public init(name: String, elementType: String, shape: [Int?]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}

/// An ONNX model read natively from its protobuf bytes and run as a graph on ArgusTensor kernels.
/// Immutable after loading; `run` is safe to call from several threads at once.
public struct ONNXModel: Sendable {
    public let irVersion: Int
    public let producerName: String
    /// The opset of the default ("" / "ai.onnx") domain.
    public let opsetVersion: Int
    /// The model's metadata_props.
    public let metadata: [String: String]
    /// Graph inputs that are not initializers (what `run` needs fed).
    public let inputs: [ONNXTensorInfo]
    public let outputs: [ONNXTensorInfo]
    /// How many nodes of each op_type the file's graph has (before constant folding and fusion).
    public let operatorCounts: [String: Int]
    /// The op_type of every node in the file's graph, e.g. to tell a decode-in-graph export (it has "Exp")
    /// from a raw-head one.
    public var operatorTypes: Set<String> { Set(operatorCounts.keys) }
    private let plan: Plan

    /// Reads and validates the file at `path` (ONNXError on anything wrong, also an unreadable file).
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ONNXError.invalidInput("cannot read \(path)")
        }
        try self.init(bytes: [UInt8](data))
    }

    /// Parses and validates a serialized ModelProto: wire format, every op/attribute/type supported,
    /// every node input produced, initializer sizes consistent.
    public init(bytes: [UInt8]) throws {
        let model = try ModelMessage(ProtoReader(bytes, range: 0..<bytes.count))
        guard let graph = model.graph else { throw ONNXError.malformed("no graph (is this an ONNX model file?)") }
        guard !model.hasFunctions else { throw ONNXError.unsupported("model-local functions") }
        guard let opset = model.opsets.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })?.version else {
            throw ONNXError.malformed("no opset_import for the default domain")
        }
        guard opset >= 1, opset <= 1000 else { throw ONNXError.malformed("opset \(opset)") }
        irVersion = Int(truncatingIfNeeded: model.irVersion)
        producerName = model.producerName
        opsetVersion = Int(opset)
        metadata = Dictionary(model.metadata, uniquingKeysWith: { _, last in last })
        var compiler = GraphCompiler(bytes: bytes, opset: Int(opset))
        let (plan, feeds) = try compiler.compile(graph)
        self.plan = plan
        inputs = feeds.map { ONNXTensorInfo($0.0) }
        outputs = graph.outputs.map { ONNXTensorInfo($0) }
        operatorCounts = graph.nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
    }

    /// Runs the graph; feeds by input name (float tensors). Returns every graph output as a float Tensor.
    public func run(_ feeds: [String: Tensor]) throws -> [String: Tensor] {
        var env = try environment(feeds)
        let values = try plan.execute(&env)
        var result: [String: Tensor] = [:]
        for (info, v) in zip(outputs, values) {
            let floats: [Float]
            if case .float(let f) = v.data { floats = f } else { floats = try v.ints(info.name).map { Float($0) } }
            result[info.name] = Tensor(shape: v.shape, storage: floats)
        }
        return result
    }

    /// Runs the graph `runs` times (after one warm-up) and times every operator: the median per node, with its
    /// shapes and, for convolutions, the floating-point operations it performs.
    public func profile(_ feeds: [String: Tensor], runs: Int) throws -> [OperatorTiming] {
        var times = [[UInt64]](repeating: [], count: plan.steps.count)
        var shapes = [([[Int]], [[Int]])](repeating: ([], []), count: plan.steps.count)
        for run in 0...max(1, runs) {
            var env = try environment(feeds)
            _ = try plan.execute(&env) { index, args, results, nanoseconds in
                guard run > 0 else { return }
                times[index].append(nanoseconds)
                if run == 1 { shapes[index] = (args.map { $0?.shape ?? [] }, results.map(\.shape)) }
            }
        }
        return plan.steps.enumerated().map { index, step in
            let sorted = times[index].sorted()
            let opType = String(step.label.prefix { $0 != " " })
            var (inputShapes, outputShapes) = shapes[index]
            if let fused = step.kernel as? ConcatConvKernel, var whole = inputShapes.first, whole.count == 4 {
                // Shown as the conv of the concatenation it reads in place.
                whole[1] = inputShapes.reduce(0) { $0 + ($1.count == 4 ? $1[1] : 0) }
                inputShapes = [whole, fused.weights.weight.shape]
            }
            var flops: Double?
            if opType == "Conv" || opType == "ConvInteger", inputShapes.count > 1, inputShapes[1].count == 4,
               let out = outputShapes.first, out.count == 4 {
                let w = inputShapes[1]
                flops = 2 * Double(out[0] * out[1] * out[2] * out[3]) * Double(w[1] * w[2] * w[3])
            }
            return OperatorTiming(opType: opType, label: step.label, inputShapes: inputShapes, outputShapes: outputShapes,
                                  milliseconds: sorted.isEmpty ? 0 : Double(sorted[sorted.count / 2]) / 1e6, flops: flops)
        }
    }

    private func environment(_ feeds: [String: Tensor]) throws -> [Value?] {
        var env = plan.initial
        for name in feeds.keys where !inputs.contains(where: { $0.name == name }) {
            throw ONNXError.invalidInput("no graph input named '\(name)' (inputs: \(inputs.map(\.name)))")
        }
        for (info, slot) in zip(inputs, plan.inputSlots) {
            guard let t = feeds[info.name] else { throw ONNXError.invalidInput("missing feed for input '\(info.name)'") }
            guard t.shape.count == info.shape.count,
                  zip(t.shape, info.shape).allSatisfy({ $1 == nil || $0 == $1! }) else {
                throw ONNXError.invalidInput("input '\(info.name)' has shape \(t.shape), the model expects \(info.shape.map { $0.map(String.init) ?? "?" })")
            }
            env[slot] = Value(t)
        }
        return env
    }
}

/// One operator of a profiled run (`ONNXModel.profile`).
public struct OperatorTiming: Sendable {
    public var opType: String
    /// The node as messages name it: `Conv node 'name'`.
    public var label: String
    public var inputShapes: [[Int]]
    public var outputShapes: [[Int]]
    /// Median wall time of the operator, in milliseconds.
    public var milliseconds: Double
    /// 2 x multiply-adds of a convolution (from its weight and output shapes); nil for other operators.
    public var flops: Double?
}

extension ONNXTensorInfo {
    init(_ v: ValueInfoMessage) {
        name = v.name
        elementType = ElementType.name(of: v.elemType)
        shape = (v.dims ?? []).map { d in d.value.flatMap { $0 >= 0 && $0 <= Int64(Int32.max) ? Int($0) : nil } }
    }
}

import ArgusTensor

/// One compiled graph node: attributes parsed and checked at load, run on values at inference time.
protocol Kernel: Sendable {
    /// The element types of the outputs for these input types (nil = optional input left out);
    /// throws `unsupported` for a type combination the kernel cannot run. Checked once at load.
    func outputTypes(_ inputs: [ElementType?]) throws -> [ElementType]
    /// Runs the node. `inputs` has one entry per declared input (nil = omitted optional input).
    func run(_ inputs: [Value?]) throws -> [Value]
}

/// What a kernel factory sees of its node: the parsed attributes and which inputs are load-time constants.
struct NodeContext {
    let node: NodeMessage
    let opset: Int
    let attributes: Attributes
    /// Constant values of the inputs known at load (initializers and folded nodes), nil where not constant.
    let constants: [Value?]
    let fileBytes: [UInt8]
    /// The most bytes one output may take: `maxNodeOutputBytes`, or what is left of the load-time folding
    /// budget when every input is a constant (the node is evaluated at load, never again).
    var outputLimitBytes = maxNodeOutputBytes

    var label: String { "\(node.opType) node '\(node.name)'" }

    func input(_ i: Int) -> Value? { i < constants.count ? constants[i] : nil }

    /// Fails unless the node has between `min` and `max` inputs and exactly `outputs` outputs (or at most).
    func arity(inputs min: Int, _ max: Int, outputs: ClosedRange<Int> = 1...1) throws {
        guard node.inputs.count >= min, node.inputs.count <= max else {
            throw ONNXError.malformed("\(label) has \(node.inputs.count) inputs, expected \(min)...\(max)")
        }
        guard outputs.contains(node.outputs.count) else {
            throw ONNXError.malformed("\(label) has \(node.outputs.count) outputs, expected \(outputs)")
        }
        for i in 0..<min where node.inputs[i].isEmpty {
            throw ONNXError.malformed("\(label): required input \(i) is empty")
        }
    }
}

/// A node's attributes by name, with typed accessors; `check(allowed:)` refuses unknown names so
/// nothing the runtime would silently ignore slips through.
struct Attributes {
    let label: String
    private let byName: [String: AttributeMessage]

    init(_ node: NodeMessage, label: String) throws {
        self.label = label
        var d: [String: AttributeMessage] = [:]
        for a in node.attributes {
            guard d[a.name] == nil else { throw ONNXError.malformed("\(label): attribute '\(a.name)' given twice") }
            guard a.refAttrName == nil, !a.hasGraph, !a.hasOther else {
                throw ONNXError.unsupported("\(label): attribute '\(a.name)' of a kind this runtime does not read")
            }
            d[a.name] = a
        }
        byName = d
    }

    func check(allowed: Set<String>) throws {
        for name in byName.keys where !allowed.contains(name) {
            throw ONNXError.unsupported("\(label): attribute '\(name)'")
        }
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let a = byName[name] else { return value }
        guard let i = a.i, i >= Int64(Int32.min), i <= Int64(Int32.max) else {
            throw ONNXError.malformed("\(label): attribute '\(name)' is not a small integer")
        }
        return Int(i)
    }

    func float(_ name: String, default value: Float) throws -> Float {
        guard let a = byName[name] else { return value }
        guard let f = a.f else { throw ONNXError.malformed("\(label): attribute '\(name)' is not a float") }
        return f
    }

    func string(_ name: String, default value: String) throws -> String {
        guard let a = byName[name] else { return value }
        guard let s = a.s else { throw ONNXError.malformed("\(label): attribute '\(name)' is not a string") }
        return s
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = byName[name] else { return nil }
        guard a.i == nil, a.f == nil, a.s == nil else {
            throw ONNXError.malformed("\(label): attribute '\(name)' is not a list of integers")
        }
        return try a.ints.map { v in
            guard v >= Int64(Int32.min), v <= Int64(Int32.max) else {
                throw ONNXError.malformed("\(label): attribute '\(name)' value \(v) out of range")
            }
            return Int(v)
        }
    }

    func floats(_ name: String) throws -> [Float]? {
        guard let a = byName[name] else { return nil }
        return a.floats
    }

    func tensor(_ name: String) -> TensorProtoMessage? { byName[name]?.t }
}

/// The axis with negative values counted from the end, or an error.
func normalizeAxis(_ axis: Int, rank: Int, _ label: String) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else { throw ONNXError.invalidInput("\(label): axis \(axis) out of range for rank \(rank)") }
    return a
}

/// Requires a specific input element type; used by `outputTypes`.
func expect(_ t: ElementType?, _ allowed: Set<ElementType>, _ what: String) throws -> ElementType {
    guard let t else { throw ONNXError.malformed("\(what) is missing") }
    guard allowed.contains(t) else { throw ONNXError.unsupported("\(what) of type \(t)") }
    return t
}

/// Element count with an overflow and size guard (outputs larger than this are refused, not allocated).
func checkedCount(_ shape: [Int], _ label: String, _ type: ElementType = .float,
                  limitBytes: Int = maxNodeOutputBytes) throws -> Int {
    let limit = limitBytes / type.byteWidth
    var n = 1
    for d in shape {
        guard d >= 0 else { throw ONNXError.invalidInput("\(label): negative dimension in \(shape)") }
        let (m, o) = n.multipliedReportingOverflow(by: d)
        guard !o, m <= limit else {
            throw ONNXError.invalidInput("\(label): output shape \(shape) is too large (over \(limitBytes >> 20) MiB)")
        }
        n = m
    }
    return n
}

/// The largest tensor any node may produce, in floats (1 GiB).
let maxElements = 1 << 28
let maxNodeOutputBytes = maxElements * ElementType.float.byteWidth

/// Runs an ArgusTensor op, turning its shape/argument errors into `ONNXError.invalidInput` naming the node.
func tensorOp<R>(_ label: String, _ body: () throws -> R) throws -> R {
    do { return try body() } catch let e as TensorError {
        throw ONNXError.invalidInput("\(label): \(e)")
    }
}

/// Turns a parsed graph into a `Plan`: names to slots, initializers and Constant nodes to values,
/// one kernel per node (every op, attribute and type checked here, before any run), nodes with
/// only constant inputs evaluated at load, then the fusions and the free-after-last-use lists.
struct GraphCompiler {
    let bytes: [UInt8]
    let opset: Int

    private var slots: [String: Int] = [:]
    private var initial: [Value?] = []
    private var types: [ElementType?] = []
    private var steps: [Step] = []
    /// Bytes of the values folded from nodes so far (initializers are bounded by the file's size instead).
    private var foldedBytes = 0

    /// All values folded at load together: far above what real exports fold (anchor grids, shape
    /// arithmetic), far below what a few hundred bytes of Range / ConstantOfShape / broadcasting nodes
    /// could otherwise make. The generators and broadcasting ops are held to what is left of it before they
    /// allocate; any other op is held to the 1 GiB node bound, and the sum is checked after it runs.
    static let foldBudgetBytes = 64 << 20

    init(bytes: [UInt8], opset: Int) {
        self.bytes = bytes
        self.opset = opset
    }

    /// The plan, and the graph inputs that need feeds (name, slot).
    mutating func compile(_ graph: GraphMessage) throws -> (plan: Plan, inputs: [(ValueInfoMessage, Int)]) {
        guard !graph.hasSparseInitializers else { throw ONNXError.unsupported("sparse initializers") }
        for t in graph.initializers {
            guard !t.name.isEmpty else { throw ONNXError.malformed("an initializer without a name") }
            guard slots[t.name] == nil else { throw ONNXError.malformed("initializer '\(t.name)' defined twice") }
            let v = try decodeTensor(t, bytes: bytes, what: "initializer '\(t.name)'")
            _ = newSlot(t.name, value: v, type: v.elementType)
        }
        try Self.checkReferences(graph)
        var feeds: [(ValueInfoMessage, Int)] = []
        for info in graph.inputs where slots[info.name] == nil {
            guard info.isTensor, info.elemType == ElementType.float.rawValue else {
                throw ONNXError.unsupported("graph input '\(info.name)' of type \(ElementType.name(of: info.elemType)) (only FLOAT tensors can be fed)")
            }
            guard !info.name.isEmpty else { throw ONNXError.malformed("a graph input without a name") }
            feeds.append((info, newSlot(info.name, value: nil, type: .float)))
        }
        for node in graph.nodes { try add(node) }
        var outputSlots: [Int] = []
        for info in graph.outputs {
            guard let s = slots[info.name] else {
                throw ONNXError.malformed("graph output '\(info.name)' is not produced by any node")
            }
            outputSlots.append(s)
        }
        guard !outputSlots.isEmpty else { throw ONNXError.malformed("the graph has no outputs") }
        var plan = Plan(slotCount: initial.count, initial: initial, inputSlots: feeds.map(\.1),
                        outputSlots: outputSlots, steps: steps)
        Fusion.apply(to: &plan)
        markLastUses(&plan)
        return (plan, feeds)
    }

    /// A name that nothing defines makes the file unusable: refuse it before any folding work (found by the fuzzer:
    /// large constants folded, then the file refused for a dangling name).
    private static func checkReferences(_ graph: GraphMessage) throws {
        var names = Set(graph.initializers.map(\.name))
        names.formUnion(graph.inputs.map(\.name))
        for node in graph.nodes {
            for input in node.inputs where !input.isEmpty && !names.contains(input) {
                throw ONNXError.malformed("\(node.opType) node '\(node.name)': input '\(input)' is not produced by any earlier node, "
                                          + "initializer or graph input")
            }
            names.formUnion(node.outputs)
        }
        for info in graph.outputs where !names.contains(info.name) {
            throw ONNXError.malformed("graph output '\(info.name)' is not produced by any node")
        }
    }

    private mutating func newSlot(_ name: String, value: Value?, type: ElementType?) -> Int {
        let s = initial.count
        initial.append(value)
        types.append(type)
        if !name.isEmpty { slots[name] = s }
        return s
    }

    private mutating func add(_ node: NodeMessage) throws {
        let label = "\(node.opType) node '\(node.name)'"
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw ONNXError.unsupported("operator \(node.domain).\(node.opType) (node '\(node.name)')")
        }
        guard !node.outputs.isEmpty else { throw ONNXError.malformed("\(label) has no outputs") }
        for name in node.outputs where !name.isEmpty && slots[name] != nil {
            throw ONNXError.malformed("\(label): output '\(name)' is already defined")
        }
        let inputSlots: [Int?] = try node.inputs.map { name in
            if name.isEmpty { return nil }
            guard let s = slots[name] else {
                throw ONNXError.malformed("\(label): input '\(name)' is not produced by any earlier node, initializer or graph input")
            }
            return s
        }
        let attributes = try Attributes(node, label: label)
        if node.opType == "Constant" {
            guard node.inputs.isEmpty, node.outputs.count == 1 else { throw ONNXError.malformed("\(label): arity") }
            let v = try constantValue(attributes, label)
            _ = newSlot(node.outputs[0], value: v, type: v.elementType)
            return
        }
        let constants = inputSlots.map { $0.flatMap { initial[$0] } }
        // Every input a load-time constant: evaluate now (Conv-like ops stay, they are not shape plumbing).
        let folds = !["Conv", "ConvTranspose", "ConvInteger", "Resize"].contains(node.opType)
            && inputSlots.allSatisfy({ $0 == nil || initial[$0!] != nil })
        var ctx = NodeContext(node: node, opset: opset, attributes: attributes, constants: constants, fileBytes: bytes)
        if folds { ctx.outputLimitBytes = min(maxNodeOutputBytes, Self.foldBudgetBytes - foldedBytes) }
        let kernel = try OpRegistry.makeKernel(ctx)
        let outTypes = try kernel.outputTypes(inputSlots.map { $0.flatMap { types[$0] } })
        guard outTypes.count == node.outputs.count else {
            throw ONNXError.malformed("\(label) has \(node.outputs.count) outputs, the operator makes \(outTypes.count)")
        }
        if folds {
            let results = try kernel.run(constants)
            foldedBytes += results.reduce(0) { $0 + $1.count * $1.elementType.byteWidth }
            guard foldedBytes <= Self.foldBudgetBytes else {
                throw ONNXError.invalidInput("\(label): values folded at load exceed \(Self.foldBudgetBytes >> 20) MiB in all")
            }
            for (name, (v, t)) in zip(node.outputs, zip(results, outTypes)) {
                guard v.elementType == t else { throw ONNXError.malformed("\(label): folded type \(v.elementType) != \(t)") }
                _ = newSlot(name, value: v, type: t)
            }
            return
        }
        let outputSlots = zip(node.outputs, outTypes).map { newSlot($0.0, value: nil, type: $0.1) }
        steps.append(Step(kernel: kernel, inputs: inputSlots, outputs: outputSlots, label: label))
    }

    /// A Constant node's value (attribute value, value_float(s), value_int(s)).
    private func constantValue(_ a: Attributes, _ label: String) throws -> Value {
        try a.check(allowed: ["value", "value_float", "value_floats", "value_int", "value_ints"])
        if let t = a.tensor("value") { return try decodeTensor(t, bytes: bytes, what: label) }
        if a.has("value_float") { return Value(floats: [try a.float("value_float", default: 0)], shape: []) }
        if let f = try a.floats("value_floats") { return Value(floats: f, shape: [f.count]) }
        if a.has("value_int") { return Value(int64s: [Int64(try a.int("value_int", default: 0))], shape: []) }
        if let i = try a.ints("value_ints") { return Value(int64s: i.map { Int64($0) }, shape: [i.count]) }
        throw ONNXError.unsupported("\(label): a Constant without a tensor, float(s) or int(s) value")
    }

    /// Each step frees the slots it reads for the last time (never graph outputs or constants).
    private func markLastUses(_ plan: inout Plan) {
        var last = [Int: Int]()
        for (i, step) in plan.steps.enumerated() {
            for s in step.inputs.compactMap({ $0 }) { last[s] = i }
            for s in step.outputs where last[s] == nil { last[s] = i }  // unused outputs go right away
        }
        let keep = Set(plan.outputSlots)
        for (slot, i) in last where !keep.contains(slot) && plan.initial[slot] == nil {
            plan.steps[i].frees.append(slot)
        }
    }
}

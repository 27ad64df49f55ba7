/// The operators this runtime implements (default ONNX domain), each a factory from a node to its kernel.
/// Constant is not here: the compiler turns it into a load-time value.
enum OpRegistry {
    static func makeKernel(_ ctx: NodeContext) throws -> Kernel {
        let node = ctx.node
        let a = ctx.attributes
        let label = ctx.label
        switch node.opType {
        case "Conv": return try ConvKernel(ctx)
        case "ConvTranspose": return try ConvTransposeKernel(ctx)
        case "ConvInteger":
            try a.check(allowed: ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
            return try ConvIntegerKernel(ctx)
        case "DynamicQuantizeLinear":
            try ctx.arity(inputs: 1, 1, outputs: 3...3)
            try a.check(allowed: [])
            return DynamicQuantizeLinearKernel(label: label)
        case "Add", "Sub", "Mul", "Div":
            try ctx.arity(inputs: 2, 2)
            try a.check(allowed: [])
            return BinaryKernel(op: BinaryKernel.Op(rawValue: node.opType)!, label: label, limitBytes: ctx.outputLimitBytes)
        case "Sigmoid":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: [])
            return SigmoidKernel(label: label)
        case "Exp", "Relu", "Neg", "Abs", "Sqrt", "Tanh", "Floor", "Ceil", "Reciprocal":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: [])
            return UnaryKernel(op: UnaryKernel.Op(rawValue: node.opType)!, label: label)
        case "Identity":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: [])
            return IdentityKernel()
        case "Cast":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: ["to", "saturate", "round_mode"])
            let to = try a.int("to", default: 0)
            guard let type = ElementType(rawValue: Int64(to)) else {
                throw ONNXError.unsupported("\(label): cast to \(ElementType.name(of: Int64(to)))")
            }
            return CastKernel(to: type, label: label)
        case "Reshape":
            try ctx.arity(inputs: 2, 2)
            try a.check(allowed: ["allowzero"])
            return ReshapeKernel(allowZero: try a.int("allowzero", default: 0) != 0, label: label)
        case "Transpose":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: ["perm"])
            return TransposeKernel(perm: try a.ints("perm"), label: label)
        case "Concat":
            try ctx.arity(inputs: 1, 4096)
            try a.check(allowed: ["axis"])
            guard a.has("axis") else { throw ONNXError.malformed("\(label): axis missing") }
            return ConcatKernel(axis: try a.int("axis", default: 0), label: label)
        case "Split":
            try ctx.arity(inputs: 1, 2, outputs: 1...4096)
            try a.check(allowed: ["axis", "split", "num_outputs"])
            let numOutputs = a.has("num_outputs") ? try a.int("num_outputs", default: 0) : nil
            if let n = numOutputs, n != node.outputs.count {
                throw ONNXError.malformed("\(label): num_outputs \(n) with \(node.outputs.count) outputs")
            }
            return SplitKernel(axis: try a.int("axis", default: 0), splitAttribute: try a.ints("split"),
                               numOutputs: numOutputs, outputs: node.outputs.count, label: label)
        case "Slice":
            if ctx.opset < 10 {
                try ctx.arity(inputs: 1, 1)
                try a.check(allowed: ["starts", "ends", "axes"])
                guard let s = try a.ints("starts"), let e = try a.ints("ends") else {
                    throw ONNXError.malformed("\(label): starts/ends missing")
                }
                return SliceKernel(attributes: (s, e, try a.ints("axes")), label: label)
            }
            try ctx.arity(inputs: 3, 5)
            try a.check(allowed: [])
            return SliceKernel(attributes: nil, label: label)
        case "Shape":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: ["start", "end"])
            return ShapeKernel(start: try a.int("start", default: 0), end: a.has("end") ? try a.int("end", default: 0) : nil)
        case "Gather":
            try ctx.arity(inputs: 2, 2)
            try a.check(allowed: ["axis"])
            return GatherKernel(axis: try a.int("axis", default: 0), label: label)
        case "Unsqueeze", "Squeeze":
            let fromInput = ctx.opset >= 13
            try ctx.arity(inputs: node.opType == "Unsqueeze" && fromInput ? 2 : 1, fromInput ? 2 : 1)
            try a.check(allowed: fromInput ? [] : ["axes"])
            return AxesKernel(op: node.opType == "Unsqueeze" ? .unsqueeze : .squeeze, axesAttribute: try a.ints("axes"),
                              flattenAxis: 0, label: label)
        case "Flatten":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: ["axis"])
            return AxesKernel(op: .flatten, axesAttribute: nil, flattenAxis: try a.int("axis", default: 1), label: label)
        case "Range":
            try ctx.arity(inputs: 3, 3)
            try a.check(allowed: [])
            return RangeKernel(label: label, limitBytes: ctx.outputLimitBytes)
        case "Expand":
            try ctx.arity(inputs: 2, 2)
            try a.check(allowed: [])
            return ExpandKernel(label: label, limitBytes: ctx.outputLimitBytes)
        case "ConstantOfShape":
            try ctx.arity(inputs: 1, 1)
            try a.check(allowed: ["value"])
            var fill = Value(floats: [0], shape: [1])
            if let t = a.tensor("value") { fill = try decodeTensor(t, bytes: ctx.fileBytes, what: "\(label) value") }
            guard fill.count == 1 else { throw ONNXError.malformed("\(label): value must hold one element") }
            return ConstantOfShapeKernel(fill: fill, label: label, limitBytes: ctx.outputLimitBytes)
        case "MaxPool": return try MaxPoolKernel(ctx)
        case "Softmax": return try SoftmaxKernel(ctx)
        case "Resize": return try ResizeKernel(ctx)
        default:
            throw ONNXError.unsupported("operator \(node.opType) (node '\(node.name)')")
        }
    }
}

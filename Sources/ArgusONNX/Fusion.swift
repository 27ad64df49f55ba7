import ArgusTensor

/// Rewrites of step sequences into one kernel, applied when every intermediate has exactly the
/// consumers of the pattern (and is no graph output), so no other reader can see a difference:
/// - Conv -> Sigmoid -> Mul(conv, sigmoid): one conv with SiLU in its output pass;
/// - ConvInteger -> Cast(FLOAT) -> Mul(scale) [-> Add(per-channel constant)] [-> Sigmoid -> Mul]:
///   one `QuantConvKernel` (same arithmetic order as the unfused graph);
/// - Concat(axis 1) -> Conv(1x1, stride 1, no padding, one group, constant weights), for every reader of the
///   concatenation: `ConcatConvKernel`s reading the concatenated tensors in place (the same bits as the conv of
///   the concatenation).
enum Fusion {
    static func apply(to plan: inout Plan) {
        var g = StepGraph(plan)
        for i in plan.steps.indices {
            if g.removed.contains(i) { continue }
            if let conv = plan.steps[i].kernel as? ConvKernel, conv.activation == nil,
               let silu = g.siluTail(after: i, in: plan) {
                var k = conv
                k.activation = .silu
                plan.steps[i].kernel = k
                plan.steps[i].outputs = [silu.output]
                g.remove(silu.steps)
            } else if plan.steps[i].kernel is ConvIntegerKernel {
                fuseQuantized(i, &plan, &g)
            }
        }
        for i in plan.steps.indices where !g.removed.contains(i) {
            if let concat = plan.steps[i].kernel as? ConcatKernel, concat.axis == 1 { fuseConcatConv(i, &plan, &g) }
        }
        plan.steps = plan.steps.enumerated().filter { !g.removed.contains($0.offset) }.map(\.element)
    }

    private static func fuseQuantized(_ i: Int, _ plan: inout Plan, _ g: inout StepGraph) {
        let conv = plan.steps[i].kernel as! ConvIntegerKernel
        guard let cast = g.soleConsumer(of: plan.steps[i].outputs[0], in: plan),
              let c = plan.steps[cast].kernel as? CastKernel, c.to == .float,
              let mul = g.soleConsumer(of: plan.steps[cast].outputs[0], in: plan),
              let m = plan.steps[mul].kernel as? BinaryKernel, m.op == .mul else { return }
        let castOut = plan.steps[cast].outputs[0]
        let mulInputs = plan.steps[mul].inputs
        guard mulInputs.count == 2, let scaleSlot = mulInputs[0] == castOut ? mulInputs[1] : mulInputs[0],
              scaleSlot != castOut else { return }
        var removed = [cast, mul]
        var output = plan.steps[mul].outputs[0]
        var bias: [Float]?
        let filters = conv.centredWeight.shape[0]
        if let add = g.soleConsumer(of: output, in: plan), let a = plan.steps[add].kernel as? BinaryKernel, a.op == .add {
            let ins = plan.steps[add].inputs
            if ins.count == 2, let other = ins[0] == output ? ins[1] : ins[0], other != output,
               let b = plan.initial[other], case .float(let values) = b.data,
               let perChannel = channelVector(b.shape, values, filters) {
                bias = perChannel
                removed.append(add)
                output = plan.steps[add].outputs[0]
            }
        }
        var silu = false
        if let tail = g.siluTail(producer: output, in: plan) {
            silu = true
            removed += tail.steps
            output = tail.output
        }
        // The fused step runs where the chain's last step ran: the scale may be computed after the ConvInteger.
        let x = plan.steps[i].inputs
        let at = removed.max()!
        plan.steps[at] = Step(kernel: QuantConvKernel(conv: conv, bias: bias, silu: silu, label: plan.steps[i].label),
                              inputs: [x[0], x.count > 2 ? x[2] : nil, scaleSlot], outputs: [output],
                              label: plan.steps[i].label)
        g.remove(removed.filter { $0 != at } + [i])
    }

    /// Every reader of the concatenation must be such a conv (YOLOX's CSP layers feed one concatenation to two
    /// 1x1 convs); each then reads the pieces in place and the Concat step goes.
    private static func fuseConcatConv(_ i: Int, _ plan: inout Plan, _ g: inout StepGraph) {
        guard plan.steps[i].outputs.count == 1, let readers = g.readers(of: plan.steps[i].outputs[0], in: plan) else { return }
        var fused: [(step: Int, kernel: ConcatConvKernel)] = []
        for j in readers {
            guard !g.removed.contains(j), let conv = plan.steps[j].kernel as? ConvKernel,
                  plan.steps[j].inputs.first == plan.steps[i].outputs[0],
                  let kernel = ConcatConvKernel(conv, biasIsConstant: plan.steps[j].inputs.count < 3 || plan.steps[j].inputs[2] == nil
                                                                      || conv.bias != nil) else { return }
            fused.append((j, kernel))
        }
        for (j, kernel) in fused {
            plan.steps[j] = Step(kernel: kernel, inputs: plan.steps[i].inputs, outputs: plan.steps[j].outputs,
                                 label: plan.steps[j].label)
        }
        g.remove([i])
    }

    /// A bias constant that broadcasts as one value per output channel of an NCHW conv output
    /// ([C], 1 or [1, C, 1, 1] / [C, 1, 1]), expanded to C values.
    private static func channelVector(_ shape: [Int], _ v: [Float], _ c: Int) -> [Float]? {
        if v.count == 1 { return [Float](repeating: v[0], count: c) }
        guard v.count == c else { return nil }
        if shape == [1, c, 1, 1] || shape == [c, 1, 1] { return v }
        return nil
    }
}

/// Who reads which slot, for the pattern checks.
private struct StepGraph {
    var consumers: [Int: [Int]] = [:]
    var graphOutputs: Set<Int>
    var removed = Set<Int>()

    init(_ plan: Plan) {
        graphOutputs = Set(plan.outputSlots)
        for (i, step) in plan.steps.enumerated() {
            for s in step.inputs.compactMap({ $0 }) where !(consumers[s]?.contains(i) ?? false) {
                consumers[s, default: []].append(i)
            }
        }
    }

    mutating func remove(_ steps: [Int]) { removed.formUnion(steps) }

    /// The only step reading `slot` (read once), if the slot is no graph output.
    func soleConsumer(of slot: Int, in plan: Plan) -> Int? {
        guard let readers = readers(of: slot, in: plan), readers.count == 1 else { return nil }
        return readers[0]
    }

    /// The steps reading `slot` when it is no graph output and each of them reads it once.
    func readers(of slot: Int, in plan: Plan) -> [Int]? {
        guard !graphOutputs.contains(slot), let c = consumers[slot], !c.isEmpty,
              c.allSatisfy({ plan.steps[$0].inputs.filter { $0 == slot }.count == 1 }) else { return nil }
        return c
    }

    /// Sigmoid(y) and Mul(y, sigmoid) reading the producer's output `y` and nothing else reading either.
    func siluTail(after step: Int, in plan: Plan) -> (steps: [Int], output: Int)? {
        guard plan.steps[step].outputs.count == 1 else { return nil }
        return siluTail(producer: plan.steps[step].outputs[0], in: plan)
    }

    func siluTail(producer y: Int, in plan: Plan) -> (steps: [Int], output: Int)? {
        guard !graphOutputs.contains(y), let c = consumers[y], c.count == 2 else { return nil }
        let (a, b) = (c[0], c[1])
        let (sig, mul) = plan.steps[a].kernel is SigmoidKernel ? (a, b) : (b, a)
        guard plan.steps[sig].kernel is SigmoidKernel,
              let m = plan.steps[mul].kernel as? BinaryKernel, m.op == .mul, sig < mul else { return nil }
        let s = plan.steps[sig].outputs[0]
        guard let only = soleConsumer(of: s, in: plan), only == mul else { return nil }
        let ins = plan.steps[mul].inputs
        guard ins.count == 2, Set(ins.compactMap { $0 }) == [y, s] else { return nil }
        return ([sig, mul], plan.steps[mul].outputs[0])
    }
}

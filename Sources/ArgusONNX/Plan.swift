import Dispatch

/// The executable form of a graph: value slots, load-time constants and the kernel steps in order.
struct Step: Sendable {
    var kernel: Kernel
    /// Slot per declared input; nil for an omitted optional input.
    var inputs: [Int?]
    var outputs: [Int]
    /// Slots whose last reader is this step: dropped right after it runs.
    var frees: [Int] = []
    let label: String
}

struct Plan: Sendable {
    var slotCount: Int
    /// Slot values at the start of every run: constants filled, everything else nil.
    var initial: [Value?]
    var inputSlots: [Int]
    var outputSlots: [Int]
    var steps: [Step]

    /// Runs the steps on `env` (the initial values with the feeds placed), returning the output slots' values.
    /// `observe` (profiling) sees each step with its arguments, results and wall time in nanoseconds.
    func execute(_ env: inout [Value?], observe: ((Int, [Value?], [Value], UInt64) -> Void)? = nil) throws -> [Value] {
        for (index, step) in steps.enumerated() {
            let args = step.inputs.map { $0.flatMap { env[$0] } }
            for (i, s) in step.inputs.enumerated() where s != nil && args[i] == nil {
                throw ONNXError.invalidInput("\(step.label): input \(i) has no value")
            }
            let start = observe == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let results = try step.kernel.run(args)
            if let observe { observe(index, args, results, DispatchTime.now().uptimeNanoseconds - start) }
            guard results.count == step.outputs.count else {
                throw ONNXError.invalidInput("\(step.label): produced \(results.count) outputs, expected \(step.outputs.count)")
            }
            for (slot, value) in zip(step.outputs, results) { env[slot] = value }
            for slot in step.frees { env[slot] = nil }
        }
        return try outputSlots.map { slot in
            guard let v = env[slot] else { throw ONNXError.invalidInput("graph output slot \(slot) has no value") }
            return v
        }
    }
}

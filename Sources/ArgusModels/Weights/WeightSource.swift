import ArgusTensor
import ArgusWeights

/// Where a model's tensors come from, by their published (state-dict) names.
public protocol WeightSource {
    /// The tensor stored under `name`, which must have `shape`.
    func tensor(_ name: String, shape: [Int]) throws -> Tensor
    func contains(_ name: String) -> Bool
    /// The shape stored under `name` (without reading the data), or nil when absent.
    func shape(_ name: String) -> [Int]?
    /// The pickled module object at a dotted path below the checkpoint's model (nil for plain state dicts and for
    /// tensors made in code): where Ultralytics keeps per-module settings such as batch-norm eps and activations.
    func module(_ path: String) -> PickleValue?
}

extension WeightSource {
    /// The shape of `name`, which must exist with `rank` positive dimensions, or an error naming it.
    func requiredShape(_ name: String, rank: Int) throws -> [Int] {
        guard let s = shape(name) else { throw ModelError.unsupportedCheckpoint("missing tensor '\(name)'") }
        guard s.count == rank, s.allSatisfy({ $0 >= 1 }) else {
            throw ModelError.unsupportedCheckpoint("'\(name)' has shape \(s), expected rank \(rank)")
        }
        return s
    }
}

extension Checkpoint: WeightSource {
    public func shape(_ name: String) -> [Int]? { info(name)?.shape }

    public func module(_ path: String) -> PickleValue? {
        guard var node = model else { return nil }
        for part in path.split(separator: ".") {
            guard let next = node["_modules"]?[String(part)] else { return nil }
            node = next
        }
        return node
    }
}

/// Tensors held in memory (weights made in code, e.g. by tests).
public struct TensorDictionary: WeightSource {
    public var tensors: [String: Tensor]
    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }

    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors[name] else { throw ModelError.unsupportedCheckpoint("missing tensor '\(name)'") }
        guard t.shape == shape else {
            throw ModelError.unsupportedCheckpoint("'\(name)' has shape \(t.shape), expected \(shape)")
        }
        return t
    }

    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    public func shape(_ name: String) -> [Int]? { tensors[name]?.shape }

    public func module(_ path: String) -> PickleValue? { nil }
}

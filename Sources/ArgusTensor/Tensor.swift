/// A dense, contiguous, row-major Float32 tensor. Images and activations are NCHW.
///
/// Storage is a Swift array, so copies are copy-on-write and a `Tensor` is a value:
/// models hold their weights as immutable tensors and every forward call owns its activations.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The same values under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    public subscript(flat index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}

/// A storage as named in a checkpoint: torch's persistent id `('storage', type, key, location, numel)`,
/// or one safetensors data range.
public struct StorageRef: Sendable, Equatable {
    /// The storage's key: the file name under `data/` in a torch zip, the tensor name in safetensors.
    public let key: String
    /// The storage class or dtype code as written, e.g. `torch.HalfStorage` or `F16`.
    public let typeName: String
    /// Element type; nil when the type is one this reader cannot convert (complex, quantized...).
    public let dtype: TensorDType?
    /// Device the storage was saved from, e.g. `cpu` or `cuda:0`.
    public let location: String
    /// Element count the writer declared.
    public let count: Int
    /// Elements to skip in the stored bytes: only legacy storage views (torch < 1.0) have one.
    public let offset: Int

    init(key: String, typeName: String, dtype: TensorDType?, location: String, count: Int, offset: Int = 0) {
        self.key = key
        self.typeName = typeName
        self.dtype = dtype
        self.location = location
        self.count = count
        self.offset = offset
    }
}

/// A tensor as stored: a strided view into a storage, not yet read or converted.
public struct StoredTensor: Sendable, Equatable {
    public let storage: StorageRef
    /// Element type (from the storage, or from `_rebuild_tensor_v3`'s explicit dtype).
    public let dtype: TensorDType?
    /// Offset of the first element, in elements.
    public let storageOffset: Int
    public let shape: [Int]
    /// Strides in elements, one per dimension.
    public let stride: [Int]

    /// The dtype's name (`float16`), or the storage type when it is not one Argus converts.
    public var dtypeName: String { dtype?.rawValue ?? storage.typeName }

    /// Number of elements, or nil if the product overflows.
    public var count: Int? { Self.product(shape) }

    /// True when the view is dense and row-major, so its elements are one run in the storage.
    public var isContiguous: Bool {
        var expected = 1
        for d in stride.indices.reversed() where shape[d] != 1 {
            if stride[d] != expected { return false }
            expected = expected &* shape[d]
        }
        return true
    }

    static func product(_ dims: [Int]) -> Int? {
        var total = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            total = p
        }
        return total
    }

    /// Checks the view against a storage of `available` elements: sizes and strides sane, no overflow,
    /// every addressed element inside the storage. Returns the element count.
    func validate(available: Int, name: String) throws -> Int {
        guard shape.count == stride.count else {
            throw WeightsError.corrupt("tensor \(name): \(shape.count) sizes but \(stride.count) strides")
        }
        guard storageOffset >= 0, shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw WeightsError.corrupt("tensor \(name): negative size, stride or offset")
        }
        guard let n = count else { throw WeightsError.corrupt("tensor \(name): size \(shape) overflows") }
        if n == 0 { return 0 }
        var last = storageOffset
        for d in shape.indices {
            let (span, o1) = (shape[d] - 1).multipliedReportingOverflow(by: stride[d])
            let (sum, o2) = last.addingReportingOverflow(span)
            guard !o1, !o2 else { throw WeightsError.corrupt("tensor \(name): strides \(stride) overflow") }
            last = sum
        }
        guard last < available else {
            throw WeightsError.corrupt("tensor \(name) of shape \(shape) needs \(last + 1) elements, its storage holds \(available)")
        }
        // Stride-0 views can name far more elements than they store; bound what we would allocate.
        guard n <= max(available, 1 << 26) else {
            throw WeightsError.corrupt("tensor \(name): \(n) elements over a storage of \(available)")
        }
        return n
    }
}

/// What `Checkpoint.info` reports about a named tensor without reading it.
public struct StoredTensorInfo: Sendable, Equatable {
    /// Element type name, e.g. `float16`.
    public let dtype: String
    public let shape: [Int]
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

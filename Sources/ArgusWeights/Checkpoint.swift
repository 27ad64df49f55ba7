import ArgusTensor

/// A checkpoint as published — a PyTorch zip or legacy `torch.save` file, or safetensors — read
/// natively without executing any pickled code, with tensors handed out by `state_dict()` name.
///
/// Immutable after loading and safe to share between threads. Tensor bytes stay in the file
/// buffer until a tensor is requested; every state-dict tensor's view is checked at load time.
public final class Checkpoint: Sendable {
    /// The container a checkpoint came from.
    public enum Format: String, Sendable {
        /// `torch.save` zip archive (torch >= 1.6).
        case pytorch
        /// `torch.save` before 1.6 (or with `_use_new_zipfile_serialization=False`).
        case pytorchLegacy
        case safetensors
    }

    public let format: Format
    /// The unpickled object (PyTorch) or the parsed header with tensors as values (safetensors).
    public let root: PickleValue
    /// The pickled `nn.Module` the tensors come from (`ema` before `model` in a training
    /// checkpoint), nil for plain state dicts and safetensors.
    public let model: PickleValue?
    /// Tensor names in `state_dict()` order (safetensors: data order).
    public let names: [String]
    /// safetensors `__metadata__` entries; empty for PyTorch files.
    public let metadata: [(key: String, value: String)]

    private let tensors: [String: StoredTensor]
    private let storages: [String: ArraySlice<UInt8>]
    private let bigEndian: Bool

    /// Reads and parses the file at `path`, detecting its format from its first bytes.
    public static func load(contentsOf path: String) throws -> Checkpoint {
        let bytes = try FileBytes.read(path)
        do {
            return try Checkpoint(bytes: bytes)
        } catch WeightsError.notACheckpoint(let why) {
            throw WeightsError.notACheckpoint("\(path): \(why)")
        }
    }

    /// Parses checkpoint bytes held in memory.
    public init(bytes: [UInt8]) throws {
        let all = bytes[...]
        if all.count >= 4, all.littleEndian(at: 0, width: 4) == 0x0403_4B50 {
            let torch = try TorchZipFormat(bytes: all)
            let dict = try StateDict(root: torch.root)
            format = .pytorch
            root = torch.root
            model = dict.model
            names = dict.names
            tensors = dict.tensors
            storages = torch.storages
            bigEndian = torch.bigEndian
            metadata = []
        } else if SafetensorsFormat.matches(all) {
            let st = try SafetensorsFormat(bytes: all)
            var header = PickleDict()
            for name in st.names { header.set(.tensor(st.tensors[name]!), for: .string(name)) }
            format = .safetensors
            root = .dict(header)
            model = nil
            names = st.names
            tensors = st.tensors
            storages = st.storages
            bigEndian = false
            metadata = st.metadata
        } else if LegacyTorchFormat.matches(all) {
            let torch = try LegacyTorchFormat(bytes: all)
            let dict = try StateDict(root: torch.root)
            format = .pytorchLegacy
            root = torch.root
            model = dict.model
            names = dict.names
            tensors = dict.tensors
            storages = torch.storages
            bigEndian = false
            metadata = []
        } else {
            throw WeightsError.notACheckpoint("neither a PyTorch checkpoint (zip or legacy) nor a safetensors file")
        }
        // Every named view must lie inside its storage; unconvertible dtypes fail only when read.
        for name in names where tensors[name]!.dtype != nil { _ = try storageBytes(of: tensors[name]!, name: name) }
        for name in names where storages[tensors[name]!.storage.key] == nil {
            throw WeightsError.corrupt("tensor \(name): storage \(tensors[name]!.storage.key) is missing from the file")
        }
    }

    // MARK: - Looking tensors up

    /// True if the checkpoint has a tensor with this state-dict name.
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The stored view for `name`, or a `missingTensor` error naming close matches.
    public func stored(_ name: String) throws -> StoredTensor {
        guard let t = tensors[name] else {
            throw WeightsError.missingTensor(name: name, suggestions: NameSuggestions.closest(to: name, in: names))
        }
        return t
    }

    /// Dtype and shape of `name`, without reading its data.
    public func info(_ name: String) -> StoredTensorInfo? {
        tensors[name].map { StoredTensorInfo(dtype: $0.dtypeName, shape: $0.shape) }
    }

    /// Total element count over all named tensors (parameters and buffers).
    public var parameterCount: Int {
        names.reduce(0) { total, name in
            let (sum, overflow) = total.addingReportingOverflow(tensors[name]?.count ?? Int.max)
            return overflow ? Int.max : sum
        }
    }

    // MARK: - Reading tensors

    /// The tensor `name` as Float32 (f16/bf16/f64/integers converted), in its stored shape.
    public func tensor(_ name: String) throws -> Tensor {
        try tensor(stored(name), name: name)
    }

    /// The tensor `name`, which must have exactly `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let t = try stored(name)
        guard t.shape == shape else { throw WeightsError.shapeMismatch(name: name, expected: shape, found: t.shape) }
        return try tensor(t, name: name)
    }

    /// Any tensor found in `root` or `model` (e.g. a model's `stride` attribute) as Float32.
    public func tensor(_ stored: StoredTensor, name: String = "tensor") throws -> Tensor {
        let values = try TensorDecoding.floats(stored, bytes: storageBytes(of: stored, name: name), name: name,
                                               bigEndian: bigEndian)
        return Tensor(shape: stored.shape, storage: values)
    }

    /// The elements of `name` as Float64 in row-major order (exact for float64 tensors).
    public func doubles(_ name: String) throws -> [Double] {
        try doubles(stored(name), name: name)
    }

    public func doubles(_ stored: StoredTensor, name: String = "tensor") throws -> [Double] {
        try TensorDecoding.doubles(stored, bytes: storageBytes(of: stored, name: name), name: name, bigEndian: bigEndian)
    }

    /// The elements of an integer or bool tensor as Int64 in row-major order.
    public func int64s(_ name: String) throws -> [Int64] {
        try int64s(stored(name), name: name)
    }

    public func int64s(_ stored: StoredTensor, name: String = "tensor") throws -> [Int64] {
        try TensorDecoding.int64s(stored, bytes: storageBytes(of: stored, name: name), name: name, bigEndian: bigEndian)
    }

    /// The bytes of the tensor's storage, checked to hold what the writer declared and what the view addresses.
    private func storageBytes(of t: StoredTensor, name: String) throws -> ArraySlice<UInt8> {
        guard let bytes = storages[t.storage.key] else {
            throw WeightsError.corrupt("tensor \(name): storage \(t.storage.key) is missing from the file")
        }
        guard let dtype = t.dtype else { throw WeightsError.unsupportedDType(t.dtypeName) }
        // An untyped storage (v3) declares bytes; a typed one declares elements of its own dtype.
        let elementSize = t.storage.dtype?.size ?? 1
        let declaredBytes = t.storage.count.multipliedReportingOverflow(by: elementSize)
        let skipped = t.storage.offset.multipliedReportingOverflow(by: elementSize)
        guard !declaredBytes.overflow, !skipped.overflow, t.storage.offset >= 0,
              skipped.partialValue <= bytes.count, declaredBytes.partialValue <= bytes.count - skipped.partialValue else {
            throw WeightsError.corrupt("storage \(t.storage.key) declares \(t.storage.count) elements but holds \(bytes.count) bytes")
        }
        let usable = bytes.dropFirst(skipped.partialValue).prefix(declaredBytes.partialValue)
        _ = try t.validate(available: usable.count / dtype.size, name: name)
        return usable
    }
}

/// A value read from a pickle stream (or a safetensors JSON header): Python data, tensors as
/// unread strided views, and instances of any class as plain records. Nothing is ever executed.
public enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer beyond 64 bits: little-endian two's complement bytes, as pickle's LONG1/LONG4 hold it.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict or OrderedDict, in insertion order.
    case dict(PickleDict)
    /// A set or frozenset, in stream order.
    case set([PickleValue])
    /// An instance of a class this reader does not interpret (e.g. `models.yolo.Model`).
    indirect case object(PickleObject)
    /// A reference to a module-level name, e.g. `torch.float16` or a class never instantiated.
    case global(module: String, name: String)
    case storage(StorageRef)
    case tensor(StoredTensor)

    /// Dict entry or object attribute by name.
    public subscript(key: String) -> PickleValue? {
        switch self {
        case .dict(let d): return d[key]
        case .object(let o): return o.attributes[key] ?? o.dictItems[key]
        default: return nil
        }
    }

    /// Element of a list or tuple.
    public subscript(index: Int) -> PickleValue? {
        guard let items = array, items.indices.contains(index) else { return nil }
        return items[index]
    }

    public var int: Int? {
        if case .int(let v) = self { return v }
        return nil
    }

    /// Floats and ints as Double.
    public var double: Double? {
        switch self {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }

    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// Items of a list, tuple or set.
    public var array: [PickleValue]? {
        switch self {
        case .list(let v), .tuple(let v), .set(let v): return v
        default: return nil
        }
    }

    /// A list of strings, e.g. class names.
    public var strings: [String]? {
        guard let items = array else { return nil }
        let out = items.compactMap(\.string)
        return out.count == items.count ? out : nil
    }

    /// A list of ints, e.g. a shape.
    public var ints: [Int]? {
        guard let items = array else { return nil }
        let out = items.compactMap(\.int)
        return out.count == items.count ? out : nil
    }

    public var dict: PickleDict? {
        if case .dict(let v) = self { return v }
        return nil
    }

    public var object: PickleObject? {
        if case .object(let v) = self { return v }
        return nil
    }

    public var tensor: StoredTensor? {
        if case .tensor(let v) = self { return v }
        return nil
    }

    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// The qualified class name of an object (`models.yolo.Model`), nil for other values.
    public var className: String? { object?.className }
}

/// A pickled dict: keys and values in insertion order, with lookup by string or int key.
public struct PickleDict: Sendable, Equatable {
    public private(set) var keys: [PickleValue] = []
    public private(set) var values: [PickleValue] = []
    private var index: [DictKey: Int] = [:]

    private enum DictKey: Hashable, Sendable {
        case string(String), int(Int)
        init?(_ v: PickleValue) {
            switch v {
            case .string(let s): self = .string(s)
            case .int(let i): self = .int(i)
            case .bool(let b): self = .int(b ? 1 : 0)   // Python: True == 1 as a dict key
            default: return nil
            }
        }
    }

    public init() {}

    /// Sets `value` for `key`, replacing an equal string/int key in place as Python does.
    public mutating func set(_ value: PickleValue, for key: PickleValue) {
        if let k = DictKey(key) {
            if let i = index[k] { values[i] = value; return }
            index[k] = keys.count
        }
        keys.append(key)
        values.append(value)
    }

    public subscript(key: String) -> PickleValue? {
        index[.string(key)].map { values[$0] }
    }

    public subscript(key: Int) -> PickleValue? {
        index[.int(key)].map { values[$0] }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// (key, value) pairs in insertion order.
    public var entries: Zip2Sequence<[PickleValue], [PickleValue]> { zip(keys, values) }

    /// Entries whose key is a string, in order.
    public var stringEntries: [(key: String, value: PickleValue)] {
        entries.compactMap { k, v in k.string.map { ($0, v) } }
    }

    public static func == (a: PickleDict, b: PickleDict) -> Bool { a.keys == b.keys && a.values == b.values }
}

/// An instance of a class the reader does not interpret: what Python would have passed to
/// the class (`args`) and to `__setstate__` (`state`), plus items added by APPEND/SETITEM.
public struct PickleObject: Sendable, Equatable {
    /// `module.qualname`, e.g. `torch.nn.modules.conv.Conv2d`.
    public let className: String
    public var args: [PickleValue] = []
    /// The BUILD state: usually the instance `__dict__` as a dict; `.none` when never built.
    public var state: PickleValue = .none
    /// Items appended to a list subclass.
    public var listItems: [PickleValue] = []
    /// Entries set on a dict subclass.
    public var dictItems = PickleDict()

    public init(className: String, args: [PickleValue] = [], state: PickleValue = .none) {
        self.className = className
        self.args = args
        self.state = state
    }

    /// The instance attributes: the state dict, merged with slot state when state is `(dict, slots)`.
    public var attributes: PickleDict {
        switch state {
        case .dict(let d): return d
        case .tuple(let parts) where parts.count == 2:
            var merged = parts[0].dict ?? PickleDict()
            for (k, v) in parts[1].dict?.entries ?? PickleDict().entries { merged.set(v, for: k) }
            return merged
        default: return PickleDict()
        }
    }
}

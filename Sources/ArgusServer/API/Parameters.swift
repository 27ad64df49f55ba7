import ArgusJSON
import ArgusPipeline

/// Request parameters gathered from the query string, form fields and JSON members (later sources win, but every
/// value given must be valid: `?conf=high` with a form field `conf=0.5` is still a 400).
public struct Parameters: Sendable {
    private(set) var values: [String: String] = [:]
    /// Values replaced by a later source, earliest first: the typed accessors check them too.
    private var replaced: [String: [String]] = [:]

    public init(_ pairs: [(name: String, value: String)] = []) {
        for (name, value) in pairs { set(name, value) }
    }

    public subscript(name: String) -> String? { values[name] }
    public var names: [String] { values.keys.sorted() }

    /// Adds (or replaces) one parameter.
    public mutating func set(_ name: String, _ value: String) {
        if let old = values[name] { replaced[name, default: []].append(old) }
        values[name] = value
    }

    static let serverWide: Set<String> = ["api_key", "timeout"]

    /// Every value given for `name`, earliest first; the last is the one that applies.
    private func given(_ name: String) -> [String] { (replaced[name] ?? []) + (values[name].map { [$0] } ?? []) }

    /// Rejects any name outside `allowed`, so a typo is a clear 400 instead of a silent default. The server-wide
    /// names are always allowed: `api_key` (read by the key check, `APIKeys.presented`) and `timeout` (the
    /// client's deadline, `ArgusService.deadline(for:_:)`).
    public func requireKnown(_ allowed: Set<String>) throws {
        if let unknown = names.first(where: { !allowed.contains($0) && !Self.serverWide.contains($0) }) {
            throw APIError.invalidParameter("unknown parameter '\(unknown)'; known: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// A finite number, or nil when absent.
    public func double(_ name: String) throws -> Double? {
        try numbers(name).last?.value
    }

    /// A number in `range`, or nil when absent.
    public func double(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        let all = try numbers(name)
        for (text, v) in all where !range.contains(v) {
            throw APIError.invalidParameter("\(name) must be in [\(JSONValue.format(range.lowerBound)), \(JSONValue.format(range.upperBound))], got \(text)")
        }
        return all.last?.value
    }

    /// Every value given for `name` as a finite number, earliest first.
    private func numbers(_ name: String) throws -> [(text: String, value: Double)] {
        try given(name).map { text in
            guard let v = Double(text.trimmingSpaces()), v.isFinite else {
                throw APIError.invalidParameter("\(name) must be a number, got '\(text)'")
            }
            return (text, v)
        }
    }

    /// An integer in `range`, or nil when absent.
    public func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        var result: Int?
        for text in given(name) {
            guard let v = Int(text.trimmingSpaces()) else {
                throw APIError.invalidParameter("\(name) must be an integer, got '\(text)'")
            }
            guard range.contains(v) else {
                throw APIError.invalidParameter("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(v)")
            }
            result = v
        }
        return result
    }

    /// `true`/`false`/`1`/`0` (any case), or nil when absent.
    public func bool(_ name: String) throws -> Bool? {
        var result: Bool?
        for text in given(name) {
            switch text.trimmingSpaces().lowercased() {
            case "true", "1", "yes": result = true
            case "false", "0", "no": result = false
            default: throw APIError.invalidParameter("\(name) must be true or false, got '\(text)'")
            }
        }
        return result
    }

    /// One of `choices`, or nil when absent.
    public func choice<T: RawRepresentable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String, T: CaseIterable {
        var result: T?
        for text in given(name) {
            do { result = try parseChoice(text, name: name, type) } catch let error as PipelineError {
                throw APIError.invalidParameter(error.message)
            }
        }
        return result
    }

    /// Parameters whose value is structured JSON, kept as JSON text (e.g. `proposals`, a list of boxes).
    static let jsonValued: Set<String> = ["proposals"]

    /// Merges JSON object members as parameters: numbers and booleans as text, arrays comma-joined.
    public mutating func merge(jsonMembers members: [(String, JSONValue)], skipping skipped: Set<String>) throws {
        for (name, value) in members where !skipped.contains(name) {
            set(name, Self.jsonValued.contains(name) ? value.serialized() : try Parameters.text(of: value, name: name))
        }
    }

    private static func text(of value: JSONValue, name: String) throws -> String {
        switch value {
        case .string(let s): return s
        case .number(let d): return JSONValue.format(d)
        case .float(let f): return f.description
        case .bool(let b): return b ? "true" : "false"
        case .array(let items):
            return try items.map { item -> String in
                switch item {
                case .array, .object, .null: throw APIError.invalidParameter("\(name) must be a flat list of names or ids")
                default: return try text(of: item, name: name)
                }
            }.joined(separator: ",")
        case .null, .object:
            throw APIError.invalidParameter("\(name) must be a string, number, boolean or list")
        }
    }
}

/// One problem found in evaluation input, with a stable code and a message that says what to fix.
public struct EvalIssue: Error, Equatable, Sendable, CustomStringConvertible {
    /// Machine-readable kind, e.g. `unknown_image_id`.
    public let code: String
    /// What is wrong and how to fix it.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Errors from reading or evaluating detections.
public enum EvalError: Error, Equatable, CustomStringConvertible {
    /// The input is not valid JSON, or a member has the wrong type.
    case json(String)
    /// The input is well-formed but cannot be evaluated; each issue says what to fix.
    case invalid([EvalIssue])

    public var description: String {
        switch self {
        case .json(let s): return "invalid JSON: \(s)"
        case .invalid(let issues): return issues.map(\.description).joined(separator: "\n")
        }
    }

    /// The issues carried by the error (one for a JSON error).
    public var issues: [EvalIssue] {
        switch self {
        case .json(let s): return [EvalIssue(code: "invalid_json", message: s)]
        case .invalid(let i): return i
        }
    }
}

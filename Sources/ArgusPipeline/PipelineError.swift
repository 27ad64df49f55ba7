import ArgusModels

/// A request the pipeline refuses or cannot finish. The shells decide how to report it: the server maps `kind` to an
/// HTTP status (keeping `code`), the CLI prints `message`.
public struct PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A parameter is out of range, unknown, or does not apply to the chosen model or mode.
        case invalidParameter
        /// No loaded model has that name.
        case modelNotFound
        /// The model cannot do what was asked (boxes from a semantic model, masks from a box model, ...).
        case unsupported
        /// The request's deadline passed before its work finished.
        case deadlineExceeded
        /// A broken invariant: a bug, not a bad request.
        case internalFailure
    }

    public var kind: Kind
    /// A stable machine-readable code, e.g. `invalid_parameter`, `model_cannot_segment`.
    public var code: String
    public var message: String

    public init(_ kind: Kind, code: String, _ message: String) {
        self.kind = kind; self.code = code; self.message = message
    }

    public var description: String { message }

    public static func invalidParameter(_ message: String) -> PipelineError {
        PipelineError(.invalidParameter, code: "invalid_parameter", message)
    }
    public static func modelNotFound(_ name: String, available: [String]) -> PipelineError {
        PipelineError(.modelNotFound, code: "model_not_found", "no model named '\(name)'; loaded models: \(available.joined(separator: ", "))")
    }
    /// A server whose models were all unloaded (or that started empty, to be given models while serving).
    public static let noModel = PipelineError(.modelNotFound, code: "no_model", "no model is loaded")
    public static func unsupported(code: String, _ message: String) -> PipelineError {
        PipelineError(.unsupported, code: code, message)
    }
    /// Caller proposals (Fast R-CNN mode) given for a model that cannot take them.
    static func proposalsNeedTwoStage(_ info: ModelInfo) -> PipelineError {
        invalidParameter("proposals need a two-stage model (Faster R-CNN); '\(info.name)' is \(info.family)")
    }
    public static func deadlineExceeded() -> PipelineError {
        PipelineError(.deadlineExceeded, code: "deadline_exceeded", "the request did not finish within its deadline")
    }
    public static func internalFailure(_ message: String) -> PipelineError {
        PipelineError(.internalFailure, code: "internal_error", message)
    }
}

/// An image of a request that could not be decoded (or is over a limit); `index` is set when the request had several.
public struct ImageFailure: Error, CustomStringConvertible {
    public var index: Int?
    public var underlying: Error
    public init(index: Int?, underlying: Error) { self.index = index; self.underlying = underlying }
    public var description: String { (index.map { "image \($0): " } ?? "") + "\(underlying)" }
}

import ArgusImage
import ArgusJSON
import ArgusModels
import ArgusPipeline

/// A failure that maps to one HTTP status and the body `{"error": {"code", "message"}}`.
public struct APIError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    /// Stable machine-readable code, e.g. `invalid_parameter`.
    public var code: String
    public var message: String
    /// Extra response header fields (`Allow`, `Retry-After`).
    public var headers: [(name: String, value: String)] = []

    public init(status: Int, code: String, _ message: String, headers: [(name: String, value: String)] = []) {
        self.status = status; self.code = code; self.message = message; self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }

    /// The JSON error response.
    public var response: HTTPResponse {
        .json(status, .object([("error", .object([("code", .string(code)), ("message", .string(message))]))]),
              headers: headers)
    }

    public static func invalidParameter(_ message: String) -> APIError { APIError(status: 400, code: "invalid_parameter", message) }
    public static func badRequest(_ message: String) -> APIError { APIError(status: 400, code: "bad_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(status: 404, code: "not_found", message) }
    public static func unauthorized(_ message: String) -> APIError {
        APIError(status: 401, code: "unauthorized", message, headers: [("WWW-Authenticate", "Bearer realm=\"argus\"")])
    }
    public static func modelNotFound(_ name: String, available: [String]) -> APIError {
        APIError(status: 404, code: "model_not_found",
                 "no model named '\(name)'; loaded models: \(available.joined(separator: ", "))")
    }
    public static func methodNotAllowed(_ method: String, allowed: [String]) -> APIError {
        APIError(status: 405, code: "method_not_allowed", "\(method) is not allowed here; use \(allowed.joined(separator: " or "))",
                 headers: [("Allow", allowed.joined(separator: ", "))])
    }
    public static func lengthRequired() -> APIError {
        APIError(status: 411, code: "length_required", "the request has no body and no Content-Length")
    }
    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(status: 413, code: "payload_too_large", "the request body is over the limit of \(limit) bytes")
    }
    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(status: 415, code: "unsupported_media_type", message)
    }
    public static func undecodableImage(_ message: String) -> APIError {
        APIError(status: 422, code: "undecodable_image", message)
    }
    public static func corruptImage(_ message: String) -> APIError { APIError(status: 422, code: "corrupt_image", message) }
    public static func truncatedImage(_ message: String) -> APIError {
        APIError(status: 422, code: "truncated_image", message + " (allow_truncated=true decodes a cut JPEG anyway)")
    }
    public static func overloaded(retryAfterSeconds: Int) -> APIError {
        APIError(status: 503, code: "overloaded", "the inference queue is full; retry later",
                 headers: [("Retry-After", String(retryAfterSeconds))])
    }
    /// The client closed the connection before the answer (nginx's 499): nobody reads this response.
    public static func clientClosedRequest() -> APIError {
        APIError(status: 499, code: "client_closed_request", "the client closed the connection; its queued work was dropped")
    }
    public static func deadlineExceeded() -> APIError {
        APIError(status: 504, code: "deadline_exceeded", "the request did not finish within its deadline")
    }
    public static func internalError(_ message: String) -> APIError {
        APIError(status: 500, code: "internal_error", message)
    }

    /// Maps errors from the image and model layers to their HTTP meaning; anything else is a bug (500).
    public static func from(_ error: Error, imageIndex: Int? = nil) -> APIError {
        let which = imageIndex.map { "image \($0): " } ?? ""
        switch error {
        case let api as APIError:
            return api
        case let pipeline as PipelineError:
            switch pipeline.kind {
            case .invalidParameter, .unsupported: return APIError(status: 400, code: pipeline.code, pipeline.message)
            case .modelNotFound: return APIError(status: 404, code: pipeline.code, pipeline.message)
            case .deadlineExceeded: return APIError(status: 504, code: pipeline.code, pipeline.message)
            case .internalFailure: return APIError(status: 500, code: pipeline.code, pipeline.message)
            }
        case let failure as ImageFailure:
            return from(failure.underlying, imageIndex: failure.index)
        case let image as ImageError:
            switch image {
            case .tooLarge(let w, let h, let limit):
                return APIError(status: 413, code: "image_too_large",
                                "\(which)image is \(w)x\(h) = \(w * h) pixels, over the limit of \(limit)")
            case .empty: return .badRequest("\(which)image data is empty")
            case .unsupportedFormat: return .unsupportedMediaType("\(which)the bytes are neither JPEG nor PNG")
            case .truncated: return .truncatedImage("\(which)\(image.description)")
            case .corrupt: return .corruptImage("\(which)\(image.description)")
            case .unsupportedColorSpace: return .undecodableImage("\(which)\(image.description)")
            case .invalidArgument: return .internalError("\(which)\(image.description)")
            }
        case let model as ModelError:
            switch model {
            case .invalidOption(let message): return .invalidParameter(message)
            case .deadlineExceeded: return .deadlineExceeded()
            default: return .internalError(model.description)
            }
        default:
            return .internalError("\(which)\(error)")
        }
    }
}

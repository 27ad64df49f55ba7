/// Failures while reading or running an ONNX file; each names what was wrong.
public enum ONNXError: Error, CustomStringConvertible, Equatable {
    /// The bytes are not a well-formed ONNX ModelProto (truncated, bad wire type, inconsistent sizes).
    case malformed(String)
    /// A valid file that uses something this runtime does not implement (an operator, a data type, an attribute).
    case unsupported(String)
    /// Inputs that do not fit the graph (missing feed, wrong shape), or shapes that disagree while running.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .malformed(let m): return "malformed ONNX file: \(m)"
        case .unsupported(let m): return "unsupported ONNX content: \(m)"
        case .invalidInput(let m): return "ONNX input: \(m)"
        }
    }
}

/// Everything that can go wrong while reading a checkpoint or handing out its tensors.
public enum WeightsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read.
    case io(path: String, reason: String)
    /// The bytes are neither a PyTorch zip checkpoint nor a safetensors file.
    case notACheckpoint(String)
    /// The data ends before a structure it declares.
    case truncated(String)
    /// The data is malformed (bad offsets, inconsistent sizes, broken pickle stream...).
    case corrupt(String)
    /// A pickle opcode this reader does not implement (e.g. extension registry codes).
    case unsupportedOpcode(opcode: UInt8, offset: Int)
    /// A tensor element type this reader cannot convert.
    case unsupportedDType(String)
    /// A format feature this reader does not implement.
    case unsupported(String)
    /// No tensor by that name; `suggestions` are the closest names present.
    case missingTensor(name: String, suggestions: [String])
    /// The tensor exists with another shape than the caller expects.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// The tensor exists but its element type does not fit the request.
    case dtypeMismatch(name: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .io(path, reason):
            return "cannot read \(path): \(reason)"
        case let .notACheckpoint(why):
            return "not a checkpoint: \(why)"
        case let .truncated(what):
            return "truncated checkpoint: \(what)"
        case let .corrupt(what):
            return "corrupt checkpoint: \(what)"
        case let .unsupportedOpcode(op, offset):
            let hex = String(op, radix: 16)
            return "unsupported pickle opcode 0x\(hex.count < 2 ? "0" + hex : hex) at byte \(offset)"
        case let .unsupportedDType(name):
            return "unsupported tensor dtype \(name)"
        case let .unsupported(what):
            return "unsupported: \(what)"
        case let .missingTensor(name, suggestions):
            let hint = suggestions.isEmpty ? "" : " (did you mean \(suggestions.joined(separator: ", "))?)"
            return "no tensor named \"\(name)\" in checkpoint\(hint)"
        case let .shapeMismatch(name, expected, found):
            return "tensor \"\(name)\" has shape \(found), expected \(expected)"
        case let .dtypeMismatch(name, expected, found):
            return "tensor \"\(name)\" has dtype \(found), expected \(expected)"
        }
    }
}

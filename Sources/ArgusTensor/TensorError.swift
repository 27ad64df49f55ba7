/// Why a tensor op refused its arguments. Ops validate shapes up front and throw instead of trapping,
/// so a malformed weight file or an image too small for a network becomes an error, not a crash.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// An operand's shape (or rank) does not fit the op.
    case invalidShape(op: String, message: String)
    /// A scalar parameter (stride, padding, groups, size, ...) is out of its valid range.
    case invalidArgument(op: String, message: String)

    public var description: String {
        switch self {
        case let .invalidShape(op, message): return "\(op): invalid shape: \(message)"
        case let .invalidArgument(op, message): return "\(op): invalid argument: \(message)"
        }
    }
}

import CCodecs

/// Swift view of a `cc_status` filled in by the C shim.
struct CodecStatus {
    var raw = cc_status()

    var code: Int32 { raw.code }
    var message: String { Self.string(raw.message) }
    var warningCount: Int { Int(raw.warning_count) }
    var firstWarning: String? { raw.warning_count > 0 ? Self.string(raw.first_warning) : nil }

    /// Maps a failed call to the typed error; `context` names the codec for the message.
    func error(context: String) -> ImageError {
        switch Int(raw.code) {
        case Int(Int32(CC_UNSUPPORTED_COLOR.rawValue)): return .unsupportedColorSpace("\(context): \(message)")
        case Int(Int32(CC_BAD_ARGUMENT.rawValue)): return .invalidArgument("\(context): \(message)")
        case Int(Int32(CC_NO_MEMORY.rawValue)): return .corrupt("\(context): out of memory")
        default: return .corrupt("\(context): \(message)")
        }
    }

    private static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[0 ..< end], as: UTF8.self)
        }
    }
}

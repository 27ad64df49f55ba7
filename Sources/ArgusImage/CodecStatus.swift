import CCodecs

/// Swift view of a `cc_status` filled in by the C shim.
struct CodecStatus {
    var raw = cc_status()

    var code: Int32 { raw.code }
    var message: String { Self.string(raw.message) }
    var warningCount: Int { Int(raw.warning_count) }
    var firstWarning: String? { raw.warning_count > 0 ? Self.string(raw.first_warning) : nil }

    /// The worst defect the decoder noticed in the image data, with the message that first reported it.
    var defect: (kind: cc_defect, message: String)? {
        raw.defect == Int32(CC_DEFECT_NONE.rawValue) ? nil : (cc_defect(UInt32(raw.defect)), Self.string(raw.defect_message))
    }

    /// The error for a decode that succeeded with damaged or missing data (nil when the data was whole).
    func defectError(context: String) -> ImageError? {
        guard let defect else { return nil }
        if defect.kind == CC_DEFECT_TRUNCATED {
            return .truncated("\(context): \(defect.message) (the data ends before the image does)")
        }
        return .corrupt("\(context): \(defect.message)")
    }

    /// Maps a failed call to the typed error; `context` names the codec for the message.
    func error(context: String) -> ImageError {
        if let defect, defect.kind == CC_DEFECT_TRUNCATED {
            return .truncated("\(context): \(defect.message) (\(message))")
        }
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

import ArgusPipeline

/// A parsed `Content-Type` value: `type/subtype; name=value; ...` (RFC 9110 §8.3.1).
public struct MediaType: Sendable, Equatable {
    /// Lower-cased `type/subtype`, e.g. `multipart/form-data`.
    public var essence: String
    /// Parameters with lower-cased names; quoted values unquoted.
    public var parameters: [String: String]

    /// Parses a header value; nil when it has no `type/subtype`.
    public init?(_ header: String) {
        var pieces = MediaType.splitParameters(header)
        guard !pieces.isEmpty else { return nil }
        let essence = pieces.removeFirst().trimmingSpaces().lowercased()
        let halves = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty,
              !essence.contains(" ") else { return nil }
        self.essence = essence
        var parameters: [String: String] = [:]
        for piece in pieces {
            guard let eq = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<eq].trimmingSpaces().lowercased()
            var value = piece[piece.index(after: eq)...].trimmingSpaces()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingBackslashEscapes()
            }
            if !name.isEmpty { parameters[name] = value }
        }
        self.parameters = parameters
    }

    /// Splits on `;` outside quoted strings.
    static func splitParameters(_ s: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false, escaped = false
        for ch in s {
            if escaped { current.append(ch); escaped = false; continue }
            if quoted && ch == "\\" { current.append(ch); escaped = true; continue }
            if ch == "\"" { quoted.toggle() }
            if ch == ";" && !quoted { pieces.append(current); current = ""; continue }
            current.append(ch)
        }
        pieces.append(current)
        return pieces
    }
}

extension StringProtocol {
    /// Undoes quoted-pair escapes (`\"` -> `"`).
    func replacingBackslashEscapes() -> String {
        var out = "", escaped = false
        for ch in self {
            if escaped { out.append(ch); escaped = false } else if ch == "\\" { escaped = true } else { out.append(ch) }
        }
        return out
    }
}

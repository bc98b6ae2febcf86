/// The credentials of an `Authorization: Bearer <token>` header (RFC 6750, section 2.1), read the way Go's
/// net/http servers behind both mocked APIs read them.
public enum BearerToken {
    /// The token of `Bearer <token>` (scheme case-insensitive), nil when the header is anything else.
    public static func parse(_ header: String) -> String? {
        // Hot path: in ASCII without CR every byte is one Character, so the byte-wise reading
        // below gives the same answer as the Character-wise one after it.
        if let fast = asciiBearerTokenStart(header.utf8Span.span) {
            guard let start = fast else { return nil }
            return String(header[header.utf8.index(header.utf8.startIndex, offsetBy: start)...])
        }
        let trimmed = header.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }

    private static let bearerScheme = Array("bearer ".utf8)

    /// `parse` over the bytes of an ASCII header without CR: `.some(offset of the token)`
    /// (`.some(nil)` when the header is no bearer token), or nil when the header is not such ASCII.
    private static func asciiBearerTokenStart(_ bytes: Span<UInt8>) -> Int?? {
        for index in bytes.indices where bytes[index] >= 0x80 || bytes[index] == 0x0D { return nil }
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 { start += 1 }
        // More than 7 characters, the first 7 of them "bearer " in any letter case.
        guard bytes.count - start > 7 else { return .some(nil) }
        for (offset, expected) in bearerScheme.enumerated() {
            let byte = bytes[start + offset]
            let lower = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
            if lower != expected { return .some(nil) }
        }
        var tokenStart = start + 7
        while tokenStart < bytes.count, bytes[tokenStart] == 0x20 { tokenStart += 1 }
        return tokenStart < bytes.count ? .some(tokenStart) : .some(nil)
    }
}

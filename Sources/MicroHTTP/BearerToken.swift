/// The credentials of an `Authorization: Bearer <token>` header (RFC 6750, section 2.1), read the way Go's
/// net/http servers behind both mocked APIs read them.
public enum BearerToken {
    /// The token of `Bearer <token>` (scheme case-insensitive), nil when the header is anything else.
    public static func parse(_ header: String) -> String? {
        // Hot path: in ASCII without CR every byte is one Character, so the byte-wise reading
        // below gives the same answer as the Character-wise one after it.
        if let fast = header.utf8.withContiguousStorageIfAvailable(asciiBearerToken), let fast {
            return fast
        }
        let trimmed = header.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }

    /// `parse` over the bytes of an ASCII header without CR: `.some(token)` (`.some(nil)` when the
    /// header is no bearer token), or nil when the header is not such ASCII.
    private static func asciiBearerToken(_ bytes: UnsafeBufferPointer<UInt8>) -> String?? {
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 { start += 1 }
        // More than 7 characters, the first 7 of them "bearer " in any letter case.
        guard bytes.count - start > 7 else { return isPlainASCII(bytes) ? .some(nil) : nil }
        var scheme: UInt64 = 0
        for offset in 0..<7 { scheme |= UInt64(bytes[start + offset]) << (8 * offset) }
        // The six letters with their case bit set (only 'B' and 'b' give 'b' so), the space as sent.
        let lowered = scheme | 0x00_00_20_20_20_20_20_20
        guard isPlainASCII(bytes) else { return nil }
        guard lowered == bearerScheme else { return .some(nil) }
        var tokenStart = start + 7
        while tokenStart < bytes.count, bytes[tokenStart] == 0x20 { tokenStart += 1 }
        guard tokenStart < bytes.count else { return .some(nil) }
        return .some(String(decoding: UnsafeBufferPointer(rebasing: bytes[tokenStart...]), as: UTF8.self))
    }

    /// "bearer " as seven little-endian bytes.
    private static let bearerScheme: UInt64 = Array("bearer ".utf8).enumerated().reduce(0) {
        $0 | UInt64($1.element) << (8 * $1.offset)
    }

    /// ASCII without CR: bytes for which each byte is one Character.
    private static func isPlainASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 || byte == 0x0D { return false }
        return true
    }
}

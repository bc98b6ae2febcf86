import CGnuTLS

/// RFC 4226 / RFC 6238 one-time passwords: HMAC-SHA1 from GnuTLS (the TLS library libmicrohttpd
/// already links), the truncation and the base32 secret format by hand (a few lines each; no
/// Debian or Swift package on this machine offers them on their own).
public enum OneTimePassword {
    /// The 6-digit TOTP code of `secret` for the 30-second step holding `unixSeconds`.
    public static func totp(secret: [UInt8], unixSeconds: Int64, stepOffset: Int64 = 0) -> String {
        hotp(secret: secret, counter: UInt64(max(0, unixSeconds / 30 + stepOffset)))
    }

    /// RFC 4226 HOTP, 6 digits.
    public static func hotp(secret: [UInt8], counter: UInt64) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { message[index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
        var digest = [UInt8](repeating: 0, count: 20)
        // One C call: key, message and the 20-byte output buffer, each valid for the call.
        let status = secret.withUnsafeBytes { key in
            message.withUnsafeBytes { text in
                digest.withUnsafeMutableBytes { out in
                    gnutls_hmac_fast(
                        GNUTLS_MAC_SHA1,
                        key.baseAddress,
                        key.count,
                        text.baseAddress,
                        text.count,
                        out.baseAddress
                    )
                }
            }
        }
        precondition(status == 0, "gnutls_hmac_fast(SHA1) failed: \(status)")
        let offset = Int(digest[19] & 0x0F)
        let binary =
            (UInt32(digest[offset] & 0x7F) << 24) | (UInt32(digest[offset + 1]) << 16)
            | (UInt32(digest[offset + 2]) << 8) | UInt32(digest[offset + 3])
        let code = String(binary % 1_000_000)
        return String(repeating: "0", count: 6 - code.count) + code
    }
}

/// RFC 4648 base32 (the alphabet authenticator apps use for TOTP secrets).
public enum Base32 {
    /// Upper- or lower-case letters and digits 2-7, `=` padding and spaces ignored; nil otherwise.
    public static func decode(_ text: String) -> [UInt8]? {
        var bits: UInt32 = 0
        var count = 0
        var out: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") && byte != UInt8(ascii: " ") {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = byte - UInt8(ascii: "2") + 26
            default: return nil
            }
            bits = (bits << 5) | UInt32(value)
            count += 5
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return out.isEmpty ? nil : out
    }
}

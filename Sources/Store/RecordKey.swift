#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A record's id, token or code as the stores' tables key it: hashed with FNV-1a over its UTF-8
/// bytes and handed to `Hasher` as one word, and compared byte for byte, as the vendors' Go
/// services compare ids. String's own hashing feeds every byte through SipHash after a Unicode
/// normalisation check, about 2.5 times the instructions for an 18-digit session id (measured
/// with callgrind); these keys are short, and per-process seeding still comes from `Hasher`.
package struct RecordKey: Hashable, Sendable {
    package let text: String

    package init(_ text: String) { self.text = text }

    package static func == (lhs: RecordKey, rhs: RecordKey) -> Bool {
        var left = lhs.text
        var right = rhs.text
        guard left.utf8.count == right.utf8.count else { return false }
        return left.withUTF8 { a in
            right.withUTF8 { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }

    package func hash(into hasher: inout Hasher) {
        var text = text
        hasher.combine(text.withUTF8(Self.fnv1a))
    }

    private static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}

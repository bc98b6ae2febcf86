/// Random identifiers and codes from the system's secure generator: the mock's tokens must not
/// be guessable from one another, as a client's tests may rely on that.
public enum RandomText {
    public static let lowercaseAlphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    public static let digits = Array("0123456789".utf8)

    /// `count` characters drawn uniformly from `alphabet` (ASCII bytes).
    public static func string(count: Int, from alphabet: [UInt8]) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        for index in bytes.indices { bytes[index] = alphabet.randomElement(using: &generator)! }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` random bytes (secrets and tokens, before their text encoding).
    public static func bytes(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

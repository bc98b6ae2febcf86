/// The alphabets the mock's ids, tokens and codes are drawn from (see `ScenarioRandom`).
public enum RandomText {
    public static let lowercaseAlphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    public static let digits = Array("0123456789".utf8)
}

/// Where a scenario copy's ids, tokens and codes come from. Without a seed it is the system's
/// secure generator: the mock's tokens must not be guessable from one another, as a client's
/// tests may rely on that. With a seed (a seed file's `randomSeed`) it is xoshiro256**, its state
/// filled by SplitMix64 from the seed and a stream number, so every run draws the same sequence.
///
/// Hand-written because neither the standard library nor the packages this project uses offer
/// a seedable generator; both algorithms are Blackman and Vigna's published reference ones, and
/// `ScenarioRandomTests` checks them against the reference outputs. Drawing a character or a byte
/// is done here too, not by the standard library's `random(in:using:)`, whose algorithm is not
/// promised to stay the same across Swift releases (a seeded copy's answers must).
///
/// A value type: each store of a copy holds its own, so a copy's draws depend only on its seed
/// and the requests it served, never on another copy's.
public struct ScenarioRandom: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)?

    /// The system's secure generator.
    public static let system = ScenarioRandom()

    private init() { state = nil }

    /// xoshiro256** seeded with `seed`; `stream` tells apart the generators of one copy's stores.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        state = (
            Self.splitMix64(&mixer), Self.splitMix64(&mixer), Self.splitMix64(&mixer), Self.splitMix64(&mixer)
        )
    }

    /// `seed`'s generator for `stream`, or the system's when `seed` is nil.
    public init(seed: UInt64?, stream: UInt64) {
        if let seed { self.init(seed: seed, stream: stream) } else { self.init() }
    }

    /// xoshiro256** from this exact state (the reference vectors' start).
    init(state: (UInt64, UInt64, UInt64, UInt64)) { self.state = state }

    public var isSeeded: Bool { state != nil }

    /// SplitMix64's next output; advances `x`.
    static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits.
    public mutating func next() -> UInt64 {
        guard var s = state else {
            var system = SystemRandomNumberGenerator()
            return system.next()
        }
        let result = rotateLeft(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotateLeft(s.3, 45)
        state = s
        return result
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in `0..<bound`: draws below the largest multiple of `bound` are kept, others
    /// drawn again, so no value is likelier than another.
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0)
        let bound = UInt64(bound)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let draw = next()
            if draw < limit { return Int(draw % bound) }
        }
    }

    /// `count` characters drawn uniformly from `alphabet` (ASCII bytes).
    public mutating func string(count: Int, from alphabet: [UInt8]) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        for position in bytes.indices { bytes[position] = alphabet[index(below: alphabet.count)] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` random bytes (secrets and tokens, before their text encoding), eight per draw.
    public mutating func bytes(count: Int) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            var draw = next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: draw))
                draw >>= 8
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}

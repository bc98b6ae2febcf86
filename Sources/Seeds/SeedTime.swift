import JSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A timestamp in a seed: absolute (sent back exactly as written when it is in UTC) or relative to
/// the moment the seed is loaded or reset (`now`, `now+15m`, `now-2h`).
public enum SeedTimestamp: Sendable, Equatable {
    case absolute(String)
    case relative(offsetMicros: Int64)

    /// Parses `now[±duration]` or an RFC 3339 date-time; nil with a reason otherwise.
    public static func parse(_ text: String) -> Result<SeedTimestamp, SeedTimeError> {
        if text == "now" { return .success(.relative(offsetMicros: 0)) }
        if text.hasPrefix("now") {
            let rest = text.dropFirst(3)
            guard let sign = rest.first, sign == "+" || sign == "-" else {
                return .failure(SeedTimeError("relative time must look like now, now+15m or now-2h"))
            }
            switch SeedDuration.parse(String(rest.dropFirst())) {
            case .success(let duration):
                return .success(.relative(offsetMicros: sign == "+" ? duration.micros : -duration.micros))
            case .failure(let error):
                return .failure(error)
            }
        }
        var utf8 = text
        let absolute = utf8.withUTF8 { SeedTimestamp.absolute(utf8: $0) }
        switch absolute {
        case .invalid:
            return .failure(
                SeedTimeError("'\(text)' is not an RFC 3339 timestamp (2025-03-06T14:42:07Z) nor now±duration")
            )
        case .outOfRange:
            return .failure(SeedTimeError("'\(text)' is outside years 0001-9999 in UTC"))
        case .asWritten:
            return .success(.absolute(text))
        case .converted(let parsed):
            return .success(.absolute(RFC3339.format(micros: parsed.micros, nanos: parsed.nanosRemainder)))
        }
    }

    /// What `parse` makes of text that is not `now`-relative.
    package enum Absolute {
        case invalid
        case outOfRange
        /// Sent as written.
        case asWritten
        /// Sent as `RFC3339.format` writes this instant.
        case converted(RFC3339.Parsed)
    }

    package static func absolute(utf8: UnsafeBufferPointer<UInt8>) -> Absolute {
        guard let parsed = RFC3339.parse(utf8: utf8) else { return .invalid }
        guard (-62_135_596_800_000_000...253_402_300_799_999_999).contains(parsed.micros) else { return .outOfRange }
        // `…T…Z` goes out as written; other spellings (offsets, lowercase t/z) are converted,
        // as the wire is always RFC 3339 UTC with `Z`.
        let canonical = parsed.isUTC && utf8.last == UInt8(ascii: "Z") && utf8[10] == UInt8(ascii: "T")
        return canonical ? .asWritten : .converted(parsed)
    }

    /// The text to send, resolving a relative time against `now` (microseconds since the epoch).
    public func text(now: Int64) -> String {
        switch self {
        case .absolute(let text): return text
        case .relative(let offset): return RFC3339.format(micros: now + offset)
        }
    }

    public func resolved(now: Int64) -> SeedTimestamp { .absolute(text(now: now)) }

    /// The instant, microseconds since the epoch, resolving a relative time against `now`
    /// (nil only for absolute text that does not parse, which the seed parser refuses).
    public func micros(now: Int64) -> Int64? {
        switch self {
        case .absolute(let text): return RFC3339.parse(text)?.micros
        case .relative(let offset): return now + offset
        }
    }

    /// The text of a time a store holds. Stores resolve relative times against their copy's
    /// clock when they take a record in (`resolved(now:)`), so every one they hold is absolute.
    public var storedText: String {
        switch self {
        case .absolute(let text): return text
        case .relative(let offset):
            assertionFailure("a stored time is resolved when it is stored")
            return RFC3339.format(micros: offset)
        }
    }
}

public struct SeedTimeError: Error, Equatable, CustomStringConvertible {
    public var description: String
    package init(_ description: String) { self.description = description }
}

/// `1500ms`, `90s`, `10m`, `1h30m`, `2d`: one or more number+unit parts.
public struct SeedDuration: Sendable, Equatable {
    public var micros: Int64
    /// 100 years: keeps `now±duration` inside RFC 3339's four-digit years and far from overflow.
    package static let maxMicros: Int64 = 100 * 366 * 86_400_000_000

    public init(micros: Int64) { self.micros = micros }

    public static func parse(_ text: String) -> Result<SeedDuration, SeedTimeError> {
        let invalid = SeedTimeError("'\(text)' is not a duration like 1500ms, 90s, 10m or 1h30m")
        var total: Int64 = 0
        var chars = Array(text.utf8)[...]
        guard !chars.isEmpty else { return .failure(invalid) }
        while !chars.isEmpty {
            var number: Int64 = 0
            var digits = 0
            while let c = chars.first, c >= 48, c <= 57 {
                number = number &* 10 &+ Int64(c - 48)
                digits += 1
                chars = chars.dropFirst()
                if digits > 12 { return .failure(invalid) }
            }
            guard digits > 0 else { return .failure(invalid) }
            let unit: Int64
            if chars.starts(with: "ms".utf8) {
                unit = 1000
                chars = chars.dropFirst(2)
            } else if chars.first == UInt8(ascii: "s") {
                unit = 1_000_000
                chars = chars.dropFirst()
            } else if chars.first == UInt8(ascii: "m") {
                unit = 60_000_000
                chars = chars.dropFirst()
            } else if chars.first == UInt8(ascii: "h") {
                unit = 3_600_000_000
                chars = chars.dropFirst()
            } else if chars.first == UInt8(ascii: "d") {
                unit = 86_400_000_000
                chars = chars.dropFirst()
            } else {
                return .failure(invalid)
            }
            let (part, overflow) = number.multipliedReportingOverflow(by: unit)
            guard !overflow, part <= maxMicros, total + part <= maxMicros else {
                return .failure(SeedTimeError("'\(text)' is longer than 100 years"))
            }
            total += part
        }
        return .success(SeedDuration(micros: total))
    }
}

/// RFC 3339 date-times, the only timestamp format on the ZITADEL wire.
public enum RFC3339 {
    public struct Parsed: Equatable {
        /// Microseconds since the epoch.
        public var micros: Int64
        /// Nanoseconds past `micros` (for 7–9 fraction digits).
        public var nanosRemainder: Int32
        public var isUTC: Bool
        /// Whole seconds and nanoseconds, as protobuf's Timestamp holds them.
        public var seconds: Int64 { micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000 }
        public var nanos: Int32 { Int32(micros - seconds * 1_000_000) * 1000 + nanosRemainder }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, fields range-checked.
    public static func parse(_ text: String) -> Parsed? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    package static func parse(utf8 b: UnsafeBufferPointer<UInt8>) -> Parsed? {
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for i in from..<from + count {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard b.count >= 20, let year = num(0, 4), b[4] == 45, let month = num(5, 2), b[7] == 45,
            let day = num(8, 2), b[10] | 0x20 == UInt8(ascii: "t"), let hour = num(11, 2), b[13] == 58,
            let minute = num(14, 2), b[16] == 58, let second = num(17, 2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fractionNanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { fractionNanos = fractionNanos * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0, digits <= 9 else { return nil }
            for _ in digits..<9 { fractionNanos *= 10 }
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        var isUTC = false
        if b[i] | 0x20 == UInt8(ascii: "z") {
            isUTC = true
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            isUTC = offsetSeconds == 0 && b[i] == UInt8(ascii: "+")
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + min(second, 59)) - Int64(offsetSeconds)
        return Parsed(
            micros: seconds * 1_000_000 + fractionNanos / 1000,
            nanosRemainder: Int32(fractionNanos % 1000),
            isUTC: isUTC
        )
    }

    /// `2025-03-06T14:42:07.731226Z`: UTC, six fraction digits (nine when nanoseconds are given).
    public static func format(micros: Int64, nanos: Int32 = 0) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (y, m, d) = civilFromDays(Int(days))
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var text = "\(pad(Int64(y), 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))T"
        text += "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))."
        text += nanos == 0 ? pad(fraction, 6) : pad(fraction * 1000 + Int64(nanos), 9)
        return text + "Z"
    }

    /// `2026-01-01T00:00:00Z`, `…00.123Z`, `…00.123456Z`: UTC with no, three or six fraction
    /// digits, the fewest that hold the time, as protobuf's JSON writes a Timestamp (the form
    /// `/__admin/clock` answers in, so a clock set to a whole second reads back as it was set).
    public static func formatProtoJSON(micros: Int64) -> String {
        let text = format(micros: micros)  // `…SS.ffffffZ`
        let fraction = text.utf8.suffix(7).prefix(6)
        if fraction.allSatisfy({ $0 == UInt8(ascii: "0") }) { return text.dropLast(8) + "Z" }
        if fraction.suffix(3).allSatisfy({ $0 == UInt8(ascii: "0") }) { return text.dropLast(4) + "Z" }
        return text
    }

    /// `2026-12-02T18:00:00.123Z`: UTC, exactly three fraction digits (WalletKit's wire format).
    public static func formatMillis(micros: Int64) -> String {
        let millis = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
        let text = format(micros: millis * 1000)
        return String(text.dropLast(4)) + "Z"
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days-from-civil algorithms: exact for the proleptic Gregorian calendar.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

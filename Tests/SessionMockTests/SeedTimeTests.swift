import Testing

@testable import JSON
@testable import MicroHTTP
@testable import MockPipeline
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import Store
@testable import WalletKitAPI
@testable import ZitadelAPI

/// RFC 3339 timestamps, `now±duration` and durations (docs/seeds.md#values).
@Suite struct SeedTimeTests {
    /// 2025-03-06T14:42:07.731226Z in microseconds since the epoch.
    static let now: Int64 = 1_741_272_127_731_226

    // MARK: - RFC3339

    @Test func parsesSixFractionDigits() throws {
        let parsed = try #require(RFC3339.parse("2025-03-06T14:42:07.731226Z"))
        #expect(parsed == RFC3339.Parsed(micros: Self.now, nanosRemainder: 0, isUTC: true))
        #expect(parsed.seconds == 1_741_272_127)
        #expect(parsed.nanos == 731_226_000)
        #expect(RFC3339.format(micros: parsed.micros, nanos: parsed.nanosRemainder) == "2025-03-06T14:42:07.731226Z")
    }

    @Test func parsesNineFractionDigits() throws {
        let parsed = try #require(RFC3339.parse("2025-03-06T14:42:07.123456789Z"))
        #expect(parsed.micros == 1_741_272_127_123_456)
        #expect(parsed.nanosRemainder == 789)
        #expect(parsed.nanos == 123_456_789)
        #expect(RFC3339.format(micros: parsed.micros, nanos: parsed.nanosRemainder) == "2025-03-06T14:42:07.123456789Z")
    }

    @Test func parsesWithoutFraction() throws {
        let parsed = try #require(RFC3339.parse("2025-03-06T14:42:07Z"))
        #expect(parsed.micros == 1_741_272_127_000_000)
        #expect(RFC3339.format(micros: parsed.micros) == "2025-03-06T14:42:07.000000Z")
        let short = try #require(RFC3339.parse("2025-03-06T14:42:07.5Z"))
        #expect(short.micros == 1_741_272_127_500_000)
    }

    @Test(arguments: [
        ("2025-03-06T15:42:07.731226+01:00", "2025-03-06T14:42:07.731226Z"),
        ("2025-03-06T12:12:07.731226-02:30", "2025-03-06T14:42:07.731226Z"),
        ("2025-03-01T00:30:00+01:00", "2025-02-28T23:30:00.000000Z"),
        ("2024-12-31T23:00:00-01:00", "2025-01-01T00:00:00.000000Z"),
        ("2025-03-06t14:42:07z", "2025-03-06T14:42:07.000000Z"),
    ])
    func offsetsAreConvertedToUTC(input: String, utc: String) throws {
        let parsed = try #require(RFC3339.parse(input))
        #expect(RFC3339.format(micros: parsed.micros, nanos: parsed.nanosRemainder) == utc)
    }

    @Test func utcFlag() {
        #expect(RFC3339.parse("2025-03-06T14:42:07Z")?.isUTC == true)
        #expect(RFC3339.parse("2025-03-06T14:42:07+01:00")?.isUTC == false)
        #expect(RFC3339.parse("2025-03-06T14:42:07-00:00")?.isUTC == false)
    }

    @Test func leapYears() throws {
        let leap = try #require(RFC3339.parse("2024-02-29T12:00:00Z"))
        #expect(leap.micros == 1_709_208_000_000_000)
        #expect(RFC3339.format(micros: leap.micros) == "2024-02-29T12:00:00.000000Z")
        #expect(RFC3339.parse("2000-02-29T00:00:00Z") != nil)
        #expect(RFC3339.parse("2023-02-29T00:00:00Z") == nil)
        #expect(RFC3339.parse("1900-02-29T00:00:00Z") == nil)
        #expect(RFC3339.parse("2024-02-30T00:00:00Z") == nil)
    }

    @Test(arguments: [
        "2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z", "2025-01-00T00:00:00Z", "2025-04-31T00:00:00Z",
        "2025-01-01T24:00:00Z", "2025-01-01T00:60:00Z", "2025-01-01T00:00:61Z",
        "2025-01-01T00:00:00", "2025-01-01 00:00:00Z", "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00.1234567890Z",
        "2025-01-01T00:00:00+0100", "2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00Zjunk", "25-01-01T00:00:00Z", "",
    ])
    func invalidTimestamps(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func beforeTheEpoch() throws {
        let justBefore = try #require(RFC3339.parse("1969-12-31T23:59:59.999999Z"))
        #expect(justBefore.micros == -1)
        #expect(justBefore.seconds == -1)
        #expect(justBefore.nanos == 999_999_000)
        #expect(RFC3339.format(micros: -1) == "1969-12-31T23:59:59.999999Z")
        let sixties = try #require(RFC3339.parse("1960-01-01T00:00:00Z"))
        #expect(sixties.micros == -315_619_200_000_000)
        #expect(RFC3339.format(micros: sixties.micros) == "1960-01-01T00:00:00.000000Z")
        let moon = try #require(RFC3339.parse("1969-07-20T20:17:40.25Z"))
        #expect(moon.micros == -14_182_940_000_000 + 250_000)
        #expect(RFC3339.format(micros: moon.micros) == "1969-07-20T20:17:40.250000Z")
        #expect(RFC3339.format(micros: 0) == "1970-01-01T00:00:00.000000Z")
    }

    // MARK: - SeedTimestamp

    @Test(arguments: [
        "2025-03-06T14:42:07Z", "2025-03-06T14:42:07.1Z", "2025-03-06T14:42:07.731226Z",
        "2025-03-06T14:42:07.123456789Z",
    ])
    func absoluteUTCIsKeptExactlyAsWritten(text: String) throws {
        let timestamp = try SeedTimestamp.parse(text).get()
        #expect(timestamp == .absolute(text))
        #expect(timestamp.text(now: Self.now) == text)
        #expect(timestamp.text(now: 0) == text)
        #expect(timestamp.resolved(now: Self.now) == .absolute(text))
    }

    @Test func absoluteWithOffsetIsSentAsUTC() throws {
        #expect(try SeedTimestamp.parse("2025-03-06T15:42:07+01:00").get() == .absolute("2025-03-06T14:42:07.000000Z"))
        #expect(
            try SeedTimestamp.parse("2025-03-06T15:42:07.123456789+01:00").get()
                == .absolute("2025-03-06T14:42:07.123456789Z")
        )
    }

    @Test(arguments: [
        ("now", "2025-03-06T14:42:07.731226Z"),
        ("now+15m", "2025-03-06T14:57:07.731226Z"),
        ("now-2h", "2025-03-06T12:42:07.731226Z"),
        ("now+1h30m", "2025-03-06T16:12:07.731226Z"),
        ("now+1500ms", "2025-03-06T14:42:09.231226Z"),
        ("now-2d", "2025-03-04T14:42:07.731226Z"),
        ("now+0s", "2025-03-06T14:42:07.731226Z"),
    ])
    func relativeTimesResolveAgainstNow(text: String, expected: String) throws {
        let timestamp = try SeedTimestamp.parse(text).get()
        #expect(timestamp.text(now: Self.now) == expected)
        #expect(timestamp.resolved(now: Self.now) == .absolute(expected))
    }

    @Test func relativeTimesKeepTheirOffset() throws {
        #expect(try SeedTimestamp.parse("now").get() == .relative(offsetMicros: 0))
        #expect(try SeedTimestamp.parse("now-2h").get() == .relative(offsetMicros: -7_200_000_000))
        #expect(try SeedTimestamp.parse("now+1h30m").get() == .relative(offsetMicros: 5_400_000_000))
    }

    @Test(arguments: [
        ("now+", "'' is not a duration like 1500ms, 90s, 10m or 1h30m"),
        ("now+5x", "'5x' is not a duration like 1500ms, 90s, 10m or 1h30m"),
        ("now 5m", "relative time must look like now, now+15m or now-2h"),
        ("nowish", "relative time must look like now, now+15m or now-2h"),
        ("tomorrow", "'tomorrow' is not an RFC 3339 timestamp (2025-03-06T14:42:07Z) nor now±duration"),
        ("", "'' is not an RFC 3339 timestamp (2025-03-06T14:42:07Z) nor now±duration"),
    ])
    func badTimestampsAreRefusedWithAReason(text: String, reason: String) {
        #expect(SeedTimestamp.parse(text) == .failure(SeedTimeError(reason)))
    }

    // MARK: - SeedDuration

    @Test(arguments: [
        ("1500ms", Int64(1_500_000)),
        ("90s", 90_000_000),
        ("10m", 600_000_000),
        ("1h30m", 5_400_000_000),
        ("2d", 172_800_000_000),
        ("0s", 0),
        ("1m30s250ms", 90_250_000),
    ])
    func parsesDurations(text: String, micros: Int64) {
        #expect(SeedDuration.parse(text) == .success(SeedDuration(micros: micros)))
    }

    @Test(arguments: ["", "10", "m", "5x", "-5s", "1.5s", "5 m", "1h30", "s10", "+5s", "5M", "1000000000000s"])
    func rejectsBadDurations(text: String) {
        #expect(
            SeedDuration.parse(text)
                == .failure(SeedTimeError("'\(text)' is not a duration like 1500ms, 90s, 10m or 1h30m"))
        )
    }
}

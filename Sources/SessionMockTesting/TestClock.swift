import Seeds
import SessionMock
import Store

/// A scenario copy's clock, moved by the test with a call instead of `POST /__admin/clock`: the
/// same clock, so the next request (in process or over a socket) sees the move.
public struct TestClock: Sendable {
    let clock: ScenarioClock

    /// The copy's time, microseconds since the Unix epoch.
    public var nowMicros: Int64 { clock.nowMicros() }
    public var isFrozen: Bool { clock.read().frozen }

    /// Moves the clock on (or, with a negative duration, back); throws, moving nothing, when
    /// that would leave years 0001 to 9999.
    public func advance(by duration: Duration) throws {
        let (seconds, attoseconds) = duration.components
        let (micros, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, clock.apply(.init(advanceMicros: micros + attoseconds / 1_000_000_000_000)) != nil else {
            throw TestingError(description: "advancing by \(duration) takes the clock outside years 0001 to 9999")
        }
    }

    /// Sets the clock to an RFC 3339 time (`2026-01-01T00:00:00Z`); it keeps running unless frozen.
    public func set(to time: String) throws {
        guard let parsed = RFC3339.parse(time) else {
            throw TestingError(description: "'\(time)' is not an RFC 3339 time like 2026-01-01T00:00:00Z")
        }
        clock.apply(.init(setMicros: parsed.micros))  // inside the range: RFC 3339 spells 0001 to 9999
    }

    /// Stops the clock where it is (`true`) or lets it run on from there (`false`).
    public func freeze(_ frozen: Bool = true) {
        clock.apply(.init(freeze: frozen))
    }

    /// Back on the wall clock, running (what `DELETE /__admin/clock` does).
    public func useWallClock() {
        clock.useWallClock()
    }
}

extension SessionMockTestClient {
    /// The clock of a scenario copy: `NAME`, `NAME@KEY`, or (nil) the active scenario, as
    /// `?scenario=` picks it.
    public func clock(scenario: String? = nil) throws -> TestClock {
        switch app.registry.scenario(scenario) {
        case .success(let state): return TestClock(clock: state.clock)
        case .failure(let unknown): throw TestingError(description: unknown.message)
        }
    }
}

import Seeds
import SessionMock
import Store

/// A scenario copy's clock, moved by the test with a call instead of `POST /__admin/clock`: the
/// same clock, so the next request (in process or over a socket) sees the move. It finds the copy
/// on every call, so it keeps working after a reset (which starts the copy, and its clock, afresh).
public struct TestClock: Sendable {
    let registry: ScenarioRegistry
    let scenario: String?

    /// The copy's clock now. Scenarios are never removed, and `SessionMockTestClient.clock`
    /// checked the name, so the lookup finds (or makes) the copy.
    private var clock: ScenarioClock {
        guard case .success(let state) = registry.scenario(scenario) else {
            preconditionFailure("scenario '\(scenario ?? "")' was known when its clock was taken")
        }
        return state.clock
    }

    /// The copy's time, microseconds since the Unix epoch.
    public var nowMicros: Int64 { clock.nowMicros() }
    public var isFrozen: Bool { clock.read().frozen }

    /// Moves the clock on (or, with a negative duration, back); throws, moving nothing, when
    /// that would leave `SeedClock.range` (years 0101 to 9799).
    public func advance(by duration: Duration) throws {
        let (seconds, attoseconds) = duration.components
        let (micros, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, clock.apply(.init(advanceMicros: micros + attoseconds / 1_000_000_000_000)) != nil else {
            throw TestingError(description: "advancing by \(duration) takes the clock outside \(SeedClock.rangeText)")
        }
    }

    /// Sets the clock to an RFC 3339 time (`2026-01-01T00:00:00Z`); it keeps running unless frozen.
    public func set(to time: String) throws {
        guard let parsed = RFC3339.parse(time) else {
            throw TestingError(description: "'\(time)' is not an RFC 3339 time like 2026-01-01T00:00:00Z")
        }
        guard clock.apply(.init(setMicros: parsed.micros)) != nil else {
            throw TestingError(description: "'\(time)' is outside \(SeedClock.rangeText), where a clock may be")
        }
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
        case .success: return TestClock(registry: app.registry, scenario: scenario)
        case .failure(let unknown): throw TestingError(description: unknown.message)
        }
    }
}

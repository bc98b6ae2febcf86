import Platform
import Seeds
import Synchronization

/// The time of one scenario copy: the wall clock moved by an offset, or frozen at an instant.
/// Everything time-based in a copy reads it (timelines, expiries, the timestamps of what the
/// copy creates, TOTP windows), and nothing that answers a client reads the wall clock but
/// through it: `make clock-check` (part of `make test`) fails when anything else calls
/// `WallClock.nowMicros`. A reset makes the copy, and so its clock, afresh.
///
/// Reading it is one atomic load and, when it runs, one wall-clock read; a move is one
/// compare-and-swap, so a request never waits on a test moving the clock.
public final class ScenarioClock: Sendable {
    /// The low bit: frozen. The rest: the frozen instant, or the offset from the wall clock (µs).
    private let setting: Atomic<Int64>
    /// Starts at the seed's `clock`, else on the wall clock.
    public init(start: SeedClock?) {
        setting = Atomic(Self.initialSetting(start, wallMicros: WallClock.nowMicros()))
    }

    private static func initialSetting(_ start: SeedClock?, wallMicros: Int64) -> Int64 {
        guard let start else { return 0 }
        let instant = startMicros(start, wallMicros: wallMicros)
        return start.frozen ? encode(instant, frozen: true) : encode(instant - wallMicros, frozen: false)
    }

    /// The time a clock started at `start` shows at first: what a scenario's relative seed
    /// times resolve against when its stores are built.
    public static func startMicros(_ start: SeedClock?) -> Int64 {
        startMicros(start, wallMicros: WallClock.nowMicros())
    }

    private static func startMicros(_ start: SeedClock?, wallMicros: Int64) -> Int64 {
        start?.start?.micros(now: wallMicros) ?? wallMicros
    }

    private static func encode(_ value: Int64, frozen: Bool) -> Int64 { (value << 1) | (frozen ? 1 : 0) }

    /// Microseconds since the Unix epoch, in this copy's time.
    public func nowMicros() -> Int64 {
        let value = setting.load(ordering: .relaxed)
        return value & 1 == 1 ? value >> 1 : WallClock.nowMicros() + (value >> 1)
    }

    /// What `GET /__admin/clock` shows.
    public struct Reading: Sendable, Equatable {
        public var nowMicros: Int64
        /// `nowMicros` minus the wall clock's time at the same read.
        public var offsetMicros: Int64
        public var frozen: Bool
    }

    public func read() -> Reading {
        Self.reading(setting.load(ordering: .relaxed), wallMicros: WallClock.nowMicros())
    }

    private static func reading(_ value: Int64, wallMicros: Int64) -> Reading {
        let frozen = value & 1 == 1
        let now = frozen ? value >> 1 : wallMicros + (value >> 1)
        return Reading(nowMicros: now, offsetMicros: now - wallMicros, frozen: frozen)
    }

    /// One move of `POST /__admin/clock`, applied as one step: `set`, then `advance`, then `freeze`.
    public struct Move: Sendable, Equatable {
        public var setMicros: Int64?
        public var advanceMicros: Int64?
        public var freeze: Bool?

        public init(setMicros: Int64? = nil, advanceMicros: Int64? = nil, freeze: Bool? = nil) {
            self.setMicros = setMicros
            self.advanceMicros = advanceMicros
            self.freeze = freeze
        }
    }

    /// Applies `move` and answers the clock after it; nil, and nothing moved, when it would leave
    /// `SeedClock.range`.
    @discardableResult
    public func apply(_ move: Move) -> Reading? {
        update { now, frozen in
            if let set = move.setMicros { now = set }
            if let advance = move.advanceMicros {
                let (moved, overflow) = now.addingReportingOverflow(advance)
                guard !overflow else { return false }
                now = moved
            }
            if let freeze = move.freeze { frozen = freeze }
            return SeedClock.range.contains(now)
        }
    }

    /// Back on the wall clock, running (`DELETE /__admin/clock`).
    @discardableResult
    public func useWallClock() -> Reading {
        update { now, frozen in
            now = WallClock.nowMicros()
            frozen = false
            return true
        }!
    }

    /// Changes the clock's time and frozenness as seen at one wall-clock instant, so a running
    /// clock keeps running from where `change` leaves it.
    private func update(_ change: (_ now: inout Int64, _ frozen: inout Bool) -> Bool) -> Reading? {
        let wall = WallClock.nowMicros()
        var current = setting.load(ordering: .relaxed)
        while true {
            let reading = Self.reading(current, wallMicros: wall)
            var now = reading.nowMicros
            var frozen = reading.frozen
            guard change(&now, &frozen) else { return nil }
            let next = frozen ? Self.encode(now, frozen: true) : Self.encode(now - wall, frozen: false)
            let (exchanged, original) = setting.compareExchange(
                expected: current,
                desired: next,
                ordering: .relaxed
            )
            if exchanged { return Self.reading(next, wallMicros: wall) }
            current = original
        }
    }
}

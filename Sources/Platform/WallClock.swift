#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in microseconds since the Unix epoch (the resolution every timestamp is sent
/// in), and monotonic time for latencies and timers. A scenario copy's answers read the wall clock
/// only through its `ScenarioClock`; what reads it directly is listed in scripts/check_clock.py.
public struct WallClock: Sendable {
    // Inlinable: called on every request from other modules, and a clock read is a few instructions.
    @inlinable public static func nowMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    /// Monotonic nanoseconds, for latencies and timers (immune to clock changes).
    @inlinable public static func monotonicNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

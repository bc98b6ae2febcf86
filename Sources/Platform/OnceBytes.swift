import Synchronization

/// Bytes made once, on first use, by whoever reads them first; later reads take them with one
/// atomic load and no lock. Two threads racing to make them both run `make` and one result is
/// kept (callers make equal bytes).
///
/// Not the standard library's `AtomicLazyReference`: on Linux its `load` is not inlinable, so a
/// call from another module runs unspecialised and looks up generic metadata on every read
/// (measured at ~600 instructions per GetSession request). This class is not generic, and its
/// `Atomic` is specialised here.
public final class OnceBytes: Sendable {
    private final class Box: Sendable {
        let value: [UInt8]
        init(_ value: [UInt8]) { self.value = value }
    }

    // Holds one retain of the box once set (the `Unmanaged` is the only non-ARC code here);
    // `deinit` gives it back.
    private let stored = Atomic<Unmanaged<Box>?>(nil)

    public init() {}

    public func get(orMake make: () -> [UInt8]) -> [UInt8] {
        if let box = stored.load(ordering: .acquiring) { return box.takeUnretainedValue().value }
        let made = Unmanaged.passRetained(Box(make()))
        let (exchanged, current) = stored.compareExchange(expected: nil, desired: made, ordering: .acquiringAndReleasing)
        guard !exchanged, let current else { return made.takeUnretainedValue().value }
        made.release()
        return current.takeUnretainedValue().value
    }

    deinit {
        stored.load(ordering: .acquiring)?.release()
    }
}

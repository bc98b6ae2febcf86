import Synchronization

/// An object made once, on first use, by whoever asks for it first; later reads take it with one
/// atomic load and no lock. Two threads racing to make it both run `make` and one result is kept
/// (callers make equivalent objects).
///
/// Not the standard library's `AtomicLazyReference`: on Linux its `load` is not inlinable, so a
/// call from another module runs unspecialised and looks up generic metadata on every read
/// (measured at ~600 instructions per GetSession request). This type is not generic, and its
/// `Atomic` is specialised here. It is a non-copyable struct, not a class, so that a record holding
/// a few of these holds them inline (no allocation each).
public struct OnceObject: ~Copyable, Sendable {
    // Holds one retain of the object once set (the `Unmanaged` is the only non-ARC code here);
    // `deinit` gives it back.
    private let stored = Atomic<Unmanaged<AnyObject & Sendable>?>(nil)

    public init() {}

    public func get(orMake make: () -> AnyObject & Sendable) -> AnyObject & Sendable {
        if let object = stored.load(ordering: .acquiring) { return object.takeUnretainedValue() }
        let made = Unmanaged<AnyObject & Sendable>.passRetained(make())
        let (exchanged, current) = stored.compareExchange(
            expected: nil,
            desired: made,
            ordering: .acquiringAndReleasing
        )
        guard !exchanged, let current else { return made.takeUnretainedValue() }
        made.release()
        return current.takeUnretainedValue()
    }

    deinit {
        stored.load(ordering: .acquiring)?.release()
    }
}

/// Bytes made once, on first use (see `OnceObject`).
public struct OnceBytes: ~Copyable, Sendable {
    private final class Box: Sendable {
        let value: [UInt8]
        init(_ value: [UInt8]) { self.value = value }
    }

    private let object = OnceObject()

    public init() {}

    public func get(orMake make: () -> [UInt8]) -> [UInt8] {
        // Only boxes are stored in `object`.
        unsafeDowncast(object.get { Box(make()) }, to: Box.self).value
    }
}

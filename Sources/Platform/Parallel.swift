import Dispatch
import Synchronization

/// Splits work over a large array across the cores: used when a seed of tens of thousands of
/// records is read and its stores built, where it roughly halves the start-up time on two cores.
/// Small inputs run inline, on the calling thread.
package enum Parallel {
    /// Calls `body` on consecutive ranges covering `0..<count` (concurrently when there is enough
    /// work) and returns the results in range order.
    package static func chunks<Result: Sendable>(
        count: Int,
        minimumChunk: Int = 4096,
        _ body: @Sendable (Range<Int>) -> Result
    ) -> [Result] {
        let chunkCount = min(OS.coreCount * 4, count / minimumChunk)
        guard chunkCount > 1 else { return [body(0..<count)] }
        let results = Mutex<[Result?]>(Array(repeating: nil, count: chunkCount))
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let range = (count * chunk / chunkCount)..<(count * (chunk + 1) / chunkCount)
            let result = body(range)
            results.withLock { $0[chunk] = result }
        }
        return results.withLock { $0.map { $0! } }
    }

    /// Runs `first` on another thread while `second` runs on this one, when `concurrently` (and
    /// there is a second core); returns both results. For two independent builds of a large seed,
    /// such as its two APIs' stores, which each spend part of their time on one core.
    package static func both<First: Sendable, Second>(
        concurrently: Bool,
        _ first: @escaping @Sendable () -> First,
        _ second: () -> Second
    ) -> (First, Second) {
        guard concurrently, OS.coreCount > 1 else { return (first(), second()) }
        let slot = ResultSlot<First>()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let made = first()
            slot.value.withLock { $0 = made }
        }
        let other = second()
        group.wait()
        return (slot.value.withLock { $0.take()! }, other)
    }
}

/// Where a result made on another thread is left for the thread that waits for it.
private final class ResultSlot<Value: Sendable>: Sendable {
    let value = Mutex<Value?>(nil)
}

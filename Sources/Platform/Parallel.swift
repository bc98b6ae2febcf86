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
}

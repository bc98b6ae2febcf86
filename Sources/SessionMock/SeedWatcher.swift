import Dispatch
import Logging
import Seeds
import Store

/// `--watch`: polls the seed files' modification times (every `interval` seconds) and reinstalls a changed
/// scenario only when it validates; a bad file is logged and the old state keeps serving.
public final class SeedWatcher: @unchecked Sendable {
    private let path: String
    private let registry: ScenarioRegistry
    private let logger: Logger
    private let queue = DispatchQueue(label: "session-mock.seed-watcher")
    private let interval: Double
    // `timer` and `seen` are only touched on `queue` (and in start/stop before/after it runs),
    // which is why the class can be @unchecked Sendable.
    private var timer: DispatchSourceTimer?
    private var seen: [String: SeedFiles.ModificationTime] = [:]

    /// What one changed file led to.
    public enum Outcome: Sendable, Equatable {
        case reloaded(scenario: String)
        case rejected(file: String)
    }

    /// Every reload and rejection, in order (tests wait on it instead of sleeping). Only the
    /// newest few are kept while nobody reads.
    public let outcomes: AsyncStream<Outcome>
    private let report: AsyncStream<Outcome>.Continuation

    public init(path: String, registry: ScenarioRegistry, logger: Logger, interval: Double = 1) {
        self.path = path
        self.interval = interval
        self.registry = registry
        self.logger = logger
        (outcomes, report) = AsyncStream.makeStream(of: Outcome.self, bufferingPolicy: .bufferingNewest(16))
    }

    public func start() {
        queue.sync { seen = modificationTimes() }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.poll() }
        timer.resume()
        self.timer = timer
        logger.info("watching \(path) for seed changes")
    }

    public func stop() {
        queue.sync { timer?.cancel() }
        report.finish()
    }

    private func modificationTimes() -> [String: SeedFiles.ModificationTime] {
        var files: [String] = [path]
        if SeedFiles.isDirectory(path) == true {
            files = ((try? SeedFiles.contentsOfDirectory(path).get()) ?? [])
                .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }
                .map { SeedFiles.appendingPathComponent(path, $0) }
        }
        var times: [String: SeedFiles.ModificationTime] = [:]
        for file in files {
            if let time = SeedFiles.modificationTime(file) {
                times[file] = time
            }
        }
        return times
    }

    private func poll() {
        let now = modificationTimes()
        for (file, time) in now where seen[file] != time {
            do {
                let (name, seed) = try SeedLoader.loadFile(file, vocabulary: SessionMockApp.seedVocabulary)
                registry.install(seed, as: name)
                logger.info("reloaded scenario '\(name)' from \(file)")
                report.yield(.reloaded(scenario: name))
            } catch {
                for issue in error.issues { logger.error("seed not reloaded, old state keeps serving: \(issue)") }
                report.yield(.rejected(file: file))
            }
        }
        seen = now
    }
}

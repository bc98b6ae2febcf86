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

    public init(path: String, registry: ScenarioRegistry, logger: Logger, interval: Double = 1) {
        self.path = path
        self.interval = interval
        self.registry = registry
        self.logger = logger
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

    public func stop() { queue.sync { timer?.cancel() } }

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
                let (name, seed) = try SeedLoader.loadFile(file)
                registry.install(seed, as: name)
                logger.info("reloaded scenario '\(name)' from \(file)")
            } catch {
                for issue in error.issues { logger.error("seed not reloaded, old state keeps serving: \(issue)") }
            }
        }
        seen = now
    }
}

import Foundation
import Logging
import SessionMock

/// `--watch`: polls the seed files' modification times once a second and reinstalls a changed
/// scenario only when it validates; a bad file is logged and the old state keeps serving.
final class SeedWatcher: @unchecked Sendable {
    private let path: String
    private let registry: ScenarioRegistry
    private let logger: Logger
    private let queue = DispatchQueue(label: "session-mock.seed-watcher")
    private var timer: DispatchSourceTimer?
    /// Only touched on `queue`.
    private var seen: [String: Date] = [:]

    init(path: String, registry: ScenarioRegistry, logger: Logger) {
        self.path = path
        self.registry = registry
        self.logger = logger
    }

    func start() {
        queue.sync { seen = modificationTimes() }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.poll() }
        timer.resume()
        self.timer = timer
        logger.info("watching \(path) for seed changes")
    }

    func stop() { timer?.cancel() }

    private func modificationTimes() -> [String: Date] {
        var files: [String] = [path]
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".schema.json") }
                .map { (path as NSString).appendingPathComponent($0) }
        }
        var times: [String: Date] = [:]
        for file in files {
            if let date = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date {
                times[file] = date
            }
        }
        return times
    }

    private func poll() {
        let now = modificationTimes()
        for (file, date) in now where seen[file] != date {
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

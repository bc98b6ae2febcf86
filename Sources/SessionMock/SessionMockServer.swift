import Logging
import MicroHTTP
import Platform
import Seeds

/// session-mock in-process: `let mock = try SessionMockServer.start()` serves the bundled default
/// scenario on a free loopback port; `mock.baseURL` is where to send requests.
public final class SessionMockServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 0
        /// nil: the bundled default scenario.
        public var seedsPath: String?
        /// Seeds given directly (wins over `seedsPath`), e.g. from a test.
        public var seeds: [String: SeedDocument]?
        /// nil: `default` if there is one, else the first by name.
        public var scenario: String?
        public var app = SessionMockApp.Options()
        public var http = HTTPServerConfiguration()
        public var logger = Logger(label: "session-mock")
        /// Reload changed seed files under `seedsPath` (checked every `watchInterval` seconds).
        public var watch = false
        public var watchInterval = 1.0

        public init() {}
    }

    public let app: SessionMockApp
    public let http: HTTPServer
    public let host: String
    public let port: Int
    /// With `watch` on.
    public let watcher: SeedWatcher?

    /// `https` with `http.tls` set.
    public let scheme: String

    public var baseURL: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shown):\(port)"
    }

    public static func start(_ configuration: Configuration = Configuration()) throws -> SessionMockServer {
        try SessionMockServer(configuration)
    }

    public init(_ configuration: Configuration) throws {
        app = try Self.makeApp(configuration)
        // Reading a large seed leaves freed heap behind (the parsed documents, gone now that
        // makeApp returned): give it back rather than keep it as idle RSS.
        OS.releaseFreedMemory()
        var http = configuration.http
        http.host = configuration.host
        http.port = configuration.port
        if http.engineLog == nil, configuration.logger.logLevel <= .debug {
            let logger = configuration.logger
            http.engineLog = { line in logger.debug("libmicrohttpd: \(line)") }
        }
        let app = self.app
        self.http = HTTPServer(
            configuration: http,
            streamingHandler: { app.streamingCall(for: $0) },
            handler: { app.handle($0) }
        )
        host = configuration.host
        scheme = configuration.http.tls == nil ? "http" : "https"
        if configuration.watch, let path = configuration.seedsPath {
            watcher = SeedWatcher(
                path: path,
                registry: app.registry,
                logger: configuration.logger,
                interval: configuration.watchInterval
            )
        } else {
            watcher = nil
        }
        port = try self.http.start()
        watcher?.start()
    }

    /// The app `start` would serve, without a server (the in-process test setup uses it).
    public static func makeApp(_ configuration: Configuration) throws -> SessionMockApp {
        let seeds: [String: SeedDocument]
        if let given = configuration.seeds {
            seeds = given
        } else if let path = configuration.seedsPath {
            seeds = try SeedLoader.load(path: path, vocabulary: SessionMockApp.seedVocabulary)
        } else {
            seeds = SeedLoader.bundledDefault(vocabulary: SessionMockApp.seedVocabulary)
        }
        let active = try activeScenario(configuration.scenario, in: seeds)
        return SessionMockApp(
            seeds: seeds,
            activeScenario: active,
            options: configuration.app,
            logger: configuration.logger
        )
    }

    public func stop() {
        watcher?.stop()
        http.stop()
    }

    /// The scenario served by default; an explicit name that no seed defines is an error.
    public static func activeScenario(
        _ requested: String?,
        in seeds: [String: SeedDocument]
    ) throws(SeedError) -> String {
        if let requested {
            guard seeds[requested] != nil else {
                throw SeedError(
                    file: "--scenario",
                    path: "$",
                    reason:
                        "no seed defines scenario '\(requested)' (known: \(seeds.keys.sorted().joined(separator: ", ")))"
                )
            }
            return requested
        }
        if seeds["default"] != nil { return "default" }
        guard let first = seeds.keys.sorted().first else {
            throw SeedError(file: "--seeds", path: "$", reason: "no scenarios loaded")
        }
        return first
    }
}

import ArgumentParser
import Logging
import MicroHTTP
import Platform
import Seeds
import SessionMock

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct SessionMockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session-mock",
        abstract: "A local fake of WalletKit's and ZITADEL's login APIs, for integration tests.",
        discussion: """
            WalletKit: the session challenge and its login flow (create-session-challenge, login-with-email, \
            login-with-magic-link, verify-login, refresh-token, logout). ZITADEL Session Service v2: CreateSession, \
            SetSession, GetSession, ListSessions and DeleteSession, over REST, Connect and gRPC-Web. The control API \
            under /__admin resets state, switches scenarios and reads the request journal.
            """,
        version: "\(BuildInfo.current.version) (\(BuildInfo.current.commit))",
        subcommands: [Serve.self, Validate.self, Health.self, Routes.self, Cert.self],
        defaultSubcommand: Serve.self
    )
}

/// Environment variables stand in for flags (handy in Docker); a flag given wins.
private func env(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
}

/// Writes straight to a file descriptor: Glibc's `stdout` global is not concurrency-safe.
func writeLine(_ text: String, fd: Int32) {
    OS.write(Array((text + "\n").utf8), to: fd)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the mocked endpoints and the control API.",
        discussion: """
            Environment variables SESSION_MOCK_HOST, SESSION_MOCK_PORT, SESSION_MOCK_SEEDS, SESSION_MOCK_SCENARIO,
            SESSION_MOCK_LOG_LEVEL, SESSION_MOCK_ADMIN_TOKEN, SESSION_MOCK_TLS_CERT, SESSION_MOCK_TLS_KEY,
            SESSION_MOCK_CLOCK_START, SESSION_MOCK_CLOCK_FROZEN (true or false) and SESSION_MOCK_RANDOM_SEED are used for
            flags that are not given.
            """
    )

    @Option(help: "Address to listen on.") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one.") var port: Int?
    @Option(help: "A seed file or a folder of seed files (default: the bundled default scenario).") var seeds: String?
    @Option(help: "The scenario served when a request names none (default: 'default').") var scenario: String?
    @Flag(help: "Reload seed files when they change; a bad file is logged and the old state keeps serving.") var watch =
        false
    @Option(help: "Require 'Authorization: Bearer <token>' on /__admin (all but /__admin/health).") var adminToken:
        String?
    @Option(help: "trace, debug, info, notice, warning, error or critical. Debug logs one line per request.")
    var logLevel: String?
    @Flag(help: "Ignore X-Mock-Status and X-Mock-Delay-Ms.") var noTestHeaders = false
    @Option(help: "Requests kept in the journal.") var journalSize = 10_000
    @Option(help: "Private NAME@KEY scenario copies kept; the least recently used is evicted.") var maxIsolatedCopies =
        1000
    @Option(help: "Worker threads (default: one per core).") var threads: Int?
    @Option(
        help: "Seconds a connection may stay idle before it is closed (default 30; HTTP/2 gets a GOAWAY first)."
    ) var idleTimeout: Int?
    @Option(
        help:
            "Per-connection request buffer in KiB (default 32). Requests larger than it get libmicrohttpd's own 414/431 instead of a JSON one; every KiB costs CPU on every request."
    ) var requestBufferKib: Int?
    @Option(help: "Serve HTTPS with this PEM certificate (chain); needs --tls-key. `session-mock cert` makes one.")
    var tlsCert: String?
    @Option(help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Option(
        help:
            "Where the clock of every scenario whose seed has no 'clock' starts, on load and reset: an RFC 3339 time or now±duration."
    ) var clockStart: String?
    @Flag(help: "Start those clocks frozen (at --clock-start, else at the time of load or reset).") var clockFrozen =
        false
    @Option(
        help: "The 'randomSeed' of every scenario whose seed has none: its ids, tokens and codes repeat run after run."
    )
    var randomSeed: UInt64?

    func run() throws {
        let levelName = logLevel ?? env("SESSION_MOCK_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            throw ValidationError("unknown --log-level '\(levelName)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "session-mock")
        logger.logLevel = level

        var configuration = SessionMockServer.Configuration()
        configuration.host = host ?? env("SESSION_MOCK_HOST") ?? "127.0.0.1"
        let port = port ?? env("SESSION_MOCK_PORT").map { Int($0) ?? -1 } ?? 8080
        guard (0...65535).contains(port) else {
            throw ValidationError("port must be 0-65535")
        }
        configuration.port = port
        configuration.seedsPath = seeds ?? env("SESSION_MOCK_SEEDS")
        configuration.scenario = scenario ?? env("SESSION_MOCK_SCENARIO")
        configuration.app.adminToken = adminToken ?? env("SESSION_MOCK_ADMIN_TOKEN")
        configuration.app.testHeaders = !noTestHeaders
        configuration.app.journalSize = max(0, journalSize)
        configuration.app.maxIsolatedCopies = max(1, maxIsolatedCopies)
        configuration.app.seedDefaults = try seedDefaults()
        if let threads { configuration.http.threadCount = max(1, threads) }
        if let idleTimeout { configuration.http.connectionTimeoutSeconds = min(max(1, idleTimeout), 86_400) }
        if let requestBufferKib {
            configuration.http.connectionMemoryLimit = min(max(16, requestBufferKib), 4096) * 1024
        }
        configuration.logger = logger
        configuration.watch = watch
        do {
            configuration.http.tls = try Self.tlsCredentials(
                cert: tlsCert ?? env("SESSION_MOCK_TLS_CERT"),
                key: tlsKey ?? env("SESSION_MOCK_TLS_KEY")
            )
        } catch {
            writeLine("error: \(error)", fd: 2)
            throw ExitCode(1)
        }

        // Worker threads inherit the signal mask: block SIGINT/SIGTERM first, then sigwait below.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let server: SessionMockServer
        do {
            server = try SessionMockServer.start(configuration)
        } catch let error as SeedError {
            for issue in error.issues { writeLine("error: \(issue)", fd: 2) }
            throw ExitCode(2)
        } catch {
            writeLine("error: \(error)", fd: 2)
            throw ExitCode(1)
        }
        logger.info(
            "serving scenarios \(server.app.registry.names.joined(separator: ", ")); active: \(server.app.registry.activeName)"
        )
        writeLine("session-mock listening on \(server.baseURL)", fd: 1)

        var received: Int32 = 0
        sigwait(&signals, &received)
        logger.info("signal \(received): stopping")
        server.stop()
    }
}

extension Serve {
    /// `--clock-start`, `--clock-frozen` and `--random-seed` (or their environment variables),
    /// checked as a seed's `clock` and `randomSeed` are.
    func seedDefaults() throws -> SeedDefaults {
        var defaults = SeedDefaults()
        let frozenText = clockFrozen ? "true" : env("SESSION_MOCK_CLOCK_FROZEN")
        let frozen: Bool
        switch frozenText?.lowercased() {
        case nil, "", "false", "0": frozen = false
        case "true", "1": frozen = true
        case let other?: throw ValidationError("SESSION_MOCK_CLOCK_FROZEN must be true or false, not '\(other)'")
        }
        let startText = clockStart ?? env("SESSION_MOCK_CLOCK_START")
        if startText != nil || frozen {
            var start: SeedTimestamp?
            if let startText {
                switch SeedClock.parseStart(startText) {
                case .success(let parsed): start = parsed
                case .failure(let error): throw ValidationError("--clock-start: \(error.description)")
                }
            }
            defaults.clock = SeedClock(start: start, frozen: frozen)
        }
        if let randomSeed {
            defaults.randomSeed = randomSeed
        } else if let text = env("SESSION_MOCK_RANDOM_SEED"), !text.isEmpty {
            guard let value = UInt64(text) else {
                throw ValidationError(
                    "SESSION_MOCK_RANDOM_SEED must be a whole number from 0 to \(UInt64.max), not '\(text)'"
                )
            }
            defaults.randomSeed = value
        }
        return defaults
    }

    /// Both files read and checked together (a bad or mismatched pair says so here, not as a
    /// refused daemon start); nil when neither is given.
    static func tlsCredentials(cert: String?, key: String?) throws -> TLSCredentials? {
        switch (cert, key) {
        case (nil, nil): return nil
        case (_?, nil): throw TLSError("--tls-cert needs --tls-key (or SESSION_MOCK_TLS_KEY)")
        case (nil, _?): throw TLSError("--tls-key needs --tls-cert (or SESSION_MOCK_TLS_CERT)")
        case (let cert?, let key?):
            guard let certBytes = OS.readFile(cert) else { throw TLSError("cannot read the TLS certificate '\(cert)'") }
            guard let keyBytes = OS.readFile(key) else { throw TLSError("cannot read the TLS key '\(key)'") }
            let credentials = TLSCredentials(
                certificatePEM: String(decoding: certBytes, as: UTF8.self),
                keyPEM: String(decoding: keyBytes, as: UTF8.self)
            )
            do {
                try TLSCertificates.validate(certificate: credentials.certificatePEM, key: credentials.keyPEM)
            } catch {
                throw TLSError("\(cert), \(key): \(error.description)")
            }
            return credentials
        }
    }
}

struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write a local CA (ca.pem, ca-key.pem) and a server certificate it signed (server.pem, server-key.pem) for serve --tls-cert/--tls-key.",
        discussion:
            "The server certificate names localhost, 127.0.0.1 and ::1, plus each --host. Keys are written with mode 0600. Trust ca.pem in the client (see docs/tls.md) and keep verifying certificates."
    )

    @Option(help: "Folder to write into (created if missing).") var out: String
    @Option(help: "Days the certificates are valid.") var days = 365
    @Option(parsing: .singleValue, help: "Another DNS name or IP address for the server certificate (repeatable).")
    var host: [String] = []
    @Flag(
        help:
            "Also trust the CA system-wide (Debian/Ubuntu: update-ca-certificates; needs root), as clients that read only the system store (Swift's URLSession on Linux, grpc-go) need."
    ) var install = false

    /// Where Debian and Ubuntu take local CAs from; one session-mock CA at a time.
    static let systemCAPath = "/usr/local/share/ca-certificates/session-mock-ca.crt"
    static let updateCACertificates = "/usr/sbin/update-ca-certificates"

    func run() throws {
        guard (1...36500).contains(days) else { throw ValidationError("--days must be 1-36500") }
        do {
            let issued = try TLSCertificates.issue(days: days, hosts: host)
            try OS.makeDirectory(out)
            try OS.writeFile(out + "/ca.pem", Array(issued.authority.certificate.utf8), mode: 0o644)
            try OS.writeFile(out + "/ca-key.pem", Array(issued.authority.key.utf8), mode: 0o600)
            try OS.writeFile(out + "/server.pem", Array(issued.server.certificate.utf8), mode: 0o644)
            try OS.writeFile(out + "/server-key.pem", Array(issued.server.key.utf8), mode: 0o600)
        } catch {
            writeLine("error: \(error)", fd: 2)
            throw ExitCode(1)
        }
        writeLine("wrote \(out)/ca.pem, \(out)/ca-key.pem, \(out)/server.pem, \(out)/server-key.pem", fd: 1)
        if install { try installAuthority(out + "/ca.pem") }
    }

    /// Adds the CA to the system trust store where `update-ca-certificates` keeps it, replacing
    /// an earlier session-mock CA; elsewhere says what to run.
    func installAuthority(_ path: String) throws {
        guard OS.exists(Self.updateCACertificates), OS.exists("/usr/local/share/ca-certificates") else {
            writeLine(
                """
                error: no update-ca-certificates here (Debian/Ubuntu); trust \(path) by hand:
                  Fedora/RHEL: sudo cp \(path) /etc/pki/ca-trust/source/anchors/session-mock-ca.pem && sudo update-ca-trust
                  Alpine: sudo cp \(path) \(Self.systemCAPath) && sudo update-ca-certificates
                  macOS: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain \(path)
                """,
                fd: 2
            )
            throw ExitCode(1)
        }
        guard geteuid() == 0 else {
            writeLine("error: installing a CA needs root: sudo session-mock cert --out \(out) --install", fd: 2)
            throw ExitCode(1)
        }
        guard let bytes = OS.readFile(path) else {
            writeLine("error: cannot read \(path)", fd: 2)
            throw ExitCode(1)
        }
        do {
            try OS.writeFile(Self.systemCAPath, bytes, mode: 0o644)
        } catch {
            writeLine("error: \(error)", fd: 2)
            throw ExitCode(1)
        }
        guard OS.run(Self.updateCACertificates, []) == 0 else {
            writeLine("error: \(Self.updateCACertificates) failed", fd: 2)
            throw ExitCode(1)
        }
        writeLine(
            "trusted \(path) system-wide as \(Self.systemCAPath) (undo: remove it, run update-ca-certificates --fresh)",
            fd: 1
        )
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check seed files (or folders of them), listing every problem; exit 2 if any is bad."
    )

    @Argument(help: "Seed files or folders.") var paths: [String]

    func run() throws {
        var failed = false
        for path in paths {
            do {
                let seeds = try SeedLoader.load(path: path, vocabulary: SessionMockApp.seedVocabulary)
                for (name, seed) in seeds.sorted(by: { $0.key < $1.key }) {
                    writeLine(
                        "ok: \(path): scenario '\(name)': \(seed.walletKit.sessionChallenges.count) challenges, \(seed.walletKit.users.count) WalletKit users, \(seed.zitadel.sessions.count) sessions, \(seed.zitadel.tokens.count) tokens, \(seed.zitadel.users.count) ZITADEL users, \(seed.faults.count) faults",
                        fd: 1
                    )
                }
            } catch {
                failed = true
                for issue in error.issues { writeLine("error: \(issue)", fd: 2) }
            }
        }
        if failed { throw ExitCode(2) }
    }
}

struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Ask a running session-mock for /__admin/health; exit 0 when healthy, 1 otherwise (a HEALTHCHECK that needs no curl)."
    )

    @Option(help: "Base URL of the server.") var url = "http://127.0.0.1:8080"
    @Option(help: "Seconds to wait for an answer.") var timeout = 2.0

    func run() throws {
        let healthy = HealthProbe.check(baseURL: url, timeoutSeconds: timeout)
        writeLine(healthy ? "healthy" : "unhealthy", fd: healthy ? 1 : 2)
        if !healthy { throw ExitCode(1) }
    }
}

struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every route the server answers, one `METHOD PATTERN` per line (GET routes answer HEAD too)."
    )

    @Flag(
        help:
            "Print the mocked endpoints' declarations instead, as JSON: API, name, vendor operation id, fault keys, permission, and each route's method, OpenAPI path and transport."
    )
    var endpoints = false

    func run() throws {
        if endpoints {
            writeLine(SessionMockApp.endpointsJSON, fd: 1)
            return
        }
        let app = SessionMockApp(
            seeds: SeedLoader.bundledDefault(vocabulary: SessionMockApp.seedVocabulary),
            activeScenario: "default"
        )
        for route in app.routes { writeLine("\(route.method) \(route.pattern)", fd: 1) }
    }
}

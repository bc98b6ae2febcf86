import Foundation
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import MockPipeline
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import Store
@testable import WalletKitAPI
@testable import ZitadelAPI

/// Hostile and heavy traffic, loopback only, each test bounded in time.
@Suite(.serialized) struct RobustnessTests {
    static let walletKitRequest =
        "GET /users/session-challenge?code=K7PX-22QA HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"

    @Test func thousandConcurrentKeepAliveConnectionsAreAllAnswered() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let port = mock.server.port
        let rounds = try await blocking { try Self.thousandConnections(port: port) }
        #expect(rounds == [1000, 1000], "answered per round")
    }

    /// Answers per round over 1000 connections opened at once; the second round proves they were kept alive.
    static func thousandConnections(port: Int) throws -> [Int] {
        var answeredPerRound: [Int] = []
        var connections: [RawConnection] = []
        for _ in 0..<1000 { connections.append(try RawConnection(port: port)) }
        for round in 0..<2 {
            for connection in connections { try connection.send(Self.walletKitRequest) }
            var answered = 0
            var failures: [String] = []
            for (index, connection) in connections.enumerated() {
                do {
                    if let response = try connection.readResponse(), response.head.hasPrefix("HTTP/1.1 200"),
                        response.body.contains("sc_01HZX3")
                    {
                        answered += 1
                    } else {
                        failures.append("\(index): bad answer")
                    }
                } catch {
                    failures.append("\(index): \(error) errno \(errno)")
                }
            }
            if !failures.isEmpty { print("round \(round) failures: \(failures.prefix(5))") }
            answeredPerRound.append(answered)
        }
        return answeredPerRound
    }

    @Test func slowlorisConnectionsDoNotStarveNormalClients() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        var slow: [RawConnection] = []
        for _ in 0..<500 {
            let connection = try RawConnection(port: mock.server.port)
            try connection.send("GET /users/session-challenge?code=K7PX-22QA HTTP/1.1\r\nHost: x\r\n")
            slow.append(connection)
        }
        for round in 0..<3 {
            for connection in slow { try? connection.send("X") }  // one more header byte each, never the end
            for _ in 0..<10 {
                let result = try await mock.get("/users/session-challenge?code=K7PX-22QA", headers: Harness.project)
                #expect(result.status == 200, "round \(round)")
                #expect(result.text.contains("sc_01HZX3"))
            }
        }
        #expect(mock.app.journal.entries().count == 30, "only the normal requests were answered")
    }

    /// Each malformed request gets a JSON 4xx in the shape of the API it was aimed at.
    @Test(
        arguments: [
            (
                "bad percent-encoding",
                Array(
                    "GET /users/session-challenge?code=%ZZ%4 HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"
                        .utf8
                ), 400, "session_challenge_not_found"
            ),
            (
                "invalid UTF-8 in query",
                Array("GET /users/session-challenge?code=".utf8) + [0xFF, 0xFE]
                    + Array(" HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n".utf8), 400,
                "invalid_encoding"
            ),
            (
                "invalid UTF-8 in path",
                Array("GET /v2/sessions/%C3%28 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-pat\r\n\r\n".utf8),
                400, "\"code\":3"
            ),
            (
                "invalid UTF-8 in header",
                Array("GET /v2/sessions/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ".utf8) + [0xC3, 0x28]
                    + Array("\r\n\r\n".utf8), 400, "not valid UTF-8"
            ),
            (
                "10 KB query",
                Array(
                    "GET /users/session-challenge?code=\(String(repeating: "q", count: 10_000)) HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"
                        .utf8
                ), 414, "uri_too_long"
            ),
            (
                "20 KB header",
                Array(
                    "GET /users/session-challenge?code=A HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "h", count: 20_000))\r\n\r\n"
                        .utf8
                ), 431, "headers_too_large"
            ),
            (
                "NUL in query",
                Array(
                    "GET /users/session-challenge?code=A%00B HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"
                        .utf8
                ), 400, "session_challenge_not_found"
            ),
            (
                "NUL in header",
                Array("GET /users/session-challenge?code=A HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj".utf8)
                    + [0] + Array("demo\r\n\r\n".utf8), 401, "invalid_project_id"
            ),
            ("NUL in path", Array("GET /nope%00x HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 404, "not found"),
        ] as [(String, [UInt8], Int, String)]
    )
    func malformedRequestsGetJSON4xx(name: String, bytes: [UInt8], status: Int, fragment: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let port = mock.server.port
        let answer = try await blocking { () -> (head: String, body: String)? in
            let connection = try RawConnection(port: port)
            try connection.sendBytes(bytes)
            return try connection.readResponse()
        }
        let response = try #require(answer, "\(name): no answer")
        #expect(response.head.hasPrefix("HTTP/1.1 \(status)"), "\(name): \(response.head)")
        #expect(response.head.contains("Content-Type: application/json"), "\(name)")
        #expect((try? JSONParser.parse(response.body)) != nil, "\(name): body is not JSON: \(response.body)")
        #expect(response.body.contains(fragment), "\(name): \(response.body)")
    }

    /// Past the request buffer libmicrohttpd answers by itself (right status, its own body); with
    /// a buffer large enough the same 100 KB query gets the JSON 414. Either way the server lives on.
    @Test(arguments: [(32, false), (256, true)])
    func hundredKilobyteQuery(bufferKiB: Int, expectJSON: Bool) async throws {
        let mock = try Harness { $0.http.connectionMemoryLimit = bufferKiB * 1024 }
        defer { mock.stop() }
        let port = mock.server.port
        let request =
            "GET /users/session-challenge?code=\(String(repeating: "q", count: 100_000)) HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"
        let answer = try await blocking { () -> (head: String, body: String)? in
            let connection = try RawConnection(port: port)
            try connection.send(request)
            return try connection.readResponse()
        }
        let response = try #require(answer)
        #expect(response.head.hasPrefix("HTTP/1.1 414"), "\(response.head)")
        #expect(((try? JSONParser.parse(response.body)) != nil) == expectJSON, "\(response.body)")
        #expect(try await mock.get("/__admin/health").status == 200)
    }

    @Test func sigtermUnderLoadAnswersInFlightRequestsAndExitsZero() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "session-mock"
        )
        try #require(
            FileManager.default.isExecutableFile(atPath: binary.path),
            "build the executable first: \(binary.path)"
        )
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let ready = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(
            ready.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) },
            "ready line: \(ready)"
        )

        // In flight at SIGTERM: ten requests delayed far past the test (only the stop can answer
        // them), plus a stream of quick ones.
        let delayed = (0..<10).map { _ in
            Task { () -> String? in
                try await blocking {
                    let connection = try RawConnection(port: port)
                    try connection.send(
                        "GET /users/session-challenge?code=K7PX-22QA HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\nX-Mock-Delay-Ms: 60000\r\n\r\n"
                    )
                    return try connection.readResponse()?.head
                }
            }
        }
        // Quick requests on one keep-alive connection until the server closes it.
        let load = Task {
            try await blocking { () -> Int in
                let connection = try RawConnection(port: port)
                var answered = 0
                while (try? connection.send(Self.walletKitRequest)) != nil,
                    (try? connection.readResponse()) ?? nil != nil
                {
                    answered += 1
                }
                return answered
            }
        }
        // The journal holds a request once it is handled, so all ten are parked when it counts
        // them (and the quick stream has started).
        while true {
            let answer = try await blocking {
                OS.httpGet(
                    host: "127.0.0.1",
                    port: port,
                    path: "/__admin/requests?path=/users/session-challenge",
                    timeoutSeconds: 10
                )
            }
            let entries = String(decoding: answer ?? [], as: UTF8.self).lowercased()
            if entries.components(separatedBy: "x-mock-delay-ms").count > 10 && entries.contains("\"status\":200") {
                break
            }
            await Task.yield()
        }
        kill(process.processIdentifier, SIGTERM)
        try await blocking { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
        for task in delayed {
            let head = try await task.value
            #expect(head?.hasPrefix("HTTP/1.1 200") == true, "an in-flight request was cut off: \(head ?? "no answer")")
        }
        #expect(try await load.value > 0)
    }
}

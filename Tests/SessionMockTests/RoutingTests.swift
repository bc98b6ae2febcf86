import Foundation
import SessionMockTesting
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

/// Routing and HTTP behaviour (docs/decisions.md#everything-else, docs/cli.md#robustness-limits):
/// unknown routes, HEAD, keep-alive, never HTML, never a crash.
@Suite struct RoutingTests {
    @Test(arguments: TestingSetup.allCases, ["/", "/nope", "/__admin/nope", "/users", "/v2"])
    func unknownPathsElsewhereAreJSON404WithPath(setup: TestingSetup, path: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(path)
        #expect(result.status == 404)
        #expect(result.header("Content-Type") == "application/json")
        #expect(try result.json() == .object([("error", .string("not found")), ("path", .string(path))]))
    }

    /// A request's packed fields read back what went in: order, duplicates and empty values kept,
    /// headers found whatever their letter case, query names exactly, sizes counted, and bytes
    /// that are not UTF-8 read as U+FFFD.
    @Test func packedFieldsReadBackWhatTheyHold() {
        var fields = HTTPFields([
            HTTPField(name: "Accept", value: "a"), HTTPField(name: "accept", value: "b"),
            HTTPField(name: "X-Empty", value: ""),
        ])
        let name: [UInt8] = Array("X-Raw".utf8)
        let value: [UInt8] = [0x61, 0xFF, 0x62]
        name.withUnsafeBytes { name in value.withUnsafeBytes { fields.append(name: name, value: $0) } }
        #expect(fields.count == 4 && fields.textByteCount == 7 + 7 + 7 + 8)
        #expect(
            Array(fields) == [
                HTTPField(name: "Accept", value: "a"), HTTPField(name: "accept", value: "b"),
                HTTPField(name: "X-Empty", value: ""), HTTPField(name: "X-Raw", value: "a\u{FFFD}b"),
            ]
        )
        #expect(fields.first(named: "ACCEPT", caseInsensitive: true) == "a")
        #expect(fields.first(named: "ACCEPT", caseInsensitive: false) == nil)
        #expect(fields.first(named: "accept", caseInsensitive: false) == "b")
        #expect(fields.first(named: "x-empty", caseInsensitive: true) == "")
        #expect(fields.first(named: "X-Absent", caseInsensitive: true) == nil)
        var joined = HTTPFields([HTTPField(name: "Host", value: "h")])
        joined.append(contentsOf: fields)
        #expect(joined.count == 5 && joined.first == HTTPField(name: "Host", value: "h"))
        #expect(Array(joined.dropFirst()) == Array(fields))
    }

    /// Bearer credentials are read as Go's servers read them, on the ASCII fast path and off it.
    @Test(
        arguments: [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("bEaReR x", "x"),
            ("  Bearer   abc", "abc"), ("Bearer abc ", "abc "), ("Bearer é", "é"), ("Bearer", nil), ("Bearer ", nil),
            ("Bearer    ", nil), ("Basic abc", nil), ("Bearer\u{0}abc", nil), ("Bearerxabc", nil), ("@EARER abc", nil),
            ("Bearer\tabc", nil), ("", nil), ("Bëarer abc", nil),
        ] as [(String, String?)]
    )
    func bearerTokensAreReadAsGoReadsThem(header: String, token: String?) {
        #expect(BearerToken.parse(header) == token)
    }

    /// Literal paths of every length (the router skips its literal table for lengths no literal
    /// has), beside a pattern that matches paths of those same lengths.
    @Test func literalAndPatternRoutesOfEveryLengthAreFound() {
        struct Shape: ErrorShape {
            func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse {
                HTTPResponse(status: refusal.status)
            }
        }
        var router = Router(defaultErrors: Shape())
        let literals = [1, 2, 63, 64, 65, 127, 128, 129, 300].map { "/" + String(repeating: "a", count: $0 - 1) }
        for (index, path) in literals.enumerated() {
            router.add("GET", path, errors: Shape()) { _ in HTTPResponse(status: 200 + index) }
        }
        router.add("GET", "/:name", errors: Shape()) { request in
            HTTPResponse(status: 299, body: Array((request.pathParameters["name"] ?? "").utf8))
        }
        for (index, path) in literals.enumerated() where path != "/" {
            guard case .handler(let handler, let parameters, _) = router.match(method: "GET", path: path) else {
                Issue.record("no route for \(path.utf8.count) bytes")
                continue
            }
            #expect(parameters.isEmpty)
            #expect(handler(HTTPRequest(method: "GET", path: path)).status == 200 + index)
            let other = "/" + String(repeating: "b", count: path.utf8.count - 1)
            guard case .handler(let pattern, let named, _) = router.match(method: "GET", path: other) else {
                Issue.record("no pattern match for \(other.utf8.count) bytes")
                continue
            }
            #expect(named["name"] == String(other.dropFirst()))
            #expect(pattern(HTTPRequest(method: "GET", path: other)).status == 299)
        }
        guard case .methodNotAllowed(let allowed, _) = router.match(method: "POST", path: literals[5]) else {
            Issue.record("POST on a GET route")
            return
        }
        #expect(allowed == ["GET", "HEAD"])
    }

    @Test(arguments: TestingSetup.allCases)
    func controlAPIServesItsOpenAPI(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get("/__admin/openapi.yaml")
        #expect(result.status == 200)
        #expect(result.header("Content-Type")?.hasPrefix("text/yaml") == true)
        let spec = try String(
            contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../openapi/openapi.yaml").path,
            encoding: .utf8
        )
        #expect(result.text.trimmingCharacters(in: .newlines) == spec.trimmingCharacters(in: .newlines))
        #expect(result.text.contains("/__admin/walletkit/session-challenges/{code}"))
    }

    @Test func headAnswersLikeGetWithoutBody() throws {
        let mock = try Harness()
        defer { mock.stop() }
        let connection = try RawConnection(port: mock.server.port)
        try connection.send(
            "HEAD /users/session-challenge?code=K7PX-22QA HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"
        )
        try connection.send("GET /__admin/health HTTP/1.1\r\nHost: x\r\n\r\n")
        // HEAD carries Content-Length of the GET body but no body; the next answer follows directly.
        var chunk = [UInt8](repeating: 0, count: 65536)
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains("\"status\":\"ok\"") {
            let count = recv(connection.fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            received += chunk[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("Content-Length: 71\r\n"))
        #expect(!text.contains("sc_01HZX3"), "HEAD must not send the body")
    }

    @Test func keepAliveConnectionsStayOpenUnderLoad() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let port = mock.server.port
        let closes = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<64 {
                group.addTask {
                    try await blocking {
                        let connection = try RawConnection(port: port)
                        var closeHeaders = 0
                        for i in 0..<20 {
                            let path =
                                (worker + i) % 2 == 0
                                ? "/users/session-challenge?code=K7PX-22QA" : "/v2/sessions/312909075212468632"
                            try connection.send(
                                "GET \(path) HTTP/1.1\r\nHost: localhost\r\nX-WalletKit-Project-ID: proj_demo\r\nAuthorization: Bearer admin-pat\r\n\r\n"
                            )
                            guard let (head, body) = try connection.readResponse() else {
                                throw RawConnection.RawError.closed
                            }
                            #expect(head.hasPrefix("HTTP/1.1 200"))
                            #expect(body.hasPrefix("{"))
                            if head.lowercased().contains("connection: close") { closeHeaders += 1 }
                        }
                        return closeHeaders
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(closes == 0, "no answer may close a keep-alive connection")
    }

    @Test func malformedRequestsNeverCrashTheServer() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let inputs: [[UInt8]] = [
            Array(
                "GET /users/session-challenge?code=%ZZ%%% HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"
                    .utf8
            ),
            Array("GET /v2/sessions/\u{7F}%00x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-pat\r\n\r\n".utf8),
            [UInt8]("GET /users/session-challenge?code=".utf8) + [0xFF, 0xFE]
                + Array(" HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: ".utf8) + [0xC3, 0x28]
                + Array("\r\n\r\n".utf8),
            Array("GARBAGE\r\n\r\n".utf8),
            Array("GET /\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        ]
        for input in inputs {
            let connection = try RawConnection(port: mock.server.port)
            try? connection.sendBytes(input)
            _ = try? connection.readResponse()
        }
        let health = try await mock.get("/__admin/health")
        #expect(health.status == 200)
    }

    @Test func badPercentEncodingStillGetsTheAPIsErrorShape() throws {
        let mock = try Harness()
        defer { mock.stop() }
        let connection = try RawConnection(port: mock.server.port)
        try connection.send(
            "GET /users/session-challenge?code=%ZZ HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n"
        )
        let response = try #require(try connection.readResponse())
        #expect(response.head.hasPrefix("HTTP/1.1 400"))
        #expect(response.body.contains("session_challenge_not_found"))
    }
}

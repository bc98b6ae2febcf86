import Foundation
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import SessionMockTesting

/// The test harness itself: a header sent or answered twice arrives twice, in order, in process
/// and over a socket (never folded into a dictionary that keeps one of them).
@Suite struct HarnessTests {
    /// What a handler answering repeated headers sends: two cookies, `Vary` twice, in this order.
    static let repeated: [HTTPField] = [
        HTTPField(name: "Content-Type", value: "text/plain"),
        HTTPField(name: "Set-Cookie", value: "a=1; Path=/"),
        HTTPField(name: "Vary", value: "Accept"),
        HTTPField(name: "Set-Cookie", value: "b=2; Path=/"),
        HTTPField(name: "Vary", value: "Origin"),
    ]

    static func checkRepeated(_ result: HTTPResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 200, sourceLocation: sourceLocation)
        #expect(result.text == "ok", sourceLocation: sourceLocation)
        #expect(
            result.headerValues("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"],
            "\(result.headers)",
            sourceLocation: sourceLocation
        )
        #expect(
            result.headers.values("vary") == ["Accept", "Origin"],
            "\(result.headers)",
            sourceLocation: sourceLocation
        )
        #expect(
            result.headers["set-cookie"] == "a=1; Path=/",
            "the first value, whatever the case",
            sourceLocation: sourceLocation
        )
        #expect(result.header("VARY") == "Accept", sourceLocation: sourceLocation)
        #expect(
            result.headers["X-Absent"] == nil && result.headerValues("X-Absent").isEmpty,
            sourceLocation: sourceLocation
        )
        // In the order sent, the repeats where they were.
        let ours = result.headers.filter { ["set-cookie", "vary"].contains($0.name.lowercased()) }
        #expect(
            ours.map(\.value) == ["a=1; Path=/", "Accept", "b=2; Path=/", "Origin"],
            sourceLocation: sourceLocation
        )
    }

    @Test func repeatedResponseHeadersSurviveInProcess() throws {
        let response = HTTPResponse(status: 200, headers: Self.repeated, body: Array("ok".utf8))
        let answer = SessionMockTestClient.answer(response, method: "GET")
        #expect(answer.headers == Self.repeated, "in process the app's own headers, exactly")
        #expect(answer.headerValues("set-cookie") == ["a=1; Path=/", "b=2; Path=/"])
        Self.checkRepeated(HTTPResult(answer))
    }

    @Test func repeatedResponseHeadersSurviveOverASocket() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(configuration: configuration) { _ in
            HTTPResponse(status: 200, headers: Self.repeated, body: Array("ok".utf8))
        }
        let port = try server.start()
        defer { server.stop() }
        // The exchange `.live` makes, pointed at a server that answers repeated headers.
        let answer = try await SessionMockTestClient.exchange(
            host: "127.0.0.1",
            port: port,
            tls: false,
            "GET",
            "/",
            headers: [],
            body: []
        )
        #expect(answer.headerValues("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"], "\(answer.headers)")
        Self.checkRepeated(HTTPResult(answer))
    }

    /// The journal records request headers as they arrived: a name sent twice is there twice.
    @Test(arguments: TestingSetup.allCases)
    func repeatedRequestHeadersReachTheAppInOrder(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.send(
            "GET",
            "/users/session-challenge?code=K7PX-22QA",
            fields: [
                ("X-Trace", "one"), ("X-WalletKit-Project-ID", "proj_demo"), ("x-trace", "two"), ("X-Trace", "three"),
            ]
        )
        #expect(result.status == 200, "\(result.text)")
        let journal = try await mock.get("/__admin/requests?path=/users/session-challenge")
        guard case .array(let entries)? = try journal.json()["requests"], entries.count == 1,
            case .array(let headers)? = entries[0]["headers"]
        else {
            Issue.record("\(journal.text)")
            return
        }
        let traces = headers.compactMap { header -> String? in
            guard case .string(let name)? = header["name"], name.lowercased() == "x-trace",
                case .string(let value)? = header["value"]
            else { return nil }
            return value
        }
        #expect(traces == ["one", "two", "three"], "\(journal.text)")
    }

    @Test func headerFieldsLookUpByNameCaseInsensitively() {
        let fields: HeaderFields = [HTTPField(name: "Allow", value: "GET"), HTTPField(name: "allow", value: "HEAD")]
        #expect(fields.count == 2)
        #expect(fields["ALLOW"] == "GET")
        #expect(fields.values("Allow") == ["GET", "HEAD"])
        #expect(fields["Vary"] == nil && fields.values("Vary") == [])
        #expect(fields.description == "Allow: GET\nallow: HEAD")
    }
}

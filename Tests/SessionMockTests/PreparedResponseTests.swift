import Foundation
import Synchronization
import Testing

@testable import MicroHTTP
@testable import SessionMock

/// Answers whose libmicrohttpd response is built once and queued on every connection that gets it.
@Suite(.serialized) struct PreparedResponseTests {
    @Test func changingTheHeadersOrTheBodyLetsGoOfThePreparedAnswer() {
        let prepared = PreparedResponse(
            headers: [HTTPField(name: "Content-Type", value: "application/json")],
            body: Array("{}".utf8)
        )
        let response = HTTPResponse(status: 200, prepared: prepared)
        #expect(response.prepared === prepared)
        #expect(response.headers == prepared.headers && response.body == prepared.body)

        var delayed = response
        delayed.delayMilliseconds = 5
        delayed.status = 201
        #expect(delayed.prepared === prepared, "status and delay are given per send")
        var withHeader = response
        withHeader.headers.append(HTTPField(name: "Allow", value: "GET"))
        #expect(withHeader.prepared == nil)
        var withBody = response
        withBody.body = Array("[]".utf8)
        #expect(withBody.prepared == nil)
    }

    /// The handler's answer is its only owner: it is gone once queued, while MHD is still sending
    /// the 8 MB body to a client that reads slowly. The bytes must stay MHD's until it is done.
    @Test func aPreparedAnswerOutlivesItsOwnerWhileItIsSent() async throws {
        let size = 8 << 20
        let pattern = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
        let owner = WeakBox()
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(configuration: configuration) { _ in
            let prepared = PreparedResponse(
                headers: [HTTPField(name: "Content-Type", value: "application/octet-stream")],
                body: pattern
            )
            owner.set(prepared)
            return HTTPResponse(status: 200, prepared: prepared)
        }
        let port = try server.start()
        defer { server.stop() }
        let (received, ownerGoneAtFirstByte) = try await blocking { () throws -> ([UInt8], Bool) in
            let connection = try RawConnection(port: port, receiveBuffer: 4096)
            try connection.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            var bytes = try connection.receive()
            // The first bytes were sent after the handler returned and its answer was released.
            let gone = owner.isEmpty
            while let more = try? connection.receive(), !more.isEmpty {
                bytes += more
                if bytes.count >= size + 40 { break }
            }
            return (bytes, gone)
        }
        #expect(ownerGoneAtFirstByte, "only MHD held the answer while it was sent")
        guard let end = received.firstRange(of: Array("\r\n\r\n".utf8)) else {
            Issue.record("no response head in \(received.count) bytes")
            return
        }
        let body = Array(received[end.upperBound...])
        #expect(body.count == size)
        #expect(body == pattern, "the body arrived intact")
    }

    /// One stored record's answer, queued on 300 keep-alive connections at once over three
    /// rounds, is byte for byte the answer a fresh response gives (Date aside).
    @Test(arguments: [
        (
            "GET /v2/sessions/312909075212468632 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer admin-pat\r\n\r\n",
            "\"id\":\"312909075212468632\""
        ),
        (
            "GET /users/session-challenge?code=K7PX-22QA HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: proj_demo\r\n\r\n",
            "\"id\":\"sc_01HZX3\""
        ),
    ])
    func onePreparedAnswerServesManyConnectionsAtOnce(request: String, fragment: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let port = mock.server.port
        let answers = try await blocking { () throws -> [String] in
            let connections = try (0..<300).map { _ in try RawConnection(port: port) }
            var answers: [String] = []
            for _ in 0..<3 {
                for connection in connections { try connection.send(request) }
                for connection in connections {
                    guard let response = try connection.readResponse() else {
                        answers.append("closed")
                        continue
                    }
                    let head = response.head.split(separator: "\r\n").filter { !$0.hasPrefix("Date:") }.joined(
                        separator: "\r\n"
                    )
                    answers.append(head + "\r\n\r\n" + response.body)
                }
            }
            return answers
        }
        #expect(answers.count == 900)
        #expect(Set(answers).count == 1, "every answer is the same")
        #expect(answers.first?.hasPrefix("HTTP/1.1 200 OK\r\n") == true)
        #expect(answers.first?.contains(fragment) == true)
    }
}

private final class WeakBox: Sendable {
    private let object = Mutex<WeakReference?>(nil)
    private struct WeakReference: @unchecked Sendable { weak var value: PreparedResponse? }

    func set(_ value: PreparedResponse) { object.withLock { $0 = WeakReference(value: value) } }
    var isEmpty: Bool { object.withLock { $0?.value == nil } }
}

import Dispatch
import MicroHTTP
import Platform
import SessionMock

/// How a test reaches the mock (HummingbirdTesting's `.router` / `.live`): the same test body runs
/// against either.
public enum TestingSetup: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `SessionMockApp.handle` called directly: no socket, no thread, delays and drops returned
    /// as values instead of waited for.
    case router
    /// A real server on a free loopback port, one connection per request.
    case live
    /// The same server reached over HTTP/2 (prior knowledge), one connection per request.
    case liveHTTP2 = "live-http2"

    public var description: String { rawValue }
}

/// One answer, as a test sees it in either setup.
public struct TestResponse: Sendable {
    public var status: Int
    /// In process: the app's own headers. Live: every header on the wire, the engine's included
    /// (`Date`, `Content-Length`, `Connection`).
    public var headers: [HTTPField]
    public var body: [UInt8]
    /// The delay the answer asked for, in process (reported, not waited). Live it was waited, and
    /// this is 0.
    public var delayMilliseconds: Int
    /// The connection was closed without an answer (`status` is 0); over HTTP/2, the stream was reset.
    public var dropped: Bool
    /// Fields after the body (native gRPC's status): over HTTP/2 as received; in process the
    /// app's own.
    public var trailers: [HTTPField] = []

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The first value of the header `name` (case-insensitive); nil when there is none.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of the header `name` (case-insensitive), in order: a repeated header (two
    /// `Set-Cookie`, `Vary` sent twice) gives each of its values.
    public func headerValues(_ name: String) -> [String] {
        HeaderFields(headers).values(name)
    }

    /// `headers` with lookups by name.
    public var headerFields: HeaderFields { HeaderFields(headers) }
}

/// Header fields in order, each as it arrived: a name sent twice is two fields, never merged or
/// dropped. `fields["Set-Cookie"]` is the first value of that name (case-insensitive), and
/// `values("Set-Cookie")` all of them.
public struct HeaderFields: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    public var fields: [HTTPField]

    public init(_ fields: [HTTPField] = []) { self.fields = fields }

    public init(arrayLiteral elements: HTTPField...) { fields = elements }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> HTTPField { fields[position] }

    /// The first value of `name` (case-insensitive); nil when there is none.
    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }
}

public struct TestingError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(description: String) { self.description = description }
}

/// The mock under test, in process or live. `stop()` when done (a live server keeps its port).
public final class SessionMockTestClient: Sendable {
    public let setup: TestingSetup
    public let app: SessionMockApp
    /// The live server; nil in process.
    public let server: SessionMockServer?

    /// `configuration` as for `SessionMockServer` (seeds, scenario, app options); in process its
    /// host, port and HTTP limits are unused.
    public init(_ setup: TestingSetup, configuration: SessionMockServer.Configuration = .init()) throws {
        self.setup = setup
        switch setup {
        case .router:
            app = try SessionMockServer.makeApp(configuration)
            server = nil
        case .live, .liveHTTP2:
            let server = try SessionMockServer.start(configuration)
            app = server.app
            self.server = server
        }
    }

    public func stop() { server?.stop() }

    /// Sends one request. `target` is the path with an optional `?query`, percent-encoded as on the
    /// wire; headers keep their order, and a name given twice is sent twice. `httpVersion` pins
    /// the protocol; nil sends native gRPC (`Content-Type: application/grpc…`) over HTTP/2, as
    /// gRPC clients do, and everything else as the setup says.
    public func execute(
        _ method: String,
        _ target: String,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        httpVersion: HTTPVersion? = nil
    ) async throws -> TestResponse {
        let nativeGRPC = headers.contains {
            let value = $0.1.lowercased()
            return $0.0.caseInsensitiveEquals("Content-Type") && value.hasPrefix("application/grpc")
                && !value.hasPrefix("application/grpc-web")
        }
        let version = httpVersion ?? (nativeGRPC || setup == .liveHTTP2 ? .http2 : .http1)
        switch setup {
        case .router:
            var request = Self.request(method, target, headers: headers, body: body)
            request.httpVersion = version
            return Self.answer(app.handle(request), method: method)
        case .live where version == .http1, .liveHTTP2 where version == .http1:
            guard let server else { throw TestingError(description: "no live server") }
            return try await Self.exchange(
                host: server.host,
                port: server.port,
                tls: server.scheme == "https",
                method,
                target,
                headers: headers,
                body: body
            )
        case .live, .liveHTTP2:
            guard let server else { throw TestingError(description: "no live server") }
            let (host, port) = (server.host, server.port)
            let answer = try await Self.onOwnThread {
                HTTP2Client.exchange(
                    host: host,
                    port: port,
                    method: method,
                    target: target,
                    headers: headers,
                    body: body
                )
            }
            guard let answer else {
                throw TestingError(description: "\(method) \(target): no HTTP/2 answer within 30 s")
            }
            return TestResponse(
                status: answer.reset ? 0 : answer.status,
                headers: answer.headers,
                body: answer.reset ? [] : answer.body,
                delayMilliseconds: 0,
                dropped: answer.reset,
                trailers: answer.trailers
            )
        }
    }

    /// One HTTP/1.1 request on a connection of its own to any server (`Connection: close`), read
    /// to the end: what `.live` does, headers sent and received in order, repeated names kept.
    static func exchange(
        host: String,
        port: Int,
        tls: Bool,
        _ method: String,
        _ target: String,
        headers: [(String, String)],
        body: [UInt8]
    ) async throws -> TestResponse {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { text += "Content-Length: \(body.count)\r\n" }
        let bytes = Array((text + "\r\n").utf8) + body
        let received = try await onOwnThread {
            OS.exchange(host: host, port: port, send: bytes, timeoutSeconds: 30, tls: tls)
        }
        guard let received else { throw TestingError(description: "\(method) \(target): no answer within 30 s") }
        return try parse(received, method: method)
    }

    public func get(_ target: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await execute("GET", target, headers: headers)
    }

    // MARK: - In process

    /// An app's answer as `.router` reports it: its headers as they are, in order, repeats kept.
    static func answer(_ response: HTTPResponse, method: String) -> TestResponse {
        TestResponse(
            status: response.status,
            headers: response.headers,
            body: method == "HEAD" ? [] : response.body,
            delayMilliseconds: response.delayMilliseconds,
            dropped: response.dropsConnection,
            trailers: response.trailers ?? []
        )
    }

    /// The request as the server hands it to the app: path and query percent-decoded (`+` is a
    /// space in the query), `invalidUTF8` set when a decoded byte sequence is not UTF-8.
    static func request(_ method: String, _ target: String, headers: [(String, String)], body: [UInt8]) -> HTTPRequest {
        var invalid = false
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = decode(parts[0], plus: false, invalid: &invalid)
        var query: [HTTPField] = []
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append(
                    HTTPField(
                        name: decode(nameValue[0], plus: true, invalid: &invalid),
                        value: nameValue.count > 1 ? decode(nameValue[1], plus: true, invalid: &invalid) : ""
                    )
                )
            }
        }
        var request = HTTPRequest(
            method: method,
            path: path,
            query: query,
            headers: headers.map { HTTPField(name: $0.0, value: $0.1) },
            body: body
        )
        request.invalidUTF8 = invalid
        return request
    }

    private static func decode(_ text: Substring, plus: Bool, invalid: inout Bool) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else if plus && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if !string.utf8.elementsEqual(bytes) { invalid = true }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 65...70: return byte - 55
        case 97...102: return byte - 87
        default: return nil
        }
    }

    // MARK: - Live

    /// An HTTP/1.1 answer read to the end of the connection; no bytes at all is a drop.
    static func parse(_ bytes: [UInt8], method: String) throws -> TestResponse {
        if bytes.isEmpty { return TestResponse(status: 0, headers: [], body: [], delayMilliseconds: 0, dropped: true) }
        let separator = Array("\r\n\r\n".utf8)
        guard let end = bytes.firstRange(of: separator) else {
            throw TestingError(
                description:
                    "an answer without a complete header block: \(String(decoding: bytes.prefix(200), as: UTF8.self))"
            )
        }
        let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).split(
            separator: "\r\n",
            omittingEmptySubsequences: false
        )
        let statusWords = lines[0].split(separator: " ", maxSplits: 2)
        guard statusWords.count >= 2, statusWords[0] == "HTTP/1.1", let status = Int(statusWords[1]) else {
            throw TestingError(description: "not an HTTP/1.1 status line: \(lines[0])")
        }
        var headers: [HTTPField] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else {
                throw TestingError(description: "a header line without ':': \(line)")
            }
            headers.append(
                HTTPField(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingSpaces)
            )
        }
        var body = Array(bytes[end.upperBound...])
        if let length = headers.first(where: { $0.name.caseInsensitiveEquals("Content-Length") }).flatMap({
            Int($0.value)
        }) {
            if method == "HEAD" {
                body = []
            } else if body.count != length {
                throw TestingError(description: "Content-Length \(length) but \(body.count) body bytes")
            }
        }
        return TestResponse(status: status, headers: headers, body: body, delayMilliseconds: 0, dropped: false)
    }

    /// Blocking socket work on a thread of its own, so it never holds one of the few cooperative
    /// threads a 2-core machine has.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }
}

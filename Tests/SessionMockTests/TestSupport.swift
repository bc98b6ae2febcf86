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

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The mock under test, in process (`.router`) or on a free loopback port (`.live`), through
/// SessionMockTesting; stopped when the test's `defer` runs.
struct Harness {
    let client: SessionMockTestClient
    var app: SessionMockApp { client.app }
    /// Live only.
    var server: SessionMockServer { client.server! }
    var baseURL: String { server.baseURL }

    /// The bundled default scenario, or the given seed documents (JSON text by scenario name).
    init(
        _ setup: TestingSetup = .live,
        seeds: [String: String]? = nil,
        scenario: String? = nil,
        configure: (inout SessionMockServer.Configuration) -> Void = { _ in }
    ) throws {
        var configuration = SessionMockServer.Configuration()
        if let seeds {
            configuration.seeds = try seeds.mapValues { try SeedParser.parse(Array($0.utf8), file: "test") }
        }
        configuration.scenario = scenario
        configure(&configuration)
        client = try SessionMockTestClient(setup, configuration: configuration)
    }

    func stop() { client.stop() }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTPResult {
        try await send("GET", path, headers: headers)
    }

    func send(
        _ method: String,
        _ path: String,
        headers: [String: String] = [:],
        body: String? = nil
    ) async throws -> HTTPResult {
        try await send(method, path, headers: headers, bytes: body.map { Array($0.utf8) } ?? [])
    }

    func send(
        _ method: String,
        _ path: String,
        headers: [String: String] = [:],
        bytes: [UInt8]
    ) async throws -> HTTPResult {
        try await send(method, path, fields: headers.sorted { $0.key < $1.key }, bytes: bytes)
    }

    /// Headers in this order, a name given twice sent twice (a dictionary cannot repeat one).
    func send(
        _ method: String,
        _ path: String,
        fields: [(String, String)],
        body: String? = nil
    ) async throws -> HTTPResult {
        try await send(method, path, fields: fields, bytes: body.map { Array($0.utf8) } ?? [])
    }

    /// `httpVersion` pins the protocol (nil: native gRPC over HTTP/2, the rest as the setup goes).
    func send(
        _ method: String,
        _ path: String,
        fields: [(String, String)],
        bytes: [UInt8],
        httpVersion: HTTPVersion? = nil
    ) async throws -> HTTPResult {
        HTTPResult(try await client.execute(method, path, headers: fields, body: bytes, httpVersion: httpVersion))
    }

    // Demo values of Seeds/default.json.
    static let project = ["X-WalletKit-Project-ID": "proj_demo"]
    static let admin = ["Authorization": "Bearer admin-pat"]
}

struct HTTPResult: Sendable {
    var status: Int
    /// Every field in order, repeated names kept; `headers["X"]` is the first value of `X`
    /// (case-insensitive), `headers.values("X")` all of them.
    var headers: HeaderFields
    var body: Data
    /// In process, the delay asked for (not waited); live 0.
    var delayMilliseconds = 0
    var dropped = false
    /// Fields after the body (native gRPC's status).
    var trailers = HeaderFields()

    init(status: Int, headers: HeaderFields, body: Data, delayMilliseconds: Int = 0, dropped: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delayMilliseconds = delayMilliseconds
        self.dropped = dropped
    }

    /// The harness's answer, every header field kept.
    init(_ response: TestResponse) {
        self.init(
            status: response.status,
            headers: HeaderFields(response.headers),
            body: Data(response.body),
            delayMilliseconds: response.delayMilliseconds,
            dropped: response.dropped
        )
        trailers = HeaderFields(response.trailers)
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// Native gRPC's status fields: the trailers, or, for a trailers-only answer (one HEADERS
    /// frame, which an HTTP/2 client reads as headers), the headers.
    var grpcStatusFields: [HTTPField] {
        trailers.isEmpty ? headers.fields.filter { $0.name.lowercased().hasPrefix("grpc-") } : trailers.fields
    }

    /// The first value of `name` (case-insensitive).
    func header(_ name: String) -> String? { headers[name] }

    /// Every value of `name` (case-insensitive), in order.
    func headerValues(_ name: String) -> [String] { headers.values(name) }

    /// The body parsed with the project's strict parser (so a non-JSON body fails the test).
    func json() throws -> JSONValue { try JSONParser.parse([UInt8](body)) }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.timeoutIntervalForRequest = 10
        return URLSession(configuration: configuration)
    }()

    /// Through URLSession, as a Foundation client sends it (a few live tests want exactly that).
    /// Foundation hands over a repeated response header as one field, its values joined by ", ".
    static func fetch(_ method: String, _ url: URL, headers: [String: String], body: Data?) async throws -> HTTPResult {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [HTTPField] = []
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String {
                fields.append(HTTPField(name: name, value: value))
            }
        }
        return HTTPResult(status: http.statusCode, headers: HeaderFields(fields), body: data)
    }
}

/// A plain TCP client for what URLSession hides: exact header bytes, keep-alive reuse, drops.
final class RawConnection {
    let fd: Int32

    /// `receiveBuffer` (bytes) shrinks the socket's receive buffer, so the server's sends block early.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw RawError.connect }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    enum RawError: Error { case connect, closed }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        try sendBytes(bytes)
    }

    func sendBytes(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw RawError.closed }
            offset += sent
        }
    }

    /// Whatever the next read returns; empty when the server closed.
    func receive() throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count >= 0 else { throw RawError.closed }
        return Array(chunk[..<count])
    }

    /// Reads one response (headers + Content-Length body). nil when the server closed instead.
    func readResponse() throws -> (head: String, body: String)? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = buffer.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                while buffer.count < end.upperBound + length {
                    let count = recv(fd, &chunk, chunk.count, 0)
                    guard count > 0 else { throw RawError.closed }
                    buffer += chunk[..<count]
                }
                return (head, String(decoding: buffer[end.upperBound..<end.upperBound + length], as: UTF8.self))
            }
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 && buffer.isEmpty { return nil }
            guard count > 0 else { throw RawError.closed }
            buffer += chunk[..<count]
        }
    }
}

/// Runs blocking socket code on its own thread, so it never holds one of the few cooperative
/// threads that the async tests (and URLSession callbacks) need on a 2-core machine.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

import CNGHTTP2
import Platform

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request over a new plain-text HTTP/2 connection ("prior knowledge", as gRPC clients open
/// them), through libnghttp2's client session: what tests and probes use to reach the server's
/// HTTP/2 side. Blocking; the connection is closed when the stream ends.
public enum HTTP2Client {
    /// What came back on the stream.
    public struct Answer: Sendable {
        public var status: Int
        /// Response headers as received (lower-case names), pseudo-headers left out.
        public var headers: [HTTPField]
        public var body: [UInt8]
        /// Fields of a HEADERS frame after the body (gRPC's status), in order.
        public var trailers: [HTTPField]
        /// The server reset the stream (RST_STREAM) instead of answering.
        public var reset: Bool
    }

    /// Sends the request and waits for its stream to end; nil when the connection fails or no
    /// answer comes within `timeoutSeconds`.
    public static func exchange(
        host: String,
        port: Int,
        method: String,
        target: String,
        headers: [(String, String)],
        body: [UInt8],
        timeoutSeconds: Int = 30
    ) -> Answer? {
        guard let address = try? SocketAddress(host: host, port: port) else { return nil }
        let socket = Glibc.socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        guard address.withSockaddr({ connect(socket, $0, address.length) }) == 0 else { return nil }
        let exchange = ClientExchange(body: body)
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        var session: OpaquePointer?
        guard nghttp2_session_client_new(&session, clientCallbacks, context) == 0, let session else { return nil }
        defer { nghttp2_session_del(session) }
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil, 0)
        var fields = [
            HTTPField(name: ":method", value: method), HTTPField(name: ":scheme", value: "http"),
            HTTPField(name: ":authority", value: "\(host):\(port)"), HTTPField(name: ":path", value: target),
        ]
        fields += headers.map { HTTPField(name: $0.0.lowercased(), value: $0.1) }
        let submitted = withNameValues(fields) { nva, count -> Int32 in
            guard !body.isEmpty else { return nghttp2_submit_request(session, nil, nva, count, nil, nil) }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(fd: 0), read_callback: readBody)
            return nghttp2_submit_request(session, nil, nva, count, &provider, nil)
        }
        guard submitted > 0 else { return nil }
        let deadline = WallClock.monotonicNanos() + UInt64(timeoutSeconds) * 1_000_000_000
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !exchange.closed {
            var chunk: UnsafePointer<UInt8>?
            while true {
                let length = nghttp2_session_mem_send(session, &chunk)
                guard length > 0, let chunk else { break }
                var sent = 0
                while sent < length {
                    let written = send(socket, chunk + sent, length - sent, Int32(MSG_NOSIGNAL))
                    guard written > 0 else { return nil }
                    sent += written
                }
            }
            let now = WallClock.monotonicNanos()
            guard now < deadline else { return nil }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let waited = poll(&descriptor, 1, Int32((deadline - now) / 1_000_000) + 1)
            guard waited > 0 else { return nil }
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return exchange.closed ? exchange.answer : nil }
            guard nghttp2_session_mem_recv(session, buffer, count) >= 0 else { return nil }
        }
        return exchange.answer
    }

    private final class ClientExchange {
        let body: [UInt8]
        var sent = 0
        var answer = Answer(status: 0, headers: [], body: [], trailers: [], reset: false)
        var headersDone = false
        var closed = false

        init(body: [UInt8]) { self.body = body }
    }

    private static func exchange(_ user: UnsafeMutableRawPointer?) -> ClientExchange {
        Unmanaged<ClientExchange>.fromOpaque(user!).takeUnretainedValue()
    }

    private static let readBody: nghttp2_data_source_read_callback = { _, _, buffer, length, flags, _, user in
        guard let buffer, let flags else { return ssize_t(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
        let exchange = exchange(user)
        let count = min(length, exchange.body.count - exchange.sent)
        exchange.body.withUnsafeBufferPointer { bytes in
            if count > 0 { buffer.update(from: bytes.baseAddress! + exchange.sent, count: count) }
        }
        exchange.sent += count
        if exchange.sent == exchange.body.count { flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        return count
    }

    // Built once and only read after: libnghttp2 copies the callbacks into each session.
    nonisolated(unsafe) private static let clientCallbacks: OpaquePointer? = {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _,
            _,
            name,
            nameLength,
            value,
            valueLength,
            _,
            user in
            guard let name, let value else { return 0 }
            let exchange = exchange(user)
            let nameText = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
            let valueText = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            if nameText == ":status" {
                exchange.answer.status = Int(valueText) ?? 0
            } else if exchange.headersDone {
                exchange.answer.trailers.append(HTTPField(name: nameText, value: valueText))
            } else {
                exchange.answer.headers.append(HTTPField(name: nameText, value: valueText))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            guard let frame else { return 0 }
            if frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) { exchange(user).headersDone = true }
            if frame.pointee.hd.type == UInt8(NGHTTP2_RST_STREAM.rawValue) { exchange(user).answer.reset = true }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, _, data, length, user in
            guard let data else { return 0 }
            exchange(user).answer.body.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, _, errorCode, user in
            let exchange = exchange(user)
            if errorCode != NGHTTP2_NO_ERROR.rawValue { exchange.answer.reset = true }
            exchange.closed = true
            return 0
        }
        return callbacks
    }()
}

/// Runs `body` with `fields` as libnghttp2 name/value pairs (it copies them before returning).
func withNameValues<R>(_ fields: [HTTPField], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
    var bytes: [UInt8] = []
    var offsets: [(name: Int, nameLength: Int, value: Int, valueLength: Int)] = []
    for field in fields {
        let name = bytes.count
        bytes.append(contentsOf: field.name.utf8)
        let value = bytes.count
        bytes.append(contentsOf: field.value.utf8)
        offsets.append((name, field.name.utf8.count, value, field.value.utf8.count))
    }
    bytes.append(0)  // never empty, so the buffer has an address
    return bytes.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        let nva = offsets.map {
            nghttp2_nv(
                name: base + $0.name,
                value: base + $0.value,
                namelen: $0.nameLength,
                valuelen: $0.valueLength,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
            )
        }
        return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
    }
}

import CMicroHTTPD
import CNGHTTP2
import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP/2 through libnghttp2: event-loop threads, each owning its connections. libnghttp2 does
/// the frames, HPACK and flow control; this file moves bytes between sockets and its session
/// (`nghttp2_session_mem_recv` / `mem_send`) and turns each finished stream into the same
/// `HTTPRequest` libmicrohttpd's side builds, so the handler cannot tell the protocols apart.
final class HTTP2Engine: Sendable {
    private let loops: [HTTP2EventLoop]
    private let next = Atomic<Int>(0)
    private let open = OpenConnections()
    private let connectionLimit: Int

    init(
        threadCount: Int,
        limits: HTTP2Limits,
        tls: HTTP2TLSContext?,
        streamingHandler: HTTPStreamingHandler?,
        handler: @escaping @Sendable (consuming HTTPRequest) -> HTTPResponse
    ) {
        connectionLimit = limits.maxConnections
        let open = self.open
        loops = (0..<max(1, threadCount)).map { _ in
            HTTP2EventLoop(limits: limits, tls: tls, streamingHandler: streamingHandler, open: open, handler: handler)
        }
    }

    /// Takes ownership of a connected socket whose first bytes are the HTTP/2 preface; over the
    /// connection limit it is closed at once, as libmicrohttpd refuses its own.
    func add(_ socket: Int32) {
        guard open.count.add(1, ordering: .relaxed).newValue <= connectionLimit else {
            open.count.subtract(1, ordering: .relaxed)
            close(socket)
            return
        }
        let index = next.add(1, ordering: .relaxed).oldValue % loops.count
        loops[index].add(socket)
    }

    /// Answers waiting for their delay, on every loop.
    var delayedCount: Int { loops.reduce(0) { $0 + $1.delayedCount.load(ordering: .relaxed) } }

    /// Sends GOAWAY on every connection, closes them and ends the loops.
    func stop() { for loop in loops { loop.stop() } }
}

/// HTTP/2 connections open on every loop, against the connection limit.
final class OpenConnections: Sendable {
    let count = Atomic<Int>(0)
}

/// What the HTTP/2 side allows a peer (the HTTP/1.1 side's limits where they exist).
struct HTTP2Limits: Sendable {
    /// Open HTTP/2 connections at most (as many again as libmicrohttpd's own limit).
    var maxConnections = 4096
    var maxConcurrentStreams: UInt32 = 100
    var maxBodyBytes: Int
    /// Header names and values of one request, in bytes; more gets 431 as from libmicrohttpd.
    var maxHeaderBytes: Int
    var idleTimeoutSeconds: Int
    /// RST_STREAM frames a peer may send per second before the connection ends (rapid reset).
    var maxResetsPerSecond = 200
}

/// One thread polling its connections' sockets and a wake-up eventfd.
final class HTTP2EventLoop: @unchecked Sendable {
    // Unchecked: `incoming` and `stopping` cross threads under their Mutex/atomic; everything
    // else is touched by the loop thread only.
    let limits: HTTP2Limits
    let handler: @Sendable (consuming HTTPRequest) -> HTTPResponse
    let streamingHandler: HTTPStreamingHandler?
    private let open: OpenConnections
    /// Set when the port serves TLS: connections that chose `h2` by ALPN.
    let tls: HTTP2TLSContext?
    private let wake = WakePipe()
    private let incoming = Mutex<[Int32]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    let delayedCount = Atomic<Int>(0)
    private var connections: [Int32: HTTP2Connection] = [:]
    /// Answers waiting for their delay: when, on which connection and stream.
    private var delayed: [(due: UInt64, socket: Int32, stream: Int32, response: HTTPResponse)] = []
    /// The loop's read buffer, shared by its connections.
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// `runsThread: false` makes a loop that owns no thread: connections driven from memory.
    init(
        limits: HTTP2Limits,
        tls: HTTP2TLSContext?,
        streamingHandler: HTTPStreamingHandler?,
        open: OpenConnections = OpenConnections(),
        runsThread: Bool = true,
        handler: @escaping @Sendable (consuming HTTPRequest) -> HTTPResponse
    ) {
        self.open = open
        self.tls = tls
        self.limits = limits
        self.streamingHandler = streamingHandler
        self.handler = handler
        if runsThread { startThread { [self] in run() } }
    }

    func add(_ socket: Int32) {
        incoming.withLock { $0.append(socket) }
        signal()
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        signal()
        while !finished.load(ordering: .acquiring) { usleep(1_000) }
        wake.close()
    }

    private func signal() { wake.signal() }

    func schedule(_ response: HTTPResponse, on connection: HTTP2Connection, stream: Int32) {
        let due = monotonicMilliseconds() + UInt64(response.delayMilliseconds)
        delayed.append((due, connection.socket, stream, response))
        delayedCount.store(delayed.count, ordering: .relaxed)
    }

    private func run() {
        var fds: [pollfd] = []
        var order: [HTTP2Connection] = []
        while !stopping.load(ordering: .acquiring) {
            for socket in incoming.withLock({ list in
                defer { list.removeAll() }
                return list
            }) {
                if let connection = HTTP2Connection(socket: socket, loop: self, tls: tls?.session(socket: socket)) {
                    connections[socket] = connection
                    connection.flush()
                } else {
                    close(socket)
                    open.count.subtract(1, ordering: .relaxed)
                }
            }
            fds.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0))
            for connection in connections.values {
                let events = connection.wantsToWrite ? Int16(POLLIN | POLLOUT) : Int16(POLLIN)
                fds.append(pollfd(fd: connection.socket, events: events, revents: 0))
                order.append(connection)
            }
            let now = monotonicMilliseconds()
            var timeout: Int32 = 1_000  // idle connections are looked at once a second
            if let due = delayed.map(\.due).min() { timeout = min(timeout, Int32(clamping: due > now ? due - now : 0)) }
            if poll(&fds, nfds_t(fds.count), timeout) < 0 && errno != EINTR { break }
            if fds[0].revents != 0 { wake.drain() }
            for (index, connection) in order.enumerated() {
                let events = fds[index + 1].revents
                guard events != 0 else { continue }
                // Any event may move a TLS handshake on; reading is where it does.
                readAll(connection)
                connection.flush()
            }
            fireDelayed()
            let idleLimit = UInt64(limits.idleTimeoutSeconds) * 1000
            let checkedAt = monotonicMilliseconds()
            for connection in connections.values {
                let waiting = delayed.contains { $0.socket == connection.socket }
                if !connection.isClosed && !waiting && checkedAt - connection.lastActivity >= idleLimit {
                    if connection.isIdle {
                        // Nothing open: a graceful GOAWAY; the peer closes, or the next check does.
                        if connection.sentGoAway { connection.close() } else { connection.goAway() }
                        connection.flush()
                    } else if connection.onlyServerStreamsWaiting {
                        // Open server streams with all sent (Health.Watch): the client waits on us.
                    } else {
                        // Streams open and no byte moved either way for the whole timeout: a peer
                        // that stopped reading (its window stuck) or sending. Only this connection ends.
                        connection.close()
                    }
                }
                if connection.isClosed { remove(connection) }
            }
        }
        // Stopping: answers waiting for their delay go out now, then GOAWAY.
        fireDelayed(all: true)
        for connection in connections.values {
            connection.goAway()
            connection.flush()
            remove(connection)
        }
        for socket in incoming.withLock({ $0 }) {
            close(socket)
            open.count.subtract(1, ordering: .relaxed)
        }
        finished.store(true, ordering: .releasing)
    }

    private func readAll(_ connection: HTTP2Connection) {
        while !connection.isClosed {
            guard connection.handshake() else { return }
            let count = readBuffer.withUnsafeMutableBytes { connection.read(into: $0) }
            if count > 0 {
                readBuffer.withUnsafeBytes { connection.receive(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                if count < readBuffer.count && !connection.hasPendingInput { return }
            } else if count == -1 {
                return
            } else {
                connection.close()
            }
        }
    }

    private func fireDelayed(all: Bool = false) {
        guard !delayed.isEmpty else { return }
        let now = all ? UInt64.max : monotonicMilliseconds()
        var waiting: [(due: UInt64, socket: Int32, stream: Int32, response: HTTPResponse)] = []
        var due: [(socket: Int32, stream: Int32, response: HTTPResponse)] = []
        for entry in delayed {
            if entry.due <= now {
                due.append((entry.socket, entry.stream, entry.response))
            } else {
                waiting.append(entry)
            }
        }
        delayed = waiting
        delayedCount.store(delayed.count, ordering: .relaxed)
        for entry in due {
            guard let connection = connections[entry.socket], !connection.isClosed else { continue }
            var response = entry.response
            response.delayMilliseconds = 0
            connection.respond(stream: entry.stream, with: response)
            connection.flush()
        }
    }

    private func remove(_ connection: HTTP2Connection) {
        connection.close()
        if connections.removeValue(forKey: connection.socket) != nil { open.count.subtract(1, ordering: .relaxed) }
        delayed.removeAll { $0.socket == connection.socket }
        delayedCount.store(delayed.count, ordering: .relaxed)
        connection.release()
    }
}

/// One HTTP/2 connection driven from memory, no socket and no thread: bytes go in as a peer
/// sends them (after the client preface), every request is answered by the handlers and the
/// answers are dropped. What the HTTP/2 frame fuzzer runs.
public final class HTTP2MemoryConnection {
    private let loop: HTTP2EventLoop
    private let connection: HTTP2Connection?

    public init(
        streamingHandler: HTTPStreamingHandler? = nil,
        handler: @escaping @Sendable (consuming HTTPRequest) -> HTTPResponse
    ) {
        loop = HTTP2EventLoop(
            limits: HTTP2Limits(maxBodyBytes: 4 * 1024 * 1024, maxHeaderBytes: 32 * 1024, idleTimeoutSeconds: 30),
            tls: nil,
            streamingHandler: streamingHandler,
            runsThread: false,
            handler: handler
        )
        connection = HTTP2Connection(socket: -1, loop: loop, tls: nil)
        connection?.flush()
    }

    deinit {
        connection?.close()
        connection?.release()
    }

    /// Feeds bytes to the server session, then lets it produce (and drop) what it would send.
    /// False once the session has ended the connection.
    @discardableResult
    public func feed(_ bytes: [UInt8]) -> Bool {
        guard let connection, !connection.isClosed else { return false }
        bytes.withUnsafeBytes { connection.receive($0) }
        connection.flush()
        return !connection.isClosed
    }

    /// Answers held for a delay (never sent from memory).
    public var delayedCount: Int { loop.delayedCount.load(ordering: .relaxed) }
}

/// A request being received on one stream, and the answer being sent on it.
final class HTTP2Stream {
    var method = ""
    var target = ""
    var authority: String?
    var headers = HTTPFields()
    var headerBytes = 0
    var headersTooLarge = false
    var invalidUTF8 = false
    var body: [UInt8] = []
    var bodyTooLarge = false
    var isHead = false
    /// The answer's body and how much of it has gone out; trailers follow it when set.
    var answer: [UInt8] = []
    var sent = 0
    var trailers: [HTTPField] = []
    /// The request as built when its headers were complete, kept for its dispatch.
    var request: HTTPRequest?
    /// A call answered while the request streams in; its answer ends once `ended` is set.
    var streaming: (any HTTPStreamingCall)?
    var ended = false
    /// The client ended its side of the stream (END_STREAM).
    var requestEnded = false
}

/// Decides, as a request's headers arrive over HTTP/2, whether it is a streaming call.
public typealias HTTPStreamingHandler = @Sendable (HTTPRequest) -> (any HTTPStreamingCall)?

/// A request answered while its body is still arriving (gRPC's client and bidirectional streams,
/// and server streams that stay open). Called on one connection's loop thread only.
public protocol HTTPStreamingCall: AnyObject {
    /// The answer's headers (status 200), sent before any body.
    var headers: [HTTPField] { get }
    /// More of the request body; returns what to send now (may be empty).
    func receive(_ bytes: [UInt8]) -> [UInt8]
    /// The request body ended: the last bytes and the trailers that end the answer, or nil to
    /// keep the answer open until the client cancels (a server stream such as Health.Watch).
    func finish() -> (bytes: [UInt8], trailers: [HTTPField])?
}

/// One HTTP/2 connection: its socket, its libnghttp2 server session and its streams.
final class HTTP2Connection {
    let socket: Int32
    unowned let loop: HTTP2EventLoop
    private var session: OpaquePointer?
    private var streams: [Int32: HTTP2Stream] = [:]
    /// Bytes libnghttp2 produced that the socket has not taken yet.
    private var output: [UInt8] = []
    private var outputSent = 0
    private(set) var isClosed = false
    private(set) var lastActivity = monotonicMilliseconds()
    private var resetWindowStart = monotonicMilliseconds()
    private var resetsInWindow = 0
    /// Streams whose request is complete, answered once `mem_recv` has returned.
    private var finishedStreams: [Int32] = []
    private var retained: Unmanaged<HTTP2Connection>?
    /// The TLS session when the port serves TLS; bytes go through it once its handshake is done.
    private let tls: HTTP2TLSSession?
    /// Bytes handed to GnuTLS that it could not send yet: it wants the same call again.
    private var tlsSendInFlight: Int?

    /// Moves the TLS handshake on; true once the connection carries HTTP/2 (at once without TLS).
    func handshake() -> Bool {
        guard let tls, !tls.handshakeDone else { return true }
        switch tls.handshake() {
        case .done:
            flush()  // the server's SETTINGS, held back until now
            return true
        case .again: return false
        case .failed:
            close()
            return false
        }
    }

    /// Received bytes (decrypted under TLS): the count, 0 at the peer's close, -1 when none are
    /// ready, -2 on an error.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if let tls { return tls.receive(buffer) }
        let count = recv(socket, buffer.baseAddress, buffer.count, 0)
        if count >= 0 { return count }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2
    }

    /// Decrypted bytes GnuTLS holds that poll(2) cannot see.
    var hasPendingInput: Bool { tls?.hasPending ?? false }

    /// Bytes of `bytes` written (encrypted under TLS), -1 when the socket is full, -2 on an error.
    private func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        if socket < 0 { return bytes.count }  // driven from memory: the answer is dropped
        guard let tls else {
            let written = send(socket, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if written >= 0 { return written }
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2
        }
        // After "again", GnuTLS finishes the record it already made from the earlier bytes.
        if tlsSendInFlight != nil {
            let written = tls.send(UnsafeRawBufferPointer(start: nil, count: 0))
            if written >= 0 { tlsSendInFlight = nil }
            return written
        }
        let chunk = UnsafeRawBufferPointer(rebasing: bytes[..<min(bytes.count, 16 * 1024)])
        let written = tls.send(chunk)
        if written == -1 { tlsSendInFlight = chunk.count }
        return written
    }

    init?(socket: Int32, loop: HTTP2EventLoop, tls: HTTP2TLSSession?) {
        self.socket = socket
        self.loop = loop
        self.tls = tls
        if loop.tls != nil && tls == nil { return nil }
        // libnghttp2 keeps this pointer as its user data; `release()` gives it back after the
        // session is deleted.
        retained = Unmanaged.passRetained(self)
        var session: OpaquePointer?
        guard
            nghttp2_session_server_new2(
                &session,
                HTTP2Connection.callbacks,
                retained?.toOpaque(),
                HTTP2Connection.options
            ) == 0,
            let session
        else {
            retained?.release()
            retained = nil
            return nil
        }
        self.session = session
        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: loop.limits.maxConcurrentStreams
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(loop.limits.maxHeaderBytes)
            ),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
    }

    /// Gives back the reference libnghttp2 held (the session is gone by then).
    func release() {
        retained?.release()
        retained = nil
    }

    var wantsToWrite: Bool {
        guard let session, !isClosed else { return false }
        if let tls, !tls.handshakeDone { return tls.wantsToWrite }
        return outputSent < output.count || nghttp2_session_want_write(session) != 0
    }

    /// No stream open: the idle timeout may end the connection.
    var isIdle: Bool { streams.isEmpty }

    /// Every open stream is a streaming call whose request has ended and whose answer has all
    /// gone out: the peer is waiting for the server (a server stream such as Health.Watch).
    var onlyServerStreamsWaiting: Bool {
        !wantsToWrite
            && streams.values.allSatisfy { $0.streaming != nil && $0.requestEnded && $0.sent == $0.answer.count }
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        guard let session, !isClosed else { return }
        lastActivity = monotonicMilliseconds()
        let consumed = nghttp2_session_mem_recv(
            session,
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
            bytes.count
        )
        if consumed < 0 {
            // A protocol error has its GOAWAY queued by libnghttp2 already. A flood or an HPACK
            // bomb (refused by the header callback) gets ENHANCE_YOUR_CALM; sent if it still can be.
            if consumed == NGHTTP2_ERR_FLOODED.rawValue || consumed == NGHTTP2_ERR_CALLBACK_FAILURE.rawValue {
                nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
            }
            flush()
            close()
            return
        }
        let finished = finishedStreams
        finishedStreams.removeAll()
        for id in finished { dispatch(id) }
    }

    /// Sends GOAWAY (no error) so the peer opens no new streams.
    func goAway() {
        guard let session, !isClosed else { return }
        nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
        sentGoAway = true
        lastActivity = monotonicMilliseconds()
    }

    private(set) var sentGoAway = false

    /// Everything libnghttp2 wants to send, gathered into one buffer and written in one call.
    func flush() {
        guard let session, !isClosed, tls?.handshakeDone ?? true else { return }
        // A peer that does not read must not make the buffer grow without end.
        while output.count - outputSent < 1 << 20 {
            var chunk: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &chunk)
            if length < 0 {
                close()
                return
            }
            guard length > 0, let chunk else { break }
            if outputSent == output.count {
                output.removeAll(keepingCapacity: true)
                outputSent = 0
            }
            output.append(contentsOf: UnsafeBufferPointer(start: chunk, count: length))
        }
        while outputSent < output.count {
            let written = output.withUnsafeBytes { write(UnsafeRawBufferPointer(rebasing: $0[outputSent...])) }
            if written > 0 {
                outputSent += written
                lastActivity = monotonicMilliseconds()
            } else if written == -1 {
                break
            } else {
                close()
                return
            }
        }
        if outputSent == output.count && nghttp2_session_want_read(session) == 0
            && nghttp2_session_want_write(session) == 0
        {
            close()
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let session { nghttp2_session_del(session) }
        session = nil
        streams.removeAll()
        if socket >= 0 { Glibc.close(socket) }
    }

    // MARK: - Requests and answers

    private func dispatch(_ id: Int32) {
        guard let stream = streams[id] else { return }
        if stream.headersTooLarge {
            respond(stream: id, with: HTTPResponse(status: 431))
            return
        }
        // Built when the headers came in (for the streaming handler), else now.
        var request = stream.request ?? HTTP2Connection.request(from: stream)
        stream.request = nil
        request.body = stream.body
        request.bodyTooLarge = stream.bodyTooLarge
        stream.body = []
        let response = loop.handler(request)
        if response.delayMilliseconds > 0 {
            loop.schedule(response, on: self, stream: id)
        } else {
            respond(stream: id, with: response)
        }
    }

    /// The request as libmicrohttpd's side builds it: path percent-decoded, query split into
    /// decoded arguments (libmicrohttpd's own unescaping, `+` as space), headers as received.
    static func request(from stream: HTTP2Stream) -> HTTPRequest {
        var invalidUTF8 = stream.invalidUTF8
        let target = stream.target.utf8
        let questionMark = target.firstIndex(of: UInt8(ascii: "?"))
        let path = unescaped(target[..<(questionMark ?? target.endIndex)], plusIsSpace: false, invalid: &invalidUTF8)
        var query: [HTTPField] = []
        if let questionMark {
            for argument in target[target.index(after: questionMark)...].split(separator: UInt8(ascii: "&")) {
                let equals = argument.firstIndex(of: UInt8(ascii: "="))
                let name = unescaped(
                    argument[..<(equals ?? argument.endIndex)],
                    plusIsSpace: true,
                    invalid: &invalidUTF8
                )
                let value =
                    equals.map {
                        unescaped(argument[argument.index(after: $0)...], plusIsSpace: true, invalid: &invalidUTF8)
                    } ?? ""
                query.append(HTTPField(name: name, value: value))
            }
        }
        var request = HTTPRequest(method: stream.method, path: path, query: query)
        if let authority = stream.authority, stream.headers.first(named: "host", caseInsensitive: false) == nil {
            request.headers.append(HTTPField(name: "host", value: authority))
            request.headers.append(contentsOf: stream.headers)
        } else {
            request.headers = stream.headers
        }
        request.bodyTooLarge = stream.bodyTooLarge
        request.invalidUTF8 = invalidUTF8
        request.httpVersion = .http2
        return request
    }

    /// Percent-decoded with libmicrohttpd's `MHD_http_unescape`, as its side decodes URLs.
    private static func unescaped(
        _ bytes: Substring.UTF8View.SubSequence,
        plusIsSpace: Bool,
        invalid: inout Bool
    )
        -> String
    {
        // Most paths and arguments have nothing to decode: taken as they are.
        let plain = !bytes.contains { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }
        if plain,
            let text = bytes.withContiguousStorageIfAvailable({
                decodeText(UnsafeRawBufferPointer($0), invalid: &invalid)
            })
        {
            return text
        }
        var text = Array(bytes)
        if plusIsSpace { for index in text.indices where text[index] == UInt8(ascii: "+") { text[index] = 0x20 } }
        text.append(0)
        let length = text.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { MHD_http_unescape($0.baseAddress) }
        }
        return text.withUnsafeBytes { decodeText(UnsafeRawBufferPointer(rebasing: $0[0..<length]), invalid: &invalid) }
    }

    /// Queues `response` on the stream: HEADERS, then DATA, then trailers when it has any. An
    /// answer with trailers and no body is trailers-only (one HEADERS frame ending the stream),
    /// as gRPC sends an error; a dropped answer resets that stream only.
    func respond(stream id: Int32, with response: HTTPResponse) {
        guard let session, let stream = streams[id] else { return }
        if response.dropsConnection {
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_INTERNAL_ERROR.rawValue)
            return
        }
        var fields = [HTTPField(name: ":status", value: String(response.status))]
        fields.reserveCapacity(response.headers.count + 4)
        for field in response.headers where !HTTP2Connection.connectionSpecific(field.name) {
            fields.append(HTTPField(name: HTTP2Connection.lowercased(field.name), value: field.value))
        }
        let trailersOnly = response.trailers != nil && response.body.isEmpty
        if trailersOnly {
            fields.append(contentsOf: response.trailers ?? [])
        } else if response.trailers == nil {
            fields.append(HTTPField(name: "content-length", value: String(response.body.count)))
        }
        fields.append(HTTPField(name: "date", value: HTTPDate.now()))
        let hasBody = !response.body.isEmpty && !stream.isHead
        stream.answer = hasBody ? response.body : []
        stream.trailers = trailersOnly ? [] : response.trailers ?? []
        submitResponse(fields, on: id, withBody: hasBody || !stream.trailers.isEmpty)
    }

    /// HEADERS for stream `id`, then (`withBody`) DATA from the stream's answer through
    /// `readAnswer`; a stream libnghttp2 refuses it for is reset.
    private func submitResponse(_ fields: [HTTPField], on id: Int32, withBody: Bool) {
        guard let session else { return }
        let result = withNameValues(fields) { nva, count in
            guard withBody else { return nghttp2_submit_response(session, id, nva, count, nil) }
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(fd: 0),
                read_callback: HTTP2Connection.readAnswer
            )
            return nghttp2_submit_response(session, id, nva, count, &provider)
        }
        if result != 0 {
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_INTERNAL_ERROR.rawValue)
        }
    }

    /// Asks the streaming handler about a request whose headers are in; a streaming call gets its
    /// answer's headers at once and its body as the call produces it.
    fileprivate func startStreaming(_ stream: HTTP2Stream, id: Int32) {
        guard session != nil, let handler = loop.streamingHandler, !stream.headersTooLarge else { return }
        let request = HTTP2Connection.request(from: stream)
        guard let call = handler(request) else {
            stream.request = request
            return
        }
        stream.streaming = call
        let fields =
            [HTTPField(name: ":status", value: "200")]
            + call.headers.map {
                HTTPField(name: $0.name.lowercased(), value: $0.value)
            }
        submitResponse(fields, on: id, withBody: true)
    }

    /// Queues more of a streaming answer and wakes its deferred data source.
    fileprivate func enqueue(_ bytes: [UInt8], on id: Int32) {
        guard let session, let stream = streams[id] else { return }
        if stream.sent == stream.answer.count {
            stream.answer.removeAll(keepingCapacity: true)
            stream.sent = 0
        }
        stream.answer += bytes
        nghttp2_session_resume_data(session, id)
    }

    /// The connection-specific headers HTTP/2 forbids in a message, and Content-Length, which the
    /// answer's own replaces.
    private static func connectionSpecific(_ name: String) -> Bool {
        // By length first: most names are none of these lengths.
        switch name.utf8.count {
        case 7: return name.caseInsensitiveEquals("upgrade")
        case 10: return name.caseInsensitiveEquals("connection") || name.caseInsensitiveEquals("keep-alive")
        case 14: return name.caseInsensitiveEquals("content-length")
        case 16: return name.caseInsensitiveEquals("proxy-connection")
        case 17: return name.caseInsensitiveEquals("transfer-encoding")
        default: return false
        }
    }

    /// A header name as HTTP/2 sends it; names already lower-case (most) are not copied.
    private static func lowercased(_ name: String) -> String {
        name.utf8.contains { $0 >= 65 && $0 <= 90 } ? name.lowercased() : name
    }

    // MARK: - libnghttp2 callbacks (C function pointers; user data is the connection, unretained)

    private static func connection(_ user: UnsafeMutableRawPointer?) -> HTTP2Connection {
        Unmanaged<HTTP2Connection>.fromOpaque(user!).takeUnretainedValue()
    }

    // Built once and only read after: libnghttp2 copies what it needs into each session.
    nonisolated(unsafe) private static let options: OpaquePointer? = {
        var options: OpaquePointer?
        nghttp2_option_new(&options)
        // Answers to SETTINGS and PING a peer may make the server queue (SETTINGS/PING floods).
        nghttp2_option_set_max_outbound_ack(options, 1_000)
        nghttp2_option_set_max_settings(options, 32)
        return options
    }()

    nonisolated(unsafe) private static let callbacks: OpaquePointer? = {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, user in
            guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
                frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
            else { return 0 }
            connection(user).streams[frame.pointee.hd.stream_id] = HTTP2Stream()
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _,
            frame,
            name,
            nameLength,
            value,
            valueLength,
            _,
            user in
            guard let frame, let name, let value,
                let stream = connection(user).streams[frame.pointee.hd.stream_id]
            else { return 0 }
            let limit = connection(user).loop.limits.maxHeaderBytes
            stream.headerBytes += nameLength + valueLength
            // Far past the limit is no client's mistake (an HPACK bomb: a few bytes on the wire
            // naming one large table entry again and again): the connection ends.
            if stream.headerBytes > 4 * limit { return Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
            if stream.headerBytes > limit {
                stream.headersTooLarge = true
                return 0
            }
            let nameBytes = UnsafeRawBufferPointer(start: name, count: nameLength)
            let valueBytes = UnsafeRawBufferPointer(start: value, count: valueLength)
            // Regular fields go into the request's field buffer as they are; only the few
            // pseudo-headers (`:`, never a regular name's first byte) become Strings here.
            guard nameLength > 0, name[0] == UInt8(ascii: ":") else {
                if !isUTF8(nameBytes) || !isUTF8(valueBytes) { stream.invalidUTF8 = true }
                stream.headers.append(name: nameBytes, value: valueBytes)
                return 0
            }
            let nameText = decodeText(nameBytes, invalid: &stream.invalidUTF8)
            let valueText = decodeText(valueBytes, invalid: &stream.invalidUTF8)
            switch nameText {
            case ":method":
                stream.method = valueText
                stream.isHead = valueText == "HEAD"
            case ":path": stream.target = valueText
            case ":authority": stream.authority = valueText
            case ":scheme": break
            default: stream.headers.append(HTTPField(name: nameText, value: valueText))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            guard let data, let stream = connection(user).streams[id] else { return 0 }
            if let call = stream.streaming {
                connection(user).enqueue(call.receive(Array(UnsafeBufferPointer(start: data, count: length))), on: id)
                return 0
            }
            if stream.bodyTooLarge || stream.body.count + length > connection(user).loop.limits.maxBodyBytes {
                stream.bodyTooLarge = true
                stream.body = []
            } else {
                stream.body.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { session, frame, user in
            guard let frame else { return 0 }
            let connection = connection(user)
            let type = frame.pointee.hd.type
            if type == UInt8(NGHTTP2_RST_STREAM.rawValue) {
                // Rapid reset (CVE-2023-44487): a peer opening and cancelling streams faster than
                // any client would ends its own connection.
                let now = monotonicMilliseconds()
                if now - connection.resetWindowStart >= 1_000 {
                    connection.resetWindowStart = now
                    connection.resetsInWindow = 0
                }
                connection.resetsInWindow += 1
                if connection.resetsInWindow > connection.loop.limits.maxResetsPerSecond {
                    nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
                }
                return 0
            }
            let id = frame.pointee.hd.stream_id
            guard type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue),
                let stream = connection.streams[id]
            else { return 0 }
            if type == UInt8(NGHTTP2_HEADERS.rawValue), frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                connection.startStreaming(stream, id: id)
            }
            guard frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 else { return 0 }
            stream.requestEnded = true
            if let call = stream.streaming {
                if let last = call.finish() {
                    stream.trailers =
                        last.trailers.isEmpty ? [HTTPField(name: "grpc-status", value: "0")] : last.trailers
                    stream.ended = true
                    connection.enqueue(last.bytes, on: id)
                }
                return 0
            }
            connection.finishedStreams.append(id)
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, _, user in
            connection(user).streams[id] = nil
            return 0
        }
        return callbacks
    }()

    /// The data source of every answer: the stream's body, then its trailers (if any) submitted
    /// as the DATA ends without END_STREAM.
    private static let readAnswer: nghttp2_data_source_read_callback = { session, id, buffer, length, flags, _, user in
        guard let buffer, let flags, let stream = connection(user).streams[id] else {
            return ssize_t(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, stream.answer.count - stream.sent)
        stream.answer.withUnsafeBytes { bytes in
            if count > 0 {
                buffer.update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + stream.sent, count: count)
            }
        }
        stream.sent += count
        if stream.sent == stream.answer.count && stream.streaming != nil && !stream.ended {
            // Nothing more yet: `enqueue(_:on:)` resumes the stream when the call has more.
            return count > 0 ? count : ssize_t(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        if stream.sent == stream.answer.count {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            if !stream.trailers.isEmpty {
                flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                let trailers = stream.trailers
                let submitted = withNameValues(trailers) { nva, count in nghttp2_submit_trailer(session, id, nva, count)
                }
                if submitted != 0 { return ssize_t(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
            }
        }
        return count
    }
}

/// UTF-8 bytes to a String; invalid sequences become U+FFFD and set `invalid`.

/// The `Date` header's value (IMF-fixdate), made once per second and shared by every loop.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var seconds = time_t(WallClock.nowMicros() / 1_000_000)
        if let cached = cache.withLock({ $0.second == seconds ? $0.text : nil }) { return cached }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        let text = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        cache.withLock { $0 = (seconds, text) }
        return text
    }
}

import CMicroHTTPD
import Dispatch
import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct HTTPServerError: Error, CustomStringConvertible {
    public var description: String
}

/// libmicrohttpd limits. The defaults suit a local mock polled by test suites; each one is
/// documented in docs/cli.md#robustness-limits.
public struct HTTPServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// Worker threads, each with its own poll loop. Default: one per core.
    public var threadCount: Int = max(1, OS.coreCount)
    /// Open connections at most; more are refused by the kernel backlog, not by a crash.
    public var connectionLimit: Int = 4096
    /// Seconds an idle (or slowly-sending) connection may stay open.
    public var connectionTimeoutSeconds: Int = 30
    /// Per-connection buffer for the request line and headers (and the answer's headers).
    /// libmicrohttpd 0.9.75 zeroes the whole buffer after every keep-alive request, so its size is
    /// paid on every request: measured 30 µs of CPU per request at 16 KiB, 46 at 64 KiB, 90 at
    /// 256 KiB. 32 KiB leaves room above the app's own JSON 414/431 limits (8/16 KiB); requests
    /// past the buffer get MHD's own 414/431 (right status, HTML body). Raise it (`serve
    /// --request-buffer-kib`) to get JSON errors for larger requests too.
    public var connectionMemoryLimit: Int = 32 * 1024
    /// Request bodies above this are not read; the handler sees `bodyTooLarge`.
    public var maxBodyBytes: Int = 4 * 1024 * 1024
    /// Serve HTTPS with libmicrohttpd's own TLS (GnuTLS) instead of plain HTTP.
    public var tls: TLSCredentials?
    /// Receives libmicrohttpd's own error log (why it closed a connection, refused a request, …),
    /// one line per message; nil leaves the log off.
    public var engineLog: (@Sendable (String) -> Void)?

    public init() {}
}

/// A PEM certificate (chain) and its PEM private key.
public struct TLSCredentials: Sendable {
    public var certificatePEM: String
    public var keyPEM: String
    /// GnuTLS priority string: TLS 1.2 and 1.3 with GnuTLS's NORMAL cipher suites.
    public var priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

    public init(certificatePEM: String, keyPEM: String) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }
}

/// Owns one libmicrohttpd daemon. The handler is a plain `HTTPRequest -> HTTPResponse` function;
/// this class does the C side: copying the request out, queuing the answer, and parking a
/// connection (MHD suspend/resume) for a delayed answer so no worker thread sleeps.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    /// Takes the request (it is not used after), so the handler may change it without a copy.
    let handler: @Sendable (consuming HTTPRequest) -> HTTPResponse
    /// Asked, over HTTP/2, as each request's headers arrive: a call it returns is answered while
    /// the request body still streams in (gRPC's streaming RPCs); nil leaves the request to `handler`.
    let streamingHandler: HTTPStreamingHandler?
    private let state = Mutex(DaemonState())

    public init(
        configuration: HTTPServerConfiguration,
        streamingHandler: HTTPStreamingHandler? = nil,
        handler: @escaping @Sendable (consuming HTTPRequest) -> HTTPResponse
    ) {
        self.configuration = configuration
        self.streamingHandler = streamingHandler
        self.handler = handler
    }

    deinit { stop() }

    /// The port actually bound (useful with port 0); 0 before `start`.
    public var port: Int { state.withLock { $0.port } }

    /// Binds and starts the worker threads. Returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        stopping.store(false, ordering: .relaxed)
        // poll(2), not epoll: with epoll and a pool of more than one thread, libmicrohttpd 0.9.75
        // now and then leaves a keep-alive request unanswered for good (7 in 384,000 requests over
        // 300 connections, bench/lost_requests.py; bare libmicrohttpd too, and never with poll or
        // with one epoll thread). poll costs the same per request at 64 to 1000 connections.
        var flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_POLL.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if address.isIPv6 { flags |= MHD_USE_IPv6.rawValue }
        if configuration.engineLog != nil { flags |= MHD_USE_ERROR_LOG.rawValue }
        // Our own listener decides per connection between HTTP/2 (the preface, or TLS with ALPN
        // `h2`) and libmicrohttpd, which gets only the connections handed to it (MHD_add_connection).
        flags |= MHD_USE_NO_LISTEN_SOCKET.rawValue | MHD_USE_ITC.rawValue
        let http2TLS = try configuration.tls.map { try HTTP2TLSContext($0) }
        // MHD reads the PEM strings while it starts; they stay alive until the call returns.
        let tls = configuration.tls.map {
            (
                key: Array($0.keyPEM.utf8CString), cert: Array($0.certificatePEM.utf8CString),
                priorities: Array($0.priorities.utf8CString)
            )
        }
        if tls != nil { flags |= MHD_USE_TLS.rawValue }
        let daemon: OpaquePointer? = {
            var options: [MHD_OptionItem] = [
                MHD_OptionItem(option: .THREAD_POOL_SIZE, value: configuration.threadCount, ptr_value: nil),
                MHD_OptionItem(option: .CONNECTION_LIMIT, value: configuration.connectionLimit, ptr_value: nil),
                MHD_OptionItem(
                    option: .CONNECTION_TIMEOUT,
                    value: configuration.connectionTimeoutSeconds,
                    ptr_value: nil
                ),
                MHD_OptionItem(
                    option: .CONNECTION_MEMORY_LIMIT,
                    value: configuration.connectionMemoryLimit,
                    ptr_value: nil
                ),
            ]
            // The daemon keeps an unretained pointer to self; `stop()` (also run by deinit)
            // stops the daemon before self can go away.
            let context = Unmanaged.passUnretained(self).toOpaque()
            func start() -> OpaquePointer? {
                options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))
                return options.withUnsafeBufferPointer {
                    session_mock_start_daemon(
                        UInt32(flags),
                        acceptPolicy,
                        accessHandler,
                        context,
                        requestCompleted,
                        $0.baseAddress
                    )
                }
            }
            guard let tls else { return start() }
            return tls.key.withUnsafeBufferPointer { key in
                tls.cert.withUnsafeBufferPointer { cert in
                    tls.priorities.withUnsafeBufferPointer { priorities in
                        options.append(
                            MHD_OptionItem(
                                option: .HTTPS_MEM_KEY,
                                value: 0,
                                ptr_value: UnsafeMutableRawPointer(mutating: key.baseAddress)
                            )
                        )
                        options.append(
                            MHD_OptionItem(
                                option: .HTTPS_MEM_CERT,
                                value: 0,
                                ptr_value: UnsafeMutableRawPointer(mutating: cert.baseAddress)
                            )
                        )
                        options.append(
                            MHD_OptionItem(
                                option: .HTTPS_PRIORITIES,
                                value: 0,
                                ptr_value: UnsafeMutableRawPointer(mutating: priorities.baseAddress)
                            )
                        )
                        return start()
                    }
                }
            }
        }()
        guard let daemon else {
            if configuration.tls != nil {
                throw HTTPServerError(
                    description:
                        "cannot serve HTTPS on \(configuration.host):\(configuration.port): libmicrohttpd refused the TLS certificate, key or priorities (\(String(cString: strerror(errno))))"
                )
            }
            throw HTTPServerError(description: "cannot start libmicrohttpd (\(String(cString: strerror(errno))))")
        }
        let http2 = HTTP2Engine(
            threadCount: configuration.threadCount,
            limits: HTTP2Limits(
                maxConnections: configuration.connectionLimit,
                maxBodyBytes: configuration.maxBodyBytes,
                maxHeaderBytes: configuration.connectionMemoryLimit,
                idleTimeoutSeconds: configuration.connectionTimeoutSeconds
            ),
            tls: http2TLS,
            streamingHandler: streamingHandler,
            handler: handler
        )
        let handle = DaemonHandle(pointer: daemon)
        let listener: SniffingListener
        do {
            listener = try SniffingListener(
                address: address,
                tls: http2TLS != nil,
                undecidedTimeoutSeconds: configuration.connectionTimeoutSeconds,
                maxUndecided: configuration.connectionLimit
            ) { socket, peer, destination in
                switch destination {
                case .http2: http2.add(socket)
                case .http1:
                    // libmicrohttpd owns the socket from here, and closes it if it cannot take it.
                    _ = peer.withSockaddr { MHD_add_connection(handle.pointer, socket, $0, $1) }
                }
            }
        } catch {
            http2.stop()
            MHD_stop_daemon(daemon)
            throw error
        }
        state.withLock {
            $0.daemon = handle
            $0.port = listener.port
            $0.listener = listener
            $0.http2 = http2
        }
        return listener.port
    }

    /// Graceful stop: refuse new connections, answer parked (delayed) connections at once, let
    /// requests in flight finish (up to `drainSeconds`), then close everything. Idle keep-alive
    /// connections are not waited for.
    public func stop(drainSeconds: Double = 1.5) {
        let (daemon, parked, listener, http2) = state.withLock {
            state -> (DaemonHandle?, [ConnectionHandle], SniffingListener?, HTTP2Engine?) in
            let daemon = state.daemon
            state.daemon = nil
            let parked = Array(state.parked.values)
            state.parked.removeAll()
            defer {
                state.listener = nil
                state.http2 = nil
            }
            return (daemon, parked, state.listener, state.http2)
        }
        guard let daemon else { return }
        listener?.stop()
        http2?.stop()
        // Not MHD_quiesce_daemon: in 0.9.75 it races epoll worker threads over removing the
        // listening socket from their epoll sets and MHD aborts the process (an open MHD defect).
        // The accept policy, which works in every polling mode, closes every connection accepted
        // from here on instead.
        stopping.store(true, ordering: .releasing)
        for connection in parked { MHD_resume_connection(connection.pointer) }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(drainSeconds * 1e9)
        while inFlight.load(ordering: .acquiring) > 0 && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(2_000)
        }
        MHD_stop_daemon(daemon.pointer)
    }

    /// Connections whose answer waits for its delay (a test waits on this instead of a clock).
    public var parkedConnectionCount: Int { state.withLock { $0.parked.count + ($0.http2?.delayedCount ?? 0) } }

    /// Set by `stop`; from then on the accept policy refuses connections.
    fileprivate let stopping = Atomic<Bool>(false)

    /// Requests between their first access-handler call and MHD's completion callback.
    fileprivate let inFlight = Atomic<Int>(0)

    // MARK: - Called from the C callbacks

    fileprivate func park(_ connection: OpaquePointer, context: RequestContext, milliseconds: Int) {
        let key = ObjectIdentifier(context)
        let parked = state.withLock { state -> Bool in
            guard state.daemon != nil else { return false }
            state.parked[key] = ConnectionHandle(pointer: connection)
            return true
        }
        guard parked else { return }
        MHD_suspend_connection(connection)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [self] in
            // Resume only if stop() has not done so already.
            let handle = state.withLock { $0.parked.removeValue(forKey: key) }
            if let handle { MHD_resume_connection(handle.pointer) }
        }
    }
}

private struct DaemonState: ~Copyable {
    var daemon: DaemonHandle?
    var port = 0
    var parked: [ObjectIdentifier: ConnectionHandle] = [:]
    var listener: SniffingListener?
    var http2: HTTP2Engine?
}

/// MHD handles are opaque C pointers; MHD itself makes them safe to use from any thread for the
/// calls we make (stop, suspend, resume), so they may cross isolation boundaries.
private struct DaemonHandle: @unchecked Sendable { let pointer: OpaquePointer }
private struct ConnectionHandle: @unchecked Sendable { let pointer: OpaquePointer }

/// Per-request state MHD keeps for us between calls of the access handler; only requests with a
/// body or a delay need one.
private final class RequestContext {
    var body: [UInt8] = []
    var bodyTooLarge = false
    /// An answer waiting for its delay to run out.
    var pending: HTTPResponse?
}

/// MHD's per-request context pointer after the first call of a request that has no
/// `RequestContext` (yet): it only says "headers seen, counted in `inFlight`". Never dereferenced.
private var headersSeen: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

// MARK: - C callbacks (the only unsafe pointer code in the project)

private let acceptPolicy: MHD_AcceptPolicyCallback = { cls, _, _ in
    guard let cls else { return .NO }
    return Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().stopping.load(ordering: .acquiring) ? .NO : .YES
}

private let accessHandler: MHD_AccessHandlerCallback = {
    cls,
    connection,
    url,
    method,
    _,
    uploadData,
    uploadDataSize,
    requestContext in
    guard let cls, let connection, let requestContext, let uploadDataSize else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()

    // First call: headers are in, body (if any) is not. Only mark the request as seen: answering
    // now would make MHD 0.9.75 close keep-alive connections ("queued early").
    guard let raw = requestContext.pointee else {
        requestContext.pointee = headersSeen
        server.inFlight.add(1, ordering: .relaxed)
        return .YES
    }
    // Allocated on demand, so the common GET without body or delay costs no object.
    func context() -> RequestContext {
        if let raw = requestContext.pointee, raw != headersSeen {
            return Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()
        }
        let created = RequestContext()
        requestContext.pointee = Unmanaged.passRetained(created).toOpaque()
        return created
    }
    let existing = raw == headersSeen ? nil : Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()

    if let existing, let pending = existing.pending {  // resumed after a delay
        existing.pending = nil
        return queue(pending, on: connection)
    }
    if uploadDataSize.pointee > 0 {
        let count = uploadDataSize.pointee
        let context = context()
        if context.body.count + count > server.configuration.maxBodyBytes {
            context.bodyTooLarge = true
        } else if let uploadData {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: count) {
                context.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
            }
        }
        uploadDataSize.pointee = 0
        return .YES
    }

    var request = copyRequest(connection, url: url, method: method)
    if let existing {
        request.body = existing.body
        existing.body = []
        request.bodyTooLarge = existing.bodyTooLarge
    }
    var response = server.handler(request)
    let delay = response.delayMilliseconds
    if delay > 0 {
        response.delayMilliseconds = 0
        let context = context()
        context.pending = response
        server.park(connection, context: context, milliseconds: delay)
        return .YES
    }
    return queue(response, on: connection)
}

/// MHD's error log, formatted by the C shim; `cls` is the server.
@_cdecl("session_mock_engine_log")
func engineLog(_ cls: UnsafeMutableRawPointer?, _ line: UnsafePointer<CChar>?) {
    guard let cls, let line else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    var text = String(cString: line)
    while text.last == "\n" { text.removeLast() }
    server.configuration.engineLog?(text)
}

private let requestCompleted: MHD_RequestCompletedCallback = { cls, _, requestContext, _ in
    guard let cls, let requestContext, let raw = requestContext.pointee else { return }
    if raw != headersSeen { Unmanaged<RequestContext>.fromOpaque(raw).release() }
    requestContext.pointee = nil
    Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().inFlight.subtract(1, ordering: .releasing)
}

/// Copies method, path, query and headers out of MHD (the body comes separately).
private func copyRequest(
    _ connection: OpaquePointer,
    url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?
) -> HTTPRequest {
    var invalidUTF8 = false
    let path =
        url.map { decodeText(UnsafeRawBufferPointer(start: $0, count: strlen($0)), invalid: &invalidUTF8) } ?? "/"
    let query = fields(of: connection, kind: .GET_ARGUMENT_KIND, invalidUTF8: &invalidUTF8)
    let headers = fields(of: connection, kind: .HEADER_KIND, invalidUTF8: &invalidUTF8)
    return HTTPRequest(
        method: method.map(methodText) ?? "GET",
        path: path,
        query: query,
        headers: headers,
        invalidUTF8: invalidUTF8
    )
}

/// GET and POST (nearly every request) as String literals, which cost no copy.
private func methodText(_ method: UnsafePointer<CChar>) -> String {
    let bytes = UnsafeRawPointer(method).assumingMemoryBound(to: UInt8.self)
    // Stops at the first difference, so never reads past the method's NUL.
    func `is`(_ literal: StaticString) -> Bool {
        for index in 0..<literal.utf8CodeUnitCount where bytes[index] != literal.utf8Start[index] { return false }
        return bytes[literal.utf8CodeUnitCount] == 0
    }
    if `is`("GET") { return "GET" }
    if `is`("POST") { return "POST" }
    return String(cString: method)
}

/// Copies every key/value of one kind (headers or query arguments) out of MHD into one buffer,
/// through a stack buffer in one pass when they fit it (nearly always), else measured first. Uses
/// the `_n` variant so values holding NUL bytes are not cut; bytes that are not UTF-8 are kept and
/// reported.
private func fields(of connection: OpaquePointer, kind: MHD_ValueKind, invalidUTF8: inout Bool) -> HTTPFields {
    // Without an iterator MHD only counts: most requests have no query, and that costs no visit.
    guard MHD_get_connection_values_n(connection, kind, nil, nil) > 0 else { return HTTPFields() }
    // 1 KB: the most the standard library puts on the stack without asking the system how deep
    // the stack is (a larger request costs more than the copy saves).
    return withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 8) { stack in
        var copy = FieldCopy(writer: HTTPFields.Writer(buffer: stack, offset: 0))
        visitFields(of: connection, kind: kind, &copy)
        if copy.invalidUTF8 { invalidUTF8 = true }
        if copy.count == 0 { return HTTPFields() }
        if !copy.overflowed {
            return HTTPFields(
                count: copy.count,
                textByteCount: copy.textBytes,
                written: UnsafeRawBufferPointer(rebasing: stack[..<copy.writer.offset])
            )
        }
        return HTTPFields(count: copy.count, textByteCount: copy.textBytes) { writer in
            var sized = FieldCopy(writer: writer)
            visitFields(of: connection, kind: kind, &sized)
            writer = sized.writer
        }
    }
}

/// Runs `copy` over MHD's list of one kind of field.
private func visitFields(of connection: OpaquePointer, kind: MHD_ValueKind, _ copy: inout FieldCopy) {
    withUnsafeMutablePointer(to: &copy) { pointer in
        _ = MHD_get_connection_values_n(
            connection,
            kind,
            { cls, _, key, keySize, value, valueSize in
                guard let cls, let key else { return .YES }
                cls.assumingMemoryBound(to: FieldCopy.self).pointee.add(
                    name: UnsafeRawBufferPointer(start: key, count: keySize),
                    value: UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : valueSize)
                )
                return .YES
            },
            pointer
        )
    }
}

/// Fields counted and written while MHD visits them; past the writer's room only counted.
private struct FieldCopy {
    var writer: HTTPFields.Writer
    var count = 0
    var textBytes = 0
    var overflowed = false
    var invalidUTF8 = false

    mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        count += 1
        textBytes += name.count + value.count
        if !isUTF8(name) || !isUTF8(value) { invalidUTF8 = true }
        if overflowed || !writer.fits(name: name, value: value) {
            overflowed = true
        } else {
            writer.write(name: name, value: value)
        }
    }
}

/// The bytes are UTF-8 (ASCII, nearly always, is checked eight bytes at a time).
func isUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    isASCII(bytes) || String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self) != nil
}

/// UTF-8 bytes to a String; invalid sequences become U+FFFD and set `invalid`.
func decodeText(_ bytes: UnsafeRawBufferPointer, invalid: inout Bool) -> String {
    let typed = bytes.bindMemory(to: UInt8.self)
    // Almost every path, query and header is ASCII, which is valid UTF-8: skip the generic
    // validating initializer (it looks up type metadata on every call).
    if isASCII(bytes) { return String(decoding: typed, as: UTF8.self) }
    if let text = String(validating: typed, as: UTF8.self) { return text }
    invalid = true
    return String(decoding: typed, as: UTF8.self)
}

/// No byte has its high bit set; eight bytes at a time.
func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var index = 0
    var high: UInt64 = 0
    while index + 8 <= bytes.count {
        high |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        index += 8
    }
    while index < bytes.count {
        high |= UInt64(bytes[index])
        index += 1
    }
    return high & 0x8080_8080_8080_8080 == 0
}

/// Hands one answer to MHD, or refuses the request so MHD closes the connection without a reply.
private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    if response.dropsConnection { return .NO }
    if let prepared = response.prepared, let engine = prepared.engineResponse() {
        return MHD_queue_response(connection, UInt32(response.status), engine)
    }
    guard let mhdResponse = makeResponse(headers: response.headers, body: response.body) else { return .NO }
    let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    MHD_destroy_response(mhdResponse)  // the connection holds its own reference
    return result
}

/// Builds an MHD response with its own copy of the body.
private func makeResponse(headers: [HTTPField], body: [UInt8]) -> OpaquePointer? {
    let mhdResponse = body.withUnsafeBytes { bytes in
        MHD_create_response_from_buffer(
            bytes.count,
            UnsafeMutableRawPointer(mutating: bytes.baseAddress),
            .RESPMEM_MUST_COPY
        )
    }
    return mhdResponse.map { adding(headers, to: $0) }
}

/// Builds an MHD response that sends from `owner`'s bytes and keeps `owner` alive until MHD frees it.
private func makeResponse(headers: [HTTPField], sendingFrom owner: PreparedResponse.Body) -> OpaquePointer? {
    // A native array that is never mutated keeps its storage where it is for as long as it
    // lives, and the retained owner keeps it alive: the address stays valid past the closure.
    let retained = Unmanaged.passRetained(owner).toOpaque()
    let mhdResponse = owner.bytes.withUnsafeBytes { bytes in
        MHD_create_response_from_buffer_with_free_callback_cls(
            bytes.count,
            UnsafeMutableRawPointer(mutating: bytes.baseAddress),
            { cls in if let cls { Unmanaged<PreparedResponse.Body>.fromOpaque(cls).release() } },
            retained
        )
    }
    guard let mhdResponse else {
        Unmanaged<PreparedResponse.Body>.fromOpaque(retained).release()
        return nil
    }
    return adding(headers, to: mhdResponse)
}

/// `mhdResponse` with `headers` added (MHD copies the strings).
private func adding(_ headers: [HTTPField], to mhdResponse: OpaquePointer) -> OpaquePointer {
    for field in headers {
        withStackCString(field.name) { name in
            withStackCString(field.value) { value in _ = MHD_add_response_header(mhdResponse, name, value) }
        }
    }
    return mhdResponse
}

/// Headers and a body that many requests are answered with (a stored record's answer, say): the
/// MHD response is built on the first send and then queued as it is on every connection that
/// gets this answer (MHD counts its users; Date and Content-Length are written per send).
/// Whoever holds this object holds the MHD response; a change of the answer is a new object.
// Unchecked only because OpaquePointer is not Sendable: the pointer is only read and set through
// the atomic, and MHD counts a response's users under the response's own lock, so one response
// may be queued from any worker thread.
public final class PreparedResponse: @unchecked Sendable {
    public let headers: [HTTPField]
    private let storage: Body
    /// Holds one MHD reference once built; `deinit` gives it back (connections keep their own).
    private let engine = Atomic<OpaquePointer?>(nil)

    public var body: [UInt8] { storage.bytes }

    public init(headers: [HTTPField], body: [UInt8]) {
        self.headers = headers
        storage = Body(body)
    }

    /// The body's bytes, kept alive by MHD's response as long as a connection may send them.
    final class Body: Sendable {
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// The MHD response, built on first use; two threads racing both build one and one is kept.
    fileprivate func engineResponse() -> OpaquePointer? {
        if let built = engine.load(ordering: .acquiring) { return built }
        guard let made = makeResponse(headers: headers, sendingFrom: storage) else { return nil }
        let (exchanged, current) = engine.compareExchange(
            expected: nil,
            desired: made,
            ordering: .acquiringAndReleasing
        )
        if exchanged { return made }
        MHD_destroy_response(made)
        return current
    }

    deinit {
        if let built = engine.load(ordering: .acquiring) { MHD_destroy_response(built) }
    }
}

/// `text` as a NUL-terminated C string in a stack buffer, for MHD (which copies it). Swift's own
/// String-to-pointer conversion allocates a heap array for every small (<= 15 bytes) string.
private func withStackCString<R>(_ text: String, _ body: (UnsafePointer<CChar>) -> R) -> R {
    var text = text
    return text.withUTF8 { bytes in
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(bytes))
            buffer[bytes.count] = 0
            return body(buffer.baseAddress!)
        }
    }
}

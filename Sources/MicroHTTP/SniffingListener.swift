import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's one listening socket. Each accepted connection is kept until its first bytes tell
/// which protocol it speaks. Plain: the HTTP/2 client preface ("prior knowledge", as gRPC clients
/// send it) goes to the HTTP/2 engine, anything else to libmicrohttpd. TLS: a ClientHello that
/// offers ALPN `h2` goes to the HTTP/2 engine (which does the TLS itself), anything else to
/// libmicrohttpd (which does its TLS as without HTTP/2).
///
/// The bytes are peeked (`MSG_PEEK`), never read, so the engine that takes the connection sees
/// them again. Undecided connections wait in a poll set, not in a blocking read: a client that
/// sends a few bytes and stops delays nobody and is closed after `undecidedTimeoutSeconds`.
final class SniffingListener: Sendable {
    /// What a connection is handed to, with the address `accept` gave.
    enum Destination {
        case http1
        case http2
    }

    /// The HTTP/2 client connection preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let listenSocket: Int32
    private let wake = WakePipe()
    private let undecidedTimeoutSeconds: Int
    private let tls: Bool
    private let maxUndecided: Int
    private let handOff: @Sendable (Int32, SocketPeer, Destination) -> Void
    private let finished = Mutex<Bool>(false)
    let port: Int

    /// Binds and listens; `handOff` runs on the listener's thread and takes ownership of the socket.
    init(
        address: SocketAddress,
        tls: Bool,
        undecidedTimeoutSeconds: Int,
        maxUndecided: Int,
        handOff: @escaping @Sendable (Int32, SocketPeer, Destination) -> Void
    ) throws {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let listenSocket = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listenSocket >= 0 else { throw HTTPServerError(description: "cannot open a socket (\(errnoText))") }
        var on: Int32 = 1
        setsockopt(listenSocket, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockaddr { bind(listenSocket, $0, address.length) }
        guard bound == 0, listen(listenSocket, 1024) == 0 else {
            let reason = errnoText
            close(listenSocket)
            throw HTTPServerError(description: "cannot listen on \(address.description) (\(reason))")
        }
        _ = fcntl(listenSocket, F_SETFL, fcntl(listenSocket, F_GETFL) | O_NONBLOCK)
        var local = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenSocket, $0, &length) }
        }
        port = SocketPeer(storage: local, length: length).port
        self.listenSocket = listenSocket
        self.undecidedTimeoutSeconds = undecidedTimeoutSeconds
        self.tls = tls
        self.maxUndecided = maxUndecided
        self.handOff = handOff
        startThread { [self] in run() }
    }

    /// Stops accepting and closes connections still undecided; returns once the thread is done.
    func stop() {
        wake.signal()
        while !finished.withLock({ $0 }) { usleep(1_000) }
        close(listenSocket)
        wake.close()
    }

    private struct Undecided {
        var socket: Int32
        var peer: SocketPeer
        var deadline: UInt64
    }

    private func run() {
        var undecided: [Undecided] = []
        // TLS: a whole first record (a ClientHello fits in one; records are at most 16 KiB).
        var buffer = [UInt8](repeating: 0, count: tls ? 5 + 16 * 1024 + 256 : Self.preface.count)
        defer {
            for connection in undecided { close(connection.socket) }
            finished.withLock { $0 = true }
        }
        while true {
            var fds = [
                pollfd(fd: listenSocket, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0),
            ]
            for connection in undecided { fds.append(pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)) }
            let now = monotonicMilliseconds()
            let timeout =
                undecided.map { Int32(clamping: Int64($0.deadline) - Int64(now)) }.min().map { max(0, $0) } ?? -1
            if poll(&fds, nfds_t(fds.count), timeout) < 0 && errno != EINTR { return }
            if fds[1].revents != 0 { return }
            // Decide the waiting ones first: their slots in `fds` follow the two fixed ones.
            let checkedAt = monotonicMilliseconds()
            var still: [Undecided] = []
            for (index, connection) in undecided.enumerated() {
                let ready = fds[index + 2].revents != 0
                if ready, let destination = sniff(connection.socket, into: &buffer) {
                    switch destination {
                    case .decided(let destination): handOff(connection.socket, connection.peer, destination)
                    case .closed: close(connection.socket)
                    }
                } else if checkedAt >= connection.deadline {
                    close(connection.socket)
                } else {
                    still.append(connection)
                }
            }
            undecided = still
            guard fds[0].revents != 0 else { continue }
            while true {
                var storage = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let accepted = withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        accept(listenSocket, $0, &length)
                    }
                }
                guard accepted >= 0 else { break }
                _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
                _ = fcntl(accepted, F_SETFL, fcntl(accepted, F_GETFL) | O_NONBLOCK)
                var on: Int32 = 1
                setsockopt(accepted, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                let peer = SocketPeer(storage: storage, length: length)
                // Most clients have written their first bytes by the time the accept runs.
                switch sniff(accepted, into: &buffer) {
                case .decided(let destination)?: handOff(accepted, peer, destination)
                case .closed?: close(accepted)
                case nil where undecided.count >= maxUndecided:
                    // Silent connections count against the connection limit too: past it, the newest is closed.
                    close(accepted)
                case nil:
                    undecided.append(
                        Undecided(
                            socket: accepted,
                            peer: peer,
                            deadline: monotonicMilliseconds() + UInt64(undecidedTimeoutSeconds) * 1000
                        )
                    )
                }
            }
        }
    }

    private enum Sniffed {
        case decided(Destination)
        case closed
    }

    /// The protocol of a connection from the bytes it has sent so far, or nil while they are a
    /// proper prefix of the preface (more must come before it is known).
    private func sniff(_ socket: Int32, into buffer: inout [UInt8]) -> Sniffed? {
        let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_PEEK)) }
        if count == 0 { return .closed }
        if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? nil : .closed }
        if tls {
            guard buffer[0] == 22 else { return .decided(.http1) }  // not a TLS handshake: libmicrohttpd refuses it
            return HTTP2TLSContext.offersHTTP2(Array(buffer[0..<count])).map { .decided($0 ? .http2 : .http1) }
        }
        for index in 0..<count where buffer[index] != Self.preface[index] { return .decided(.http1) }
        return count == Self.preface.count ? .decided(.http2) : nil
    }
}

/// A connected peer's address as `accept` filled it in.
struct SocketPeer: @unchecked Sendable {
    var storage: sockaddr_storage
    var length: socklen_t

    var port: Int {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            if storage.ss_family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var copy = storage
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// A pipe that wakes a thread out of poll(2): its read end is in the poll set.
struct WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &bytes, bytes.count) > 0 {}
    }

    func close() {
        _ = Glibc.close(readEnd)
        _ = Glibc.close(writeEnd)
    }
}

var errnoText: String { String(cString: strerror(errno)) }

func monotonicMilliseconds() -> UInt64 { WallClock.monotonicNanos() / 1_000_000 }

/// Runs `body` on a new detached thread (an event loop for the server's lifetime).
func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(
        &thread,
        nil,
        { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        },
        box
    )
    precondition(created == 0, "cannot start a thread")
    pthread_detach(thread)
}

import CPlatform

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few libc calls the rest of session-mock needs (reading a file, listing a folder, writing
/// to a file descriptor, a plain-socket GET, the core count, handing freed heap back). The ones
/// that take raw buffers keep their pointer code here; callers get arrays and strings.
public enum OS {
    public static var coreCount: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Hands freed heap back to the system (glibc keeps it for reuse otherwise), e.g. after a
    /// large seed was read and its intermediate structures dropped.
    public static func releaseFreedMemory() { session_mock_release_free_memory() }

    /// A whole file's bytes, read straight into the array (no intermediate copy: seed files can
    /// be 100 MB). nil when it cannot be opened or read, or is a folder.
    public static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { return nil }
        let expected = max(Int(info.st_size), 0)
        var failed = false
        // Fills the array's own storage; `initializedCount` is exactly what read() wrote.
        var bytes = [UInt8](unsafeUninitializedCapacity: expected) { buffer, initializedCount in
            initializedCount = 0
            while initializedCount < expected {
                let count = read(fd, buffer.baseAddress! + initializedCount, expected - initializedCount)
                if count > 0 {
                    initializedCount += count
                } else if count == 0 {
                    return
                } else if errno != EINTR {
                    failed = true
                    return
                }
            }
        }
        guard !failed else { return nil }
        // The file may have grown since fstat: read on to the end.
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += chunk[..<count]
            } else if count == 0 {
                return bytes
            } else if errno != EINTR {
                return nil
            }
        }
    }

    /// The names in a folder without `.` and `..`, or the `errno` of the failure.
    public static func directoryEntries(_ path: String) -> Result<[String], OSError> {
        guard let directory = opendir(path) else { return .failure(OSError(code: errno)) }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { return .failure(OSError(code: errno)) }
                return .success(names)
            }
            // d_name is a fixed-size C array holding a NUL-terminated name.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Writes all of `bytes` to a file descriptor (Glibc's `stdout` global is not
    /// concurrency-safe, so output goes straight to fds 1 and 2).
    public static func write(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #else
                let written = Darwin.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #endif
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Creates `path` (and missing parents) with mode 0755; an existing folder is fine.
    /// Runs `path` with `arguments`, waits, and gives its exit status (nil when it could not start).
    public static func run(_ path: String, _ arguments: [String]) -> Int32? {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil
    }

    /// Whether `path` exists.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func makeDirectory(_ path: String) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw FileError(path: prefix, code: errno) }
            prefix += "/"
        }
    }

    /// Writes `bytes` to `path`, replacing it, with `mode` (applied even when the file existed,
    /// so a key never keeps wider permissions from before).
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(FileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: path, code: errno) }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw FileError(path: path, code: errno) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #else
                Darwin.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #endif
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw FileError(path: path, code: errno) }
            offset += written
        }
    }

    /// One HTTP/1.1 GET over a plain socket (`Connection: close`); the raw answer, or nil when
    /// nothing answers within the timeout. For health checks in images without curl.
    /// With `tls`, over TLS without checking the certificate: a health check asks whether the
    /// server answers, not who it is (clients are the ones that verify).
    public static func httpGet(
        host: String,
        port: Int,
        path: String,
        timeoutSeconds: Double,
        tls: Bool = false
    ) -> [UInt8]? {
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        return exchange(host: host, port: port, send: Array(request.utf8), timeoutSeconds: timeoutSeconds, tls: tls)
    }

    /// Connects, sends `bytes`, and reads until the peer closes: everything it sent back (empty
    /// when it closed without a word), or nil when it could not connect or send, or went quiet
    /// for longer than the timeout.
    public static func exchange(
        host: String,
        port: Int,
        send bytes: [UInt8],
        timeoutSeconds: Double,
        tls: Bool = false
    ) -> [UInt8]? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let info else { return nil }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(
            tv_sec: Int(timeoutSeconds),
            tv_usec: Int((timeoutSeconds - Double(Int(timeoutSeconds))) * 1_000_000)
        )
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return nil }
        if tls { return TLSClient.exchange(fd: fd, serverName: host, send: bytes) }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Self.send(fd, $0.baseAddress, $0.count) }
            guard sent > 0 else { return nil }
            offset += sent
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var received: [UInt8] = []
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return received }
            // A reset after a dropped request reads as the end too; a timeout is no answer.
            if count < 0 { return errno == ECONNRESET ? received : nil }
            received += buffer[..<count]
        }
    }

    private static func send(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.send(fd, pointer, count, Int32(MSG_NOSIGNAL))
        #else
        return Darwin.send(fd, pointer, count, 0)
        #endif
    }
}

/// A file operation on `path` failed with `code` (errno).
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var code: Int32
    public var description: String { "\(path): \(String(cString: strerror(code)))" }
}

/// An `errno` from a failed system call.
public struct OSError: Error, Sendable, Equatable {
    public var code: Int32
    public init(code: Int32) { self.code = code }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The address to bind, resolved once before the daemon starts (MHD_OPTION_SOCK_ADDR).
struct SocketAddress {
    private enum Storage {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }
    private let storage: Storage

    var isIPv6: Bool {
        if case .v6 = storage { return true }
        return false
    }

    var length: socklen_t {
        socklen_t(isIPv6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    let description: String

    init(host: String, port: Int) throws {
        guard (0...65535).contains(port) else {
            throw HTTPServerError(description: "port \(port) is out of range 0-65535")
        }
        description = "\(host):\(port)"
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = in_port_t(UInt16(port).bigEndian)
        if inet_pton(AF_INET, name == "localhost" ? "127.0.0.1" : name, &v4.sin_addr) == 1 {
            storage = .v4(v4)
            return
        }
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = in_port_t(UInt16(port).bigEndian)
        if inet_pton(AF_INET6, name, &v6.sin6_addr) == 1 {
            storage = .v6(v6)
            return
        }
        // A host name: take its first IPv4 address.
        var hints = addrinfo()
        hints.ai_family = AF_INET
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &found) == 0, let found, let address = found.pointee.ai_addr else {
            throw HTTPServerError(description: "cannot resolve host '\(host)'")
        }
        defer { freeaddrinfo(found) }
        v4.sin_addr = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
        storage = .v4(v4)
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        switch storage {
        case .v4(var address):
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        case .v6(var address):
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        }
    }
}

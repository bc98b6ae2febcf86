import CGnuTLS

/// A GnuTLS client session over a connected socket, for the health probe only: it does not
/// verify the server's certificate (see `OS.httpGet`).
enum TLSClient {
    /// Handshakes, sends `bytes`, and reads until the server closes; nil on any TLS failure.
    static func exchange(fd: Int32, serverName: String, send bytes: [UInt8]) -> [UInt8]? {
        var session: gnutls_session_t?
        guard gnutls_init(&session, UInt32(GNUTLS_CLIENT)) >= 0, let session else { return nil }
        defer { gnutls_deinit(session) }
        var credentials: gnutls_certificate_credentials_t?
        guard gnutls_certificate_allocate_credentials(&credentials) >= 0 else { return nil }
        defer { gnutls_certificate_free_credentials(credentials) }
        guard gnutls_set_default_priority(session) >= 0,
            gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, UnsafeMutableRawPointer(credentials)) >= 0
        else { return nil }
        let name = Array(serverName.utf8)
        _ = name.withUnsafeBytes { gnutls_server_name_set(session, GNUTLS_NAME_DNS, $0.baseAddress, $0.count) }
        gnutls_transport_set_int2(session, fd, fd)
        var status: Int32
        repeat { status = gnutls_handshake(session) } while status < 0 && gnutls_error_is_fatal(status) == 0
        guard status >= 0 else { return nil }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { gnutls_record_send(session, $0.baseAddress, $0.count) }
            if sent == Int(GNUTLS_E_AGAIN) || sent == Int(GNUTLS_E_INTERRUPTED) { continue }
            guard sent > 0 else { return nil }
            offset += sent
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var received: [UInt8] = []
        while true {
            let count = gnutls_record_recv(session, &buffer, buffer.count)
            if count == Int(GNUTLS_E_AGAIN) || count == Int(GNUTLS_E_INTERRUPTED) { continue }
            // A close without close_notify still ends the answer.
            if count == 0 || count == Int(GNUTLS_E_PREMATURE_TERMINATION) { return received }
            guard count > 0 else { return received.isEmpty ? nil : received }
            received += buffer[..<count]
        }
    }
}

import CGnuTLS

/// TLS for the HTTP/2 side, with GnuTLS (the library libmicrohttpd's TLS uses too): the server's
/// credentials once, a session per connection that offered ALPN `h2`.
final class HTTP2TLSContext: @unchecked Sendable {
    // Unchecked: GnuTLS credentials and priorities are read-only once made and may be shared by
    // sessions on any thread.
    private let credentials: gnutls_certificate_credentials_t
    private let priorities: gnutls_priority_t

    init(_ tls: TLSCredentials) throws {
        var credentials: gnutls_certificate_credentials_t?
        guard gnutls_certificate_allocate_credentials(&credentials) >= 0, let credentials else {
            throw HTTPServerError(description: "GnuTLS cannot allocate credentials")
        }
        var certificate = Array(tls.certificatePEM.utf8)
        var key = Array(tls.keyPEM.utf8)
        let loaded = certificate.withUnsafeMutableBytes { cert in
            key.withUnsafeMutableBytes { key in
                var certDatum = gnutls_datum_t(
                    data: cert.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    size: UInt32(cert.count)
                )
                var keyDatum = gnutls_datum_t(
                    data: key.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    size: UInt32(key.count)
                )
                return gnutls_certificate_set_x509_key_mem(credentials, &certDatum, &keyDatum, GNUTLS_X509_FMT_PEM)
            }
        }
        var priorities: gnutls_priority_t?
        guard loaded >= 0, gnutls_priority_init(&priorities, tls.priorities, nil) >= 0, let priorities else {
            gnutls_certificate_free_credentials(credentials)
            throw HTTPServerError(description: "GnuTLS refused the TLS certificate, key or priorities")
        }
        self.credentials = credentials
        self.priorities = priorities
    }

    deinit {
        gnutls_priority_deinit(priorities)
        gnutls_certificate_free_credentials(credentials)
    }

    /// A non-blocking server session on `socket` that selects `h2` by ALPN.
    func session(socket: Int32) -> HTTP2TLSSession? {
        var session: gnutls_session_t?
        guard gnutls_init(&session, UInt32(GNUTLS_SERVER) | UInt32(GNUTLS_NONBLOCK)) >= 0, let session else {
            return nil
        }
        var h2: [UInt8] = Array("h2".utf8)
        let configured = h2.withUnsafeMutableBufferPointer { bytes in
            var protocols = gnutls_datum_t(data: bytes.baseAddress, size: UInt32(bytes.count))
            return gnutls_priority_set(session, priorities) >= 0
                && gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, UnsafeMutableRawPointer(credentials)) >= 0
                && gnutls_alpn_set_protocols(session, &protocols, 1, UInt32(GNUTLS_ALPN_MANDATORY.rawValue)) >= 0
        }
        guard configured else {
            gnutls_deinit(session)
            return nil
        }
        gnutls_transport_set_int2(session, socket, socket)
        return HTTP2TLSSession(session)
    }

    /// Whether a peeked TLS record holding a whole ClientHello offers ALPN `h2`. GnuTLS reads
    /// the ClientHello's extensions (`gnutls_ext_raw_parse`); only the ALPN list itself is read
    /// here. nil while the record is not complete yet.
    static func offersHTTP2(_ record: [UInt8]) -> Bool? {
        // Record header: type 22 (handshake), version, 2-byte length; then handshake type 1
        // (ClientHello) and a 3-byte length.
        guard record.count >= 9 else { return nil }
        let recordLength = Int(record[3]) << 8 | Int(record[4])
        guard record.count >= 5 + recordLength else { return nil }
        let helloLength = Int(record[6]) << 16 | Int(record[7]) << 8 | Int(record[8])
        // A ClientHello spread over several records is not looked into: HTTP/1.1 then.
        guard record[0] == 22, record[5] == 1, helloLength <= recordLength - 4 else { return false }
        var found = false
        var hello = Array(record[9..<(9 + helloLength)])
        let parsed = hello.withUnsafeMutableBufferPointer { bytes in
            var datum = gnutls_datum_t(data: bytes.baseAddress, size: UInt32(bytes.count))
            return withUnsafeMutablePointer(to: &found) { flag in
                gnutls_ext_raw_parse(
                    flag,
                    { context, type, data, size in
                        // ALPN (RFC 7301): a 2-byte list length, then names, each with a 1-byte length.
                        guard type == 16, let context, let data, size >= 2 else { return 0 }
                        var index = 2
                        while index < Int(size) {
                            let length = Int(data[index])
                            if length == 2, index + 2 < Int(size), data[index + 1] == UInt8(ascii: "h"),
                                data[index + 2] == UInt8(ascii: "2")
                            {
                                context.assumingMemoryBound(to: Bool.self).pointee = true
                            }
                            index += 1 + length
                        }
                        return 0
                    },
                    &datum,
                    UInt32(GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO)
                )
            }
        }
        return parsed >= 0 && found
    }
}

/// One connection's GnuTLS session: the handshake, then records in both directions.
final class HTTP2TLSSession {
    private let session: gnutls_session_t
    private(set) var handshakeDone = false

    init(_ session: gnutls_session_t) { self.session = session }

    deinit { gnutls_deinit(session) }

    enum Progress {
        case done
        case again
        case failed
    }

    func handshake() -> Progress {
        let status = gnutls_handshake(session)
        if status >= 0 {
            handshakeDone = true
            return .done
        }
        return gnutls_error_is_fatal(status) == 0 ? .again : .failed
    }

    /// Decrypted bytes into `buffer`: the count, 0 at the peer's close, -1 when nothing is
    /// ready, -2 on an error.
    func receive(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = gnutls_record_recv(session, buffer.baseAddress, buffer.count)
        if count >= 0 { return count }
        return count == GNUTLS_E_AGAIN || count == GNUTLS_E_INTERRUPTED ? -1 : -2
    }

    /// Bytes taken (encrypted and sent), -1 when the socket is full (call again with the same
    /// bytes, as GnuTLS asks), -2 on an error.
    func send(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = gnutls_record_send(session, bytes.baseAddress, bytes.count)
        if count >= 0 { return count }
        return count == GNUTLS_E_AGAIN || count == GNUTLS_E_INTERRUPTED ? -1 : -2
    }

    /// The handshake waits for the socket to take bytes (else for bytes to arrive).
    var wantsToWrite: Bool { gnutls_record_get_direction(session) == 1 }

    /// Whether GnuTLS holds decrypted bytes poll(2) cannot see.
    var hasPending: Bool { gnutls_record_check_pending(session) > 0 }
}

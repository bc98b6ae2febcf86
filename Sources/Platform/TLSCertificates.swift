import CGnuTLS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct TLSError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }

    /// `what` failed with GnuTLS status `code`: its own text says why.
    init(_ what: String, _ code: Int32) {
        description = "\(what): \(String(cString: gnutls_strerror(code)))"
    }
}

/// Certificates through GnuTLS's x509 API (the TLS library libmicrohttpd already links): a
/// local CA and a server certificate it signs, so clients can trust one file and keep verifying.
public enum TLSCertificates {
    public struct PEMPair: Sendable {
        public var certificate: String
        public var key: String
    }

    public struct Issued: Sendable {
        public var authority: PEMPair
        public var server: PEMPair
    }

    /// A new CA ("session-mock local CA") and a server certificate it signed for `localhost`,
    /// `127.0.0.1`, `::1` and `hosts` (IP addresses become IP SANs, the rest DNS names), both
    /// valid from an hour ago for `days` days. Keys are ECDSA P-256, signatures SHA-256.
    public static func issue(days: Int, hosts: [String]) throws(TLSError) -> Issued {
        let now = time(nil)
        let notBefore = now - 3600
        let notAfter = now + time_t(days) * 86400

        let caKey = try PrivateKey()
        let ca = try Certificate()
        try ca.describe(commonName: "session-mock local CA", key: caKey, notBefore: notBefore, notAfter: notAfter)
        try check("setting the CA's basic constraints", gnutls_x509_crt_set_basic_constraints(ca.handle, 1, 0))
        try check(
            "setting the CA's key usage",
            gnutls_x509_crt_set_key_usage(ca.handle, UInt32(GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN))
        )
        let caKeyId = try caKey.keyId()
        try check(
            "setting the CA's key id",
            caKeyId.withUnsafeBytes { gnutls_x509_crt_set_subject_key_id(ca.handle, $0.baseAddress, $0.count) }
        )
        try check(
            "self-signing the CA",
            gnutls_x509_crt_sign2(ca.handle, ca.handle, caKey.handle, GNUTLS_DIG_SHA256, 0)
        )

        let serverKey = try PrivateKey()
        let server = try Certificate()
        try server.describe(commonName: "localhost", key: serverKey, notBefore: notBefore, notAfter: notAfter)
        try check("setting the server's basic constraints", gnutls_x509_crt_set_basic_constraints(server.handle, 0, -1))
        try check(
            "setting the server's key usage",
            gnutls_x509_crt_set_key_usage(server.handle, UInt32(GNUTLS_KEY_DIGITAL_SIGNATURE))
        )
        try check(
            "setting the server's key purpose",
            gnutls_x509_crt_set_key_purpose_oid(server.handle, GNUTLS_KP_TLS_WWW_SERVER, 0)
        )
        let serverKeyId = try serverKey.keyId()
        try check(
            "setting the server's key id",
            serverKeyId.withUnsafeBytes { gnutls_x509_crt_set_subject_key_id(server.handle, $0.baseAddress, $0.count) }
        )
        try check(
            "setting the authority key id",
            caKeyId.withUnsafeBytes { gnutls_x509_crt_set_authority_key_id(server.handle, $0.baseAddress, $0.count) }
        )
        var names: [String] = []
        for name in ["localhost", "127.0.0.1", "::1"] + hosts where !names.contains(name) { names.append(name) }
        for name in names { try server.addSubjectAltName(name) }
        try check(
            "signing the server certificate",
            gnutls_x509_crt_sign2(server.handle, ca.handle, caKey.handle, GNUTLS_DIG_SHA256, 0)
        )

        return Issued(
            authority: PEMPair(certificate: try ca.pem(), key: try caKey.pem()),
            server: PEMPair(certificate: try server.pem(), key: try serverKey.pem())
        )
    }

    /// Checks that `certificate` (PEM, a chain may follow) and `key` (PEM) load and belong
    /// together, as the TLS server will need them; the error says what is wrong.
    public static func validate(certificate: String, key: String) throws(TLSError) {
        var credentials: gnutls_certificate_credentials_t?
        try check("allocating TLS credentials", gnutls_certificate_allocate_credentials(&credentials))
        defer { gnutls_certificate_free_credentials(credentials) }
        var certBytes = Array(certificate.utf8)
        var keyBytes = Array(key.utf8)
        let status = certBytes.withUnsafeMutableBufferPointer { certBuffer in
            keyBytes.withUnsafeMutableBufferPointer { keyBuffer in
                var certDatum = gnutls_datum_t(data: certBuffer.baseAddress, size: UInt32(certBuffer.count))
                var keyDatum = gnutls_datum_t(data: keyBuffer.baseAddress, size: UInt32(keyBuffer.count))
                return gnutls_certificate_set_x509_key_mem2(
                    credentials,
                    &certDatum,
                    &keyDatum,
                    GNUTLS_X509_FMT_PEM,
                    nil,
                    0
                )
            }
        }
        guard status >= 0 else {
            if status == GNUTLS_E_CERTIFICATE_KEY_MISMATCH {
                throw TLSError(
                    "the TLS key does not belong to the certificate (\(String(cString: gnutls_strerror(status))))"
                )
            }
            throw TLSError("cannot load the TLS certificate and key", status)
        }
    }

    private static func check(_ what: String, _ status: Int32) throws(TLSError) {
        guard status >= 0 else { throw TLSError(what, status) }
    }

    /// Owns one `gnutls_x509_privkey_t`.
    private final class PrivateKey {
        let handle: gnutls_x509_privkey_t

        init() throws(TLSError) {
            var key: gnutls_x509_privkey_t?
            try check("allocating a key", gnutls_x509_privkey_init(&key))
            handle = key!
            // GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1): a C macro Swift cannot import.
            let bits = UInt32(1) << 31 | GNUTLS_ECC_CURVE_SECP256R1.rawValue
            try check("generating an ECDSA P-256 key", gnutls_x509_privkey_generate(handle, GNUTLS_PK_ECDSA, bits, 0))
        }

        deinit { gnutls_x509_privkey_deinit(handle) }

        func keyId() throws(TLSError) -> [UInt8] {
            var id = [UInt8](repeating: 0, count: 64)
            var size = id.count
            try check("computing a key id", gnutls_x509_privkey_get_key_id(handle, 0, &id, &size))
            return Array(id.prefix(size))
        }

        /// Unencrypted PKCS #8 PEM (`BEGIN PRIVATE KEY`), which every TLS stack reads.
        func pem() throws(TLSError) -> String {
            var buffer = [UInt8](repeating: 0, count: 8192)
            var size = buffer.count
            try check(
                "exporting a key",
                gnutls_x509_privkey_export_pkcs8(
                    handle,
                    GNUTLS_X509_FMT_PEM,
                    nil,
                    UInt32(GNUTLS_PKCS_PLAIN.rawValue),
                    &buffer,
                    &size
                )
            )
            return String(decoding: buffer.prefix(size), as: UTF8.self)
        }
    }

    /// Owns one `gnutls_x509_crt_t`.
    private final class Certificate {
        let handle: gnutls_x509_crt_t

        init() throws(TLSError) {
            var crt: gnutls_x509_crt_t?
            try check("allocating a certificate", gnutls_x509_crt_init(&crt))
            handle = crt!
        }

        deinit { gnutls_x509_crt_deinit(handle) }

        func describe(commonName: String, key: PrivateKey, notBefore: time_t, notAfter: time_t) throws(TLSError) {
            try check("setting the version", gnutls_x509_crt_set_version(handle, 3))
            var generator = SystemRandomNumberGenerator()
            var serial = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            serial[0] &= 0x7F  // a positive DER integer
            serial[0] |= 0x01  // and no leading zero byte
            try check(
                "setting the serial",
                serial.withUnsafeBytes { gnutls_x509_crt_set_serial(handle, $0.baseAddress, $0.count) }
            )
            try check("setting the start date", Int32(gnutls_x509_crt_set_activation_time(handle, notBefore)))
            try check("setting the end date", Int32(gnutls_x509_crt_set_expiration_time(handle, notAfter)))
            let name = Array(commonName.utf8)
            try check(
                "setting the common name",
                name.withUnsafeBytes {
                    gnutls_x509_crt_set_dn_by_oid(
                        handle,
                        GNUTLS_OID_X520_COMMON_NAME,
                        0,
                        $0.baseAddress,
                        UInt32($0.count)
                    )
                }
            )
            try check("setting the key", gnutls_x509_crt_set_key(handle, key.handle))
        }

        func addSubjectAltName(_ name: String) throws(TLSError) {
            var v4 = in_addr()
            var v6 = in6_addr()
            let status: Int32
            if inet_pton(AF_INET, name, &v4) == 1 {
                status = withUnsafeBytes(of: &v4) {
                    gnutls_x509_crt_set_subject_alt_name(
                        handle,
                        GNUTLS_SAN_IPADDRESS,
                        $0.baseAddress,
                        UInt32($0.count),
                        UInt32(GNUTLS_FSAN_APPEND)
                    )
                }
            } else if inet_pton(AF_INET6, name, &v6) == 1 {
                status = withUnsafeBytes(of: &v6) {
                    gnutls_x509_crt_set_subject_alt_name(
                        handle,
                        GNUTLS_SAN_IPADDRESS,
                        $0.baseAddress,
                        UInt32($0.count),
                        UInt32(GNUTLS_FSAN_APPEND)
                    )
                }
            } else {
                let bytes = Array(name.utf8)
                status = bytes.withUnsafeBytes {
                    gnutls_x509_crt_set_subject_alt_name(
                        handle,
                        GNUTLS_SAN_DNSNAME,
                        $0.baseAddress,
                        UInt32($0.count),
                        UInt32(GNUTLS_FSAN_APPEND)
                    )
                }
            }
            try check("adding the name '\(name)'", status)
        }

        func pem() throws(TLSError) -> String {
            var buffer = [UInt8](repeating: 0, count: 16384)
            var size = buffer.count
            try check("exporting a certificate", gnutls_x509_crt_export(handle, GNUTLS_X509_FMT_PEM, &buffer, &size))
            return String(decoding: buffer.prefix(size), as: UTF8.self)
        }
    }
}

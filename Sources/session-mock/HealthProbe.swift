import Platform

#if canImport(FoundationEssentials)
import FoundationEssentials  // URLComponents; full Foundation would link ICU
#else
import Foundation
#endif

/// A minimal HTTP/1.1 GET over a plain socket (or GnuTLS for `https://`): the Docker HEALTHCHECK
/// must work in an image without curl, and FoundationNetworking would pull libcurl into the
/// static binary's needs.
enum HealthProbe {
    /// An `http://` URL that gets no answer is tried once more over TLS, so the image's
    /// HEALTHCHECK holds whether or not the server was started with `--tls-cert`.
    static func check(baseURL: String, timeoutSeconds: Double) -> Bool {
        guard let components = URLComponents(string: baseURL), let host = components.host else { return false }
        let tls = components.scheme == "https"
        let port = components.port ?? (tls ? 443 : 80)
        if healthy(host: host, port: port, tls: tls, timeoutSeconds: timeoutSeconds) { return true }
        return !tls && components.port != nil
            && healthy(host: host, port: port, tls: true, timeoutSeconds: timeoutSeconds)
    }

    private static func healthy(host: String, port: Int, tls: Bool, timeoutSeconds: Double) -> Bool {
        guard
            let received = OS.httpGet(
                host: host,
                port: port,
                path: "/__admin/health",
                timeoutSeconds: timeoutSeconds,
                tls: tls
            )
        else { return false }
        let text = String(decoding: received, as: UTF8.self)
        return text.hasPrefix("HTTP/1.1 200") && text.contains("\"status\":\"ok\"")
    }
}

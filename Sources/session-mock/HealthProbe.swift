#if canImport(FoundationEssentials)
import FoundationEssentials  // URLComponents; full Foundation would link ICU
#else
import Foundation
#endif
import Platform

/// A minimal HTTP/1.1 GET over a plain socket (or GnuTLS for `https://`): the Docker HEALTHCHECK must work in an image
/// without curl, and FoundationNetworking would pull libcurl into the static binary's needs.
enum HealthProbe {
    static func check(baseURL: String, timeoutSeconds: Double) -> Bool {
        guard let components = URLComponents(string: baseURL), let host = components.host else { return false }
        let tls = components.scheme == "https"
        let port = components.port ?? (tls ? 443 : 80)
        guard let received = OS.httpGet(host: host, port: port, path: "/__admin/health", timeoutSeconds: timeoutSeconds, tls: tls) else { return false }
        let text = String(decoding: received, as: UTF8.self)
        return text.hasPrefix("HTTP/1.1 200") && text.contains("\"status\":\"ok\"")
    }
}

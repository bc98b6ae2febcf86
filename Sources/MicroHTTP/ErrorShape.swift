/// A request answered before, or instead of, a handler: by the router (no such path, or not for
/// this method) or by the limits every route shares (size, encoding).
public enum Refusal: Sendable, Equatable {
    case notFound
    case methodNotAllowed(allowed: [String])
    case bodyTooLarge
    case uriTooLong(limitBytes: Int)
    case headersTooLarge(limitBytes: Int)
    case invalidEncoding

    public var status: Int {
        switch self {
        case .notFound: return 404
        case .methodNotAllowed: return 405
        case .bodyTooLarge: return 413
        case .uriTooLong: return 414
        case .headersTooLarge: return 431
        case .invalidEncoding: return 400
        }
    }

    /// A snake_case name for the refusal, for error bodies that carry one.
    public var code: String {
        switch self {
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .bodyTooLarge: return "body_too_large"
        case .uriTooLong: return "uri_too_long"
        case .headersTooLarge: return "headers_too_large"
        case .invalidEncoding: return "invalid_encoding"
        }
    }

    /// What went wrong, for error bodies whose API has no fixed text for it.
    public var message: String {
        switch self {
        case .notFound: return "not found"
        case .methodNotAllowed: return "method not allowed"
        case .bodyTooLarge: return "request body too large"
        case .uriTooLong(let limit): return "request path and query are longer than \(limit) bytes"
        case .headersTooLarge(let limit): return "request headers are larger than \(limit) bytes"
        case .invalidEncoding: return "the request path, query or headers are not valid UTF-8"
        }
    }

    /// Limits on size: a client may retry with less (gRPC's resource exhausted).
    public var isSizeLimit: Bool {
        switch self {
        case .bodyTooLarge, .uriTooLong, .headersTooLarge: return true
        default: return false
        }
    }
}

/// How the routes of one API and transport answer a refusal: in that API's own error body (and,
/// for RPC transports, its own framing), so a client's error parsing works on every answer.
public protocol ErrorShape: Sendable {
    func response(to refusal: Refusal, for request: HTTPRequest) -> HTTPResponse
}

/// What a handler answers. Besides status, headers and body it can ask the server to wait before
/// answering (without holding a worker thread) or to close the connection with no reply at all.
public struct HTTPResponse: Sendable {
    public var status: Int
    // Changing the headers or the body lets go of a prepared answer: it would send the old ones.
    public var headers: [HTTPField] { didSet { prepared = nil } }
    public var body: [UInt8] { didSet { prepared = nil } }
    /// Milliseconds to wait before the answer (or the drop) goes out.
    public var delayMilliseconds: Int
    /// Close the connection without sending anything (over HTTP/2: reset that stream only).
    public var dropsConnection: Bool
    /// Fields sent after the body (HTTP/2 only: gRPC's status). With an empty body they go out
    /// with the headers, in one HEADERS frame ending the stream ("trailers-only").
    public var trailers: [HTTPField]?
    /// The same headers and body, already in libmicrohttpd's form (set by `init(status:prepared:)`).
    public private(set) var prepared: PreparedResponse?

    public init(
        status: Int,
        headers: [HTTPField] = [],
        body: [UInt8] = [],
        delayMilliseconds: Int = 0,
        dropsConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delayMilliseconds = delayMilliseconds
        self.dropsConnection = dropsConnection
    }

    /// An answer whose headers and body are `prepared`'s, sent without building them again.
    public init(status: Int, prepared: PreparedResponse) {
        self.init(status: status, headers: prepared.headers, body: prepared.body)
        self.prepared = prepared
    }

    /// A JSON answer; `Content-Type` comes first so every JSON response looks the same on the wire.
    public static func json(_ status: Int, _ body: [UInt8], headers: [HTTPField] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers.isEmpty ? jsonHeaders : jsonHeaders + headers, body: body)
    }

    public static func json(_ status: Int, _ body: String, headers: [HTTPField] = []) -> HTTPResponse {
        json(status, Array(body.utf8), headers: headers)
    }

    /// The headers of a JSON answer; shared, so the common case allocates no header array per response.
    public static let jsonHeaders = [HTTPField(name: "Content-Type", value: "application/json")]

    /// A connection closed without a reply, as a dropped request looks to a client.
    public static let drop = HTTPResponse(status: 0, dropsConnection: true)

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

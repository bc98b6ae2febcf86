/// One header or query field as it arrived; order and duplicates are kept.
public struct HTTPField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request as the handler sees it: everything already copied out of libmicrohttpd,
/// so handlers (and fuzzers, and in-process tests) never touch C memory.
public struct HTTPRequest: Sendable {
    public var method: String
    /// Percent-decoded path without the query string.
    public var path: String
    /// Decoded query arguments in arrival order; a bare `?flag` has an empty value.
    public var query: [HTTPField]
    public var headers: [HTTPField]
    public var body: [UInt8]
    /// Filled in by the `Router` from `:name` segments of the matched pattern.
    public var pathParameters: PathParameters
    /// The body was larger than the server accepts and was not kept.
    public var bodyTooLarge = false
    /// Some byte sequence in the path, query or headers was not UTF-8 (it was replaced by U+FFFD).
    public var invalidUTF8 = false
    /// The protocol the request came over (native gRPC needs HTTP/2's trailers).
    public var httpVersion: HTTPVersion = .http1

    public init(
        method: String,
        path: String,
        query: [HTTPField] = [],
        headers: [HTTPField] = [],
        body: [UInt8] = [],
        pathParameters: PathParameters = [:]
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.pathParameters = pathParameters
    }

    /// First value of a header, compared case-insensitively as HTTP requires.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// First value of a query argument (names are case-sensitive).
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}

public enum HTTPVersion: Sendable {
    case http1
    case http2
}

/// Named values of a request: its route's `:name` segments, and what the app attaches before
/// routing. A request has one or two, so they are a list searched in order: no hashing, and one
/// allocation at most.
public struct PathParameters: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var fields: [HTTPField] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { self[name] = value }
    }

    public var isEmpty: Bool { fields.isEmpty }

    public subscript(name: String) -> String? {
        get { fields.first { $0.name == name }?.value }
        set {
            let index = fields.firstIndex { $0.name == name }
            switch (index, newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append(HTTPField(name: name, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Adds `other`'s values; where both have a name, `other`'s wins.
    public mutating func merge(_ other: PathParameters) {
        if fields.isEmpty {
            self = other
            return
        }
        for field in other.fields { self[field.name] = field.value }
    }
}

extension String {
    /// ASCII case-insensitive comparison without allocating (header names are ASCII).
    @inlinable
    public func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = self.utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        // Native strings (all of ours) expose their bytes: compare the buffers directly, much
        // cheaper than stepping two UTF8View iterators.
        let direct = a.withContiguousStorageIfAvailable { x in
            b.withContiguousStorageIfAvailable { y in asciiCaseInsensitiveEqual(x, y) }
        }
        if let direct, let result = direct { return result }
        for (x, y) in zip(a, b) where x != y {
            let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
            let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
            if lx != ly { return false }
        }
        return true
    }
}

/// Byte buffers of equal length equal up to ASCII letter case.
@inlinable
func asciiCaseInsensitiveEqual(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
    for index in 0..<x.count {
        let a = x[index]
        let b = y[index]
        if a == b { continue }
        let la = (a >= 65 && a <= 90) ? a | 0x20 : a
        let lb = (b >= 65 && b <= 90) ? b | 0x20 : b
        if la != lb { return false }
    }
    return true
}

extension String {
    /// The value without leading and trailing spaces and tabs (optional whitespace around a header value).
    package var trimmingSpaces: String {
        // Hot path: header values rarely start or end with a space or tab. When neither end
        // byte is one, neither end Character can be one either, so this is the same answer
        // without stepping through Characters.
        let utf8 = self.utf8
        if let first = utf8.first, let last = utf8.last,
            first != 0x20, first != 0x09, last != 0x20, last != 0x09
        {
            return self
        }
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

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
    public var query: HTTPFields
    public var headers: HTTPFields
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
        self.query = HTTPFields(query)
        self.headers = HTTPFields(headers)
        self.body = body
        self.pathParameters = pathParameters
    }

    /// A request read from an engine: every field given at once, none made and then replaced.
    init(method: String, path: String, query: HTTPFields, headers: HTTPFields, invalidUTF8: Bool) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        body = []
        pathParameters = PathParameters()
        self.invalidUTF8 = invalidUTF8
    }

    /// First value of a header, compared case-insensitively as HTTP requires.
    public func header(_ name: String) -> String? {
        headers.first(named: name, caseInsensitive: true)
    }

    /// First value of a query argument (names are case-sensitive).
    public func queryValue(_ name: String) -> String? {
        query.first(named: name, caseInsensitive: false)
    }
}

/// A request's header or query fields as they arrived (order and duplicates kept), packed into one
/// byte buffer: each field is its name's and its value's length (two native `UInt32`s) and then
/// their bytes. Both front ends fill it straight from the engine's memory, so a request costs one
/// allocation for all its fields, and the journal keeps that buffer as it is. Names and values
/// become Strings only when read; bytes that are not UTF-8 read as U+FFFD.
public struct HTTPFields: Sendable, Equatable, Sequence, CustomStringConvertible {
    private var bytes: [UInt8]
    public private(set) var count: Int
    /// The bytes of every name and value, lengths not counted.
    public private(set) var textByteCount: Int

    private static let lengthBytes = 2 * MemoryLayout<UInt32>.size

    public init() {
        bytes = []
        count = 0
        textByteCount = 0
    }

    public init(_ fields: some Sequence<HTTPField>) {
        self.init()
        for field in fields { append(field) }
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func append(_ field: HTTPField) {
        var name = field.name
        var value = field.value
        name.withUTF8 { name in
            value.withUTF8 { value in append(name: UnsafeRawBufferPointer(name), value: UnsafeRawBufferPointer(value)) }
        }
    }

    /// Appends a field from raw bytes (an engine's buffers).
    public mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let start = bytes.count
        let added = Self.lengthBytes + name.count + value.count
        bytes.append(contentsOf: repeatElement(0, count: added))
        bytes.withUnsafeMutableBytes { buffer in
            var writer = Writer(buffer: buffer, offset: start)
            writer.write(name: name, value: value)
        }
        count += 1
        textByteCount += name.count + value.count
    }

    public mutating func append(contentsOf other: HTTPFields) {
        bytes.append(contentsOf: other.bytes)
        count += other.count
        textByteCount += other.textByteCount
    }

    /// Fields written into a buffer of exactly the size they need: `fill` must write `count`
    /// fields whose names and values hold `textByteCount` bytes in all.
    init(count: Int, textByteCount: Int, fill: (inout Writer) -> Void) {
        let total = count * Self.lengthBytes + textByteCount
        self = withUnsafeTemporaryAllocation(byteCount: total, alignment: 8) { buffer in
            var writer = Writer(buffer: buffer, offset: 0)
            fill(&writer)
            precondition(writer.offset == total, "HTTPFields: fill wrote \(writer.offset) of \(total) bytes")
            return HTTPFields(count: count, textByteCount: textByteCount, written: UnsafeRawBufferPointer(buffer))
        }
    }

    /// `count` fields a `Writer` wrote into `written`, copied.
    init(count: Int, textByteCount: Int, written: UnsafeRawBufferPointer) {
        self.count = count
        self.textByteCount = textByteCount
        // Reserved, then appended: the specialised allocation path. `Array(repeating:count:)` and
        // `init(unsafeUninitializedCapacity:)` allocate through the standard library's unspecialised
        // code, which looks up type metadata on every call (about 700 instructions, measured).
        bytes = []
        bytes.reserveCapacity(written.count)
        bytes.append(contentsOf: written)
    }

    /// Writes fields one after another into a buffer sized for them.
    struct Writer {
        let buffer: UnsafeMutableRawBufferPointer
        private(set) var offset: Int

        init(buffer: UnsafeMutableRawBufferPointer, offset: Int) {
            self.buffer = buffer
            self.offset = offset
        }

        func fits(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
            offset + HTTPFields.lengthBytes + name.count + value.count <= buffer.count
        }

        mutating func write(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            precondition(fits(name: name, value: value))
            let base = buffer.baseAddress!
            base.storeBytes(of: UInt32(name.count), toByteOffset: offset, as: UInt32.self)
            base.storeBytes(of: UInt32(value.count), toByteOffset: offset + 4, as: UInt32.self)
            offset += HTTPFields.lengthBytes
            if let source = name.baseAddress { (base + offset).copyMemory(from: source, byteCount: name.count) }
            offset += name.count
            if let source = value.baseAddress { (base + offset).copyMemory(from: source, byteCount: value.count) }
            offset += value.count
        }
    }

    /// The field at `offset` of a field buffer: its name's and value's bytes, and where the next starts.
    @inline(__always)
    fileprivate static func field(
        in buffer: UnsafeRawBufferPointer,
        at offset: Int
    ) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, next: Int) {
        let nameCount = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        let valueCount = Int(buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
        let nameStart = offset + lengthBytes
        let valueStart = nameStart + nameCount
        let next = valueStart + valueCount
        return (
            UnsafeRawBufferPointer(rebasing: buffer[nameStart..<valueStart]),
            UnsafeRawBufferPointer(rebasing: buffer[valueStart..<next]), next
        )
    }

    /// Calls `body` with each field's name and value bytes, in order, until it returns false.
    public func forEachRaw(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let (name, value, next) = Self.field(in: buffer, at: offset)
                offset = next
                if !body(name, value) { return }
            }
        }
    }

    /// The first value of the field called `name`: case-insensitively (ASCII letters) for
    /// headers, exactly for query arguments.
    public func first(named name: String, caseInsensitive: Bool) -> String? {
        var name = name
        return name.withUTF8 { first(named: $0, caseInsensitive: caseInsensitive) }
    }

    private func first(named wanted: UnsafeBufferPointer<UInt8>, caseInsensitive: Bool) -> String? {
        bytes.withUnsafeBytes { buffer -> String? in
            var offset = 0
            while offset < buffer.count {
                let (name, value, next) = Self.field(in: buffer, at: offset)
                offset = next
                guard name.count == wanted.count else { continue }
                let fieldName = name.assumingMemoryBound(to: UInt8.self)
                let equal =
                    caseInsensitive
                    ? asciiCaseInsensitiveEqual(fieldName, wanted) : fieldName.elementsEqual(wanted)
                if equal { return Self.text(value) }
            }
            return nil
        }
    }

    public struct Iterator: IteratorProtocol {
        private let fields: HTTPFields
        private var offset = 0

        init(_ fields: HTTPFields) { self.fields = fields }

        public mutating func next() -> HTTPField? {
            fields.bytes.withUnsafeBytes { buffer -> HTTPField? in
                guard offset < buffer.count else { return nil }
                let (name, value, next) = HTTPFields.field(in: buffer, at: offset)
                offset = next
                return HTTPField(name: HTTPFields.text(name), value: HTTPFields.text(value))
            }
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { count }

    public var first: HTTPField? {
        var iterator = makeIterator()
        return iterator.next()
    }

    public var description: String { Array(self).description }

    private static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
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
    // Nearly every route takes one parameter: it is kept inline, so that matching it allocates
    // no array. `more` holds the second and later ones, in the order they were added.
    private var first: HTTPField?
    private var more: [HTTPField] = []
    /// Kept, so that `isEmpty` does not copy `first` out to test it.
    public private(set) var count = 0

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { self[name] = value }
    }

    public var isEmpty: Bool { count == 0 }

    public subscript(name: String) -> String? {
        get {
            if let first, first.name == name { return first.value }
            return more.first { $0.name == name }?.value
        }
        set {
            if let current = first, current.name == name {
                if let newValue {
                    first?.value = newValue
                } else {
                    first = more.isEmpty ? nil : more.removeFirst()
                    count -= 1
                }
                return
            }
            let index = more.firstIndex { $0.name == name }
            switch (index, newValue) {
            case (let index?, let value?): more[index].value = value
            case (let index?, nil):
                more.remove(at: index)
                count -= 1
            case (nil, let value?):
                if count == 0 {
                    first = HTTPField(name: name, value: value)
                } else {
                    more.append(HTTPField(name: name, value: value))
                }
                count += 1
            case (nil, nil): break
            }
        }
    }

    /// Adds `other`'s values; where both have a name, `other`'s wins.
    // Inlinable: the router's parameters nearly always go into a request that has none, and the
    // caller (in another module) then moves them in without a call.
    @inlinable
    public mutating func merge(_ other: PathParameters) {
        if isEmpty {
            self = other
            return
        }
        add(other)
    }

    @usableFromInline
    mutating func add(_ other: PathParameters) {
        if let field = other.first { self[field.name] = field.value }
        for field in other.more { self[field.name] = field.value }
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

import JSON
import MicroHTTP
import Seeds
import Synchronization

/// Every request to a mocked endpoint, newest last, in a bounded ring (oldest dropped first).
public final class RequestJournal: Sendable {
    public struct Entry: Sendable {
        public var timeMicros: Int64
        public var scenario: String?
        public var method: String
        public var path: String
        /// As the request carried them: the journal keeps the request's own field buffers.
        public var query: HTTPFields
        public var headers: HTTPFields
        public var status: Int
        public var latencyMicros: Int64
        /// The connection was closed without a reply (a `drop` fault; over HTTP/2 the stream was reset).
        public var dropped: Bool
        /// A native gRPC call (its entry says `"protocol":"grpc"`), and its `grpc-status` unless dropped.
        public var nativeGRPC = false
        public var grpcStatus: Int?
    }

    public struct Filter: Sendable {
        public var path: String?
        public var method: String?
        public var scenario: String?

        public init(path: String? = nil, method: String? = nil, scenario: String? = nil) {
            self.path = path
            self.method = method
            self.scenario = scenario
        }

        func accepts(_ entry: Entry) -> Bool {
            if let path, entry.path != path { return false }
            if let method, entry.method.caseInsensitiveEquals(method) == false { return false }
            if let scenario, entry.scenario != scenario { return false }
            return true
        }
    }

    private struct Ring: ~Copyable {
        var entries: [Entry] = []
        var next = 0
    }

    public let capacity: Int
    private let ring = Mutex(Ring())

    public init(capacity: Int) { self.capacity = max(0, capacity) }

    public func record(_ entry: consuming Entry) {
        guard capacity > 0 else { return }
        // Moved into the ring, not copied: a copy costs a retain and release of each of its
        // strings and arrays on every request.
        var pending: Entry? = consume entry
        // The entry a full ring drops is freed after the lock is let go, not while other
        // requests wait for it.
        let dropped = ring.withLock { ring -> Entry? in
            guard var entry = pending.take() else { return nil }
            if ring.entries.count < capacity {
                ring.entries.append(entry)
                return nil
            }
            defer { ring.next = (ring.next + 1) % capacity }
            swap(&ring.entries[ring.next], &entry)
            return entry
        }
        _ = consume dropped
    }

    /// Oldest first.
    public func entries(_ filter: Filter = Filter()) -> [Entry] {
        ring.withLock { ring in
            let ordered =
                ring.entries.count < capacity
                ? ring.entries
                : Array(ring.entries[ring.next...] + ring.entries[..<ring.next])
            return ordered.filter(filter.accepts)
        }
    }

    public func count(_ filter: Filter = Filter()) -> Int {
        ring.withLock { $0.entries.reduce(0) { $0 + (filter.accepts($1) ? 1 : 0) } }
    }

    /// Drops the entries of one scenario (`NAME` also drops its `NAME@KEY` copies), so one
    /// parallel worker's reset leaves the others' journal alone.
    public func clear(scenario selector: String) {
        ring.withLock { ring in
            let kept =
                (ring.entries.count < capacity
                ? ring.entries : Array(ring.entries[ring.next...] + ring.entries[..<ring.next]))
                .filter { entry in
                    guard let name = entry.scenario else { return true }
                    return !(name == selector || (!selector.contains("@") && name.hasPrefix(selector + "@")))
                }
            ring.entries = kept
            ring.next = 0
        }
    }

    public func clear() {
        ring.withLock { ring in
            ring.entries.removeAll(keepingCapacity: true)
            ring.next = 0
        }
    }

    static func json(_ entry: Entry) -> JSONValue {
        func fields(_ list: HTTPFields) -> JSONValue {
            .array(list.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })
        }
        var members: [(key: String, value: JSONValue)] = [
            ("time", .string(RFC3339.format(micros: entry.timeMicros))),
            ("scenario", entry.scenario.map(JSONValue.string) ?? .null),
            ("method", .string(entry.method)),
            ("path", .string(entry.path)),
            ("query", fields(entry.query)),
            ("headers", fields(entry.headers)),
            ("status", entry.dropped ? .null : .number(String(entry.status))),
            ("latencyMs", .number(String(format3(entry.latencyMicros)))),
        ]
        if entry.dropped { members.append(("dropped", .bool(true))) }
        if entry.nativeGRPC {
            members.append(("protocol", .string("grpc")))
            if let code = entry.grpcStatus { members.append(("grpcStatus", .number(String(code)))) }
        }
        return .object(members)
    }

    private static func format3(_ micros: Int64) -> String {
        let whole = micros / 1000
        let fraction = micros % 1000
        let digits = String(fraction)
        return "\(whole).\(String(repeating: "0", count: 3 - digits.count))\(digits)"
    }
}

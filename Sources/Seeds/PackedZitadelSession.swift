/// A `ZitadelSession` in one byte array, which is how a stored record keeps it. As a struct a
/// session is ~15 heap objects (strings, the metadata and header dictionaries, their arrays):
/// the bench's 100,000 seeded sessions took 234 MB of heap that way and 100 MB packed. A record
/// unpacks it when a lifecycle call or ListSessions needs the fields; GetSession sends bytes
/// encoded once.
///
/// The format is only ever read back by the same binary: each value in field order, strings and
/// byte strings as a LEB128 length and their UTF-8, optionals behind a presence byte, integers as
/// LEB128. `Writer` writes it; the seed parser writes a large seed's sessions with it straight
/// from the JSON, so a seeded session is packed once and its record keeps those bytes.
package enum PackedZitadelSession {
    /// The session, then the record's own strings (`owners`, each optional) behind it; `ownersStart` is where
    /// they begin.
    package static func pack(_ session: ZitadelSession, owners: [String?]) -> (bytes: [UInt8], ownersStart: Int) {
        var w = Writer()
        w.bytes.reserveCapacity(512)
        w.string(session.id)
        w.timestamp(session.creationDate)
        w.timestamp(session.changeDate)
        w.timestamp(session.expirationDate)
        w.integer(session.sequence)
        let factors = session.factors
        if w.present(factors.user), let user = factors.user {
            w.timestamp(user.verifiedAt)
            w.string(user.id)
            w.string(user.loginName)
            w.string(user.displayName)
            w.string(user.organizationId)
        }
        if w.present(factors.webAuthN), let webAuthN = factors.webAuthN {
            w.timestamp(webAuthN.verifiedAt)
            w.bool(webAuthN.userVerified)
        }
        for factor in Factor.allCases where factor.holdsOnlyATime {
            if w.present(factors[factor]), let verified = factors[factor] { w.timestamp(verified.verifiedAt) }
        }
        w.integer(UInt64(session.metadata.count))
        for (key, value) in session.metadata {
            w.string(key)
            w.byteString(value)
        }
        if w.present(session.userAgent), let agent = session.userAgent {
            w.optionalString(agent.fingerprintId)
            w.optionalString(agent.ip)
            w.optionalString(agent.description)
            w.integer(UInt64(agent.header.count))
            for (name, values) in agent.header {
                w.string(name)
                w.integer(UInt64(values.count))
                for value in values { w.string(value) }
            }
        }
        let ownersStart = w.bytes.count
        for owner in owners { w.optionalString(owner) }
        return (w.exactCopy, ownersStart)
    }

    /// The session's id, the first value packed.
    package static func id(in bytes: [UInt8]) -> String {
        var r = Reader(bytes: bytes)
        return r.string()
    }

    /// The `index`th of the strings packed behind the session (nil when absent).
    package static func owner(_ index: Int, in bytes: [UInt8], from start: Int) -> String? {
        var r = reader(atOwner: index, in: bytes, from: start)
        return r.optionalString()
    }

    /// Whether the `index`th string packed behind the session is `text`, compared in place.
    package static func owner(_ index: Int, in bytes: [UInt8], from start: Int, equals text: String) -> Bool {
        var r = reader(atOwner: index, in: bytes, from: start)
        guard r.present() else { return false }
        let count = min(Int(clamping: r.integer()), bytes.count - r.index)
        return bytes[r.index..<r.index + count].elementsEqual(text.utf8)
    }

    private static func reader(atOwner index: Int, in bytes: [UInt8], from start: Int) -> Reader {
        var r = Reader(bytes: bytes, index: start)
        for _ in 0..<index { r.skipOptionalString() }
        return r
    }

    package static func unpack(_ bytes: [UInt8]) -> ZitadelSession {
        var r = Reader(bytes: bytes)
        var session = ZitadelSession()
        session.id = r.string()
        session.creationDate = r.timestamp()
        session.changeDate = r.timestamp()
        session.expirationDate = r.timestamp()
        session.sequence = r.integer()
        if r.present() {
            session.factors.user = ZitadelSession.UserFactor(
                verifiedAt: r.timestamp(),
                id: r.string(),
                loginName: r.string(),
                displayName: r.string(),
                organizationId: r.string()
            )
        }
        if r.present() {
            session.factors.webAuthN = ZitadelSession.WebAuthNFactor(verifiedAt: r.timestamp(), userVerified: r.bool())
        }
        for factor in Factor.allCases where factor.holdsOnlyATime {
            if r.present() { session.factors[factor] = ZitadelSession.VerifiedFactor(verifiedAt: r.timestamp()) }
        }
        let metadataCount = Int(r.integer())
        if metadataCount > 0 {
            session.metadata.reserveCapacity(metadataCount)
            for _ in 0..<metadataCount {
                let key = r.string()
                session.metadata[key] = r.byteString()
            }
        }
        if r.present() {
            var agent = ZitadelSession.UserAgent(
                fingerprintId: r.optionalString(),
                ip: r.optionalString(),
                description: r.optionalString()
            )
            let headerCount = Int(r.integer())
            for _ in 0..<headerCount {
                let name = r.string()
                let count = Int(r.integer())
                agent.header[name] = (0..<count).map { _ in r.string() }
            }
            session.userAgent = agent
        }
        return session
    }

    package struct Writer: Sendable {
        package var bytes: [UInt8] = []

        package init() {}

        /// The bytes written, in an array of their own length: a record keeps it, without the room
        /// the writer reserved to grow into (`Array(slice)` of a whole array would share that storage).
        package var exactCopy: [UInt8] {
            [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
                count = buffer.initialize(fromContentsOf: bytes)
            }
        }

        package mutating func integer(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        package mutating func byteString(_ value: some Collection<UInt8>) {
            integer(UInt64(value.count))
            bytes.append(contentsOf: value)
        }

        package mutating func string(_ value: String) { byteString(value.utf8) }

        package mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

        /// Writes whether `value` is there, and returns it, so the caller writes its fields next.
        package mutating func present<T>(_ value: T?) -> Bool {
            bool(value != nil)
            return value != nil
        }

        package mutating func optionalString(_ value: String?) {
            if present(value), let value { string(value) }
        }

        package mutating func timestamp(_ value: SeedTimestamp?) {
            switch value {
            case nil: bytes.append(0)
            case .absolute(let text)?:
                bytes.append(1)
                string(text)
            case .relative(let offset)?:
                bytes.append(2)
                integer(UInt64(bitPattern: offset))
            }
        }
    }

    /// Reads what `Writer` wrote (and nothing else: past the end it reads zeros, never traps).
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        mutating func byte() -> UInt8 {
            guard index < bytes.count else { return 0 }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func integer() -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while shift < 64 {
                let next = byte()
                value |= UInt64(next & 0x7F) << shift
                if next < 0x80 { break }
                shift += 7
            }
            return value
        }

        mutating func byteString() -> [UInt8] {
            let count = min(Int(clamping: integer()), bytes.count - index)
            defer { index += count }
            return Array(bytes[index..<index + count])
        }

        mutating func string() -> String {
            let count = min(Int(clamping: integer()), bytes.count - index)
            defer { index += count }
            return String(decoding: bytes[index..<index + count], as: UTF8.self)
        }

        mutating func bool() -> Bool { byte() != 0 }

        mutating func present() -> Bool { bool() }

        mutating func optionalString() -> String? { present() ? string() : nil }

        mutating func skipOptionalString() {
            guard present() else { return }
            index += min(Int(clamping: integer()), bytes.count - index)
        }

        mutating func timestamp() -> SeedTimestamp? {
            switch byte() {
            case 1: return .absolute(string())
            case 2: return .relative(offsetMicros: Int64(bitPattern: integer()))
            default: return nil
            }
        }
    }
}

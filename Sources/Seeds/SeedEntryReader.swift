import JSON

/// Reads the entries of a seed's two large arrays (`zitadel.sessions`, `walletkit.sessionChallenges`)
/// straight from the tape into what the stores keep: a session's packed bytes and id, a
/// challenge's seed. No intermediate values and a reused buffer, so an entry costs little more
/// than the allocations the store keeps.
///
/// It takes an entry only as the validating parser would read it without any issue, and returns
/// nil for anything else, and for what it leaves to that parser (escaped text, `null`, aliases
/// given twice, timestamps the parser rewrites, timelines): such an entry is read again by the
/// validating parser, the one source of error messages.
struct SeedEntryReader {
    let view: JSONTape.View
    /// Reused for every session; each entry keeps a copy of its own length.
    private var writer = PackedZitadelSession.Writer()
    private var hasRelativeTimes = false

    init(view: JSONTape.View) {
        self.view = view
        writer.bytes.reserveCapacity(1024)
    }

    /// Member nodes by key slot (`absent` when not given).
    private typealias Slots = InlineArray<16, Int32>
    private static let absent: Int32 = -1

    /// The members of an object whose keys are all in `table`, each once and none null.
    private func fields(_ node: Int, _ table: KeyTable) -> Slots? {
        precondition(table.names.count <= 16)
        guard view.kind(node) == .object else { return nil }
        var slots = Slots(repeating: Self.absent)
        var member = node + 1
        let end = view.next(node)
        var previous = -1
        while member < end {
            guard let slot = table.slot(of: member, in: view, after: previous), slots[slot] == Self.absent,
                view.kind(member) != .null
            else { return nil }
            slots[slot] = Int32(member)
            previous = slot
            member = view.next(member)
        }
        return slots
    }

    private func text(_ node: Int32) -> UnsafeBufferPointer<UInt8>? {
        node == Self.absent ? nil : view.rawText(Int(node))
    }

    /// Writes an optional string member: absent, or a string without escapes (non-empty if asked).
    private mutating func optionalString(_ node: Int32, nonEmpty: Bool) -> Bool {
        guard node != Self.absent else {
            writer.bool(false)
            return true
        }
        guard let text = view.rawText(Int(node)), !nonEmpty || !text.isEmpty else { return false }
        writer.bool(true)
        writer.byteString(text)
        return true
    }

    /// Writes a string member that defaults to "" when absent.
    private mutating func stringOrEmpty(_ node: Int32) -> Bool {
        guard node != Self.absent else {
            writer.integer(0)
            return true
        }
        guard let text = view.rawText(Int(node)) else { return false }
        writer.byteString(text)
        return true
    }

    private func bool(_ node: Int32) -> Bool? {
        switch view.kind(Int(node)) {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    /// Writes an optional timestamp: absent, `now±duration`, or RFC 3339 text sent as written.
    private mutating func timestamp(_ node: Int32) -> Bool {
        guard node != Self.absent else {
            writer.timestamp(nil)
            return true
        }
        guard let text = view.rawText(Int(node)) else { return false }
        if text.starts(with: "now".utf8) {
            guard case .success(let relative) = SeedTimestamp.parse(String(decoding: text, as: UTF8.self)) else {
                return false
            }
            hasRelativeTimes = true
            writer.timestamp(relative)
            return true
        }
        guard case .asWritten = SeedTimestamp.absolute(utf8: text) else { return false }
        writer.bytes.append(1)  // `PackedZitadelSession`'s tag of an absolute time
        writer.byteString(text)
        return true
    }

    // MARK: - Sessions

    private static let entryToken = KeyTable.sessionEntry.slot(named: "sessionToken")
    private static let entryCreator = KeyTable.sessionEntry.slot(named: "creatorUserId")
    private static let entrySession = KeyTable.sessionEntry.slot(named: "session")
    private static let sessionId = KeyTable.session.slot(named: "id")
    private static let creationDate = KeyTable.session.slot(named: "creationDate")
    private static let changeDate = KeyTable.session.slot(named: "changeDate")
    private static let expirationDate = KeyTable.session.slot(named: "expirationDate")
    private static let sequence = KeyTable.session.slot(named: "sequence")
    private static let factors = KeyTable.session.slot(named: "factors")
    private static let metadata = KeyTable.session.slot(named: "metadata")
    private static let userAgent = KeyTable.session.slot(named: "userAgent")
    private static let userFactor = KeyTable.factors.slot(named: Factor.user.rawValue)
    private static let webAuthNFactor = KeyTable.factors.slot(named: Factor.webAuthN.rawValue)
    /// In `Factor.allCases` order, as they are packed.
    private static let timeOnlyFactors = Factor.allCases.filter(\.holdsOnlyATime).map {
        KeyTable.factors.slot(named: $0.rawValue)
    }
    private static let verifiedAt = KeyTable.verifiedFactor.slot(named: "verifiedAt")
    private static let userVerifiedAt = KeyTable.userFactor.slot(named: "verifiedAt")
    private static let userFields = ["id", "loginName", "displayName", "organizationId"].map {
        KeyTable.userFactor.slot(named: $0)
    }
    private static let webAuthNVerifiedAt = KeyTable.webAuthNFactor.slot(named: "verifiedAt")
    private static let userVerified = KeyTable.webAuthNFactor.slot(named: "userVerified")
    private static let agentStrings = ["fingerprintId", "ip", "description"].map { KeyTable.userAgent.slot(named: $0) }
    private static let agentHeader = KeyTable.userAgent.slot(named: "header")
    private static let headerValues = KeyTable.headerValues.slot(named: "values")

    /// A `zitadel.sessions` entry, packed as `ZitadelSessionSeed(sessionToken:creatorUserId:session:)` packs it.
    mutating func sessionEntry(_ node: Int) -> ZitadelSessionSeed? {
        guard let entry = fields(node, .sessionEntry), entry[Self.entrySession] != Self.absent,
            let session = fields(Int(entry[Self.entrySession]), .session)
        else { return nil }
        writer.bytes.removeAll(keepingCapacity: true)
        hasRelativeTimes = false
        guard let id = text(session[Self.sessionId]), !id.isEmpty, Self.scalarCount(id) <= 200 else { return nil }
        writer.byteString(id)
        guard timestamp(session[Self.creationDate]), timestamp(session[Self.changeDate]),
            timestamp(session[Self.expirationDate]), sequence(session[Self.sequence])
        else { return nil }
        var checkedUserId: UnsafeBufferPointer<UInt8>?
        guard factors(session[Self.factors], checkedUserId: &checkedUserId), metadata(session[Self.metadata]),
            userAgent(session[Self.userAgent])
        else { return nil }
        let ownersStart = writer.bytes.count
        guard optionalString(entry[Self.entryToken], nonEmpty: true),
            optionalString(entry[Self.entryCreator], nonEmpty: true)
        else { return nil }
        if let checkedUserId, !checkedUserId.isEmpty {
            writer.bool(true)
            writer.byteString(checkedUserId)
        } else {
            writer.bool(false)
        }
        return ZitadelSessionSeed(
            packed: writer.exactCopy,
            ownersStart: ownersStart,
            hasRelativeTimes: hasRelativeTimes,
            id: String(decoding: id, as: UTF8.self)
        )
    }

    private static func scalarCount(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in utf8 where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// uint64 as a JSON string of digits, or as a number.
    private mutating func sequence(_ node: Int32) -> Bool {
        guard node != Self.absent else {
            writer.integer(0)
            return true
        }
        guard let digits = view.rawText(Int(node)) ?? view.numberText(Int(node)), !digits.isEmpty else {
            return false
        }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= 48, byte <= 57 else { return false }
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times10.addingReportingOverflow(UInt64(byte - 48))
            guard !overflow, !carry else { return false }
            value = sum
        }
        writer.integer(value)
        return true
    }

    /// The factors in `PackedZitadelSession`'s order: user, webAuthN, then those that hold only a time.
    private mutating func factors(_ node: Int32, checkedUserId: inout UnsafeBufferPointer<UInt8>?) -> Bool {
        var slots = Slots(repeating: Self.absent)
        if node != Self.absent {
            guard let given = fields(Int(node), .factors) else { return false }
            slots = given
        }
        let user = slots[Self.userFactor]
        writer.bool(user != Self.absent)
        if user != Self.absent {
            guard let f = fields(Int(user), .userFactor), f[Self.userVerifiedAt] != Self.absent,
                timestamp(f[Self.userVerifiedAt])
            else { return false }
            for slot in Self.userFields {
                guard stringOrEmpty(f[slot]) else { return false }
            }
            checkedUserId = text(f[Self.userFields[0]])
        }
        let webAuthN = slots[Self.webAuthNFactor]
        writer.bool(webAuthN != Self.absent)
        if webAuthN != Self.absent {
            guard let f = fields(Int(webAuthN), .webAuthNFactor), f[Self.webAuthNVerifiedAt] != Self.absent,
                timestamp(f[Self.webAuthNVerifiedAt])
            else { return false }
            var verified = false
            if f[Self.userVerified] != Self.absent {
                guard let given = bool(f[Self.userVerified]) else { return false }
                verified = given
            }
            writer.bool(verified)
        }
        for slot in Self.timeOnlyFactors {
            let factorNode = slots[slot]
            writer.bool(factorNode != Self.absent)
            guard factorNode != Self.absent else { continue }
            guard let f = fields(Int(factorNode), .verifiedFactor), f[Self.verifiedAt] != Self.absent,
                timestamp(f[Self.verifiedAt])
            else { return false }
        }
        return true
    }

    /// Map keys to base64 values; the tape has refused duplicate keys.
    private mutating func metadata(_ node: Int32) -> Bool {
        guard node != Self.absent else {
            writer.integer(0)
            return true
        }
        let object = Int(node)
        guard view.kind(object) == .object else { return false }
        writer.integer(UInt64(memberCount(object)))
        var member = object + 1
        while member < view.next(object) {
            guard let key = view.rawKey(member), let value = view.rawText(member),
                let bytes = Base64Text.decode(String(decoding: value, as: UTF8.self))
            else { return false }
            writer.byteString(key)
            writer.byteString(bytes)
            member = view.next(member)
        }
        return true
    }

    private func memberCount(_ node: Int) -> Int {
        var count = 0
        var member = node + 1
        while member < view.next(node) {
            count += 1
            member = view.next(member)
        }
        return count
    }

    /// An empty user agent object is no user agent, as the validating parser reads it.
    private mutating func userAgent(_ node: Int32) -> Bool {
        guard node != Self.absent else {
            writer.bool(false)
            return true
        }
        guard let agent = fields(Int(node), .userAgent) else { return false }
        let header = agent[Self.agentHeader]
        if header != Self.absent {
            guard view.kind(Int(header)) == .object else { return false }
        }
        let isEmpty =
            Self.agentStrings.allSatisfy { agent[$0] == Self.absent }
            && (header == Self.absent || memberCount(Int(header)) == 0)
        writer.bool(!isEmpty)
        guard !isEmpty else { return true }
        for slot in Self.agentStrings {
            guard optionalString(agent[slot], nonEmpty: false) else { return false }
        }
        guard header != Self.absent else {
            writer.integer(0)
            return true
        }
        let object = Int(header)
        writer.integer(UInt64(memberCount(object)))
        var member = object + 1
        while member < view.next(object) {
            guard let name = view.rawKey(member), let values = fields(member, .headerValues) else { return false }
            writer.byteString(name)
            let list = values[Self.headerValues]
            if list == Self.absent {
                writer.integer(0)
            } else {
                let array = Int(list)
                guard view.kind(array) == .array else { return false }
                writer.integer(UInt64(memberCount(array)))
                var item = array + 1
                while item < view.next(array) {
                    guard let value = view.rawText(item) else { return false }
                    writer.byteString(value)
                    item = view.next(item)
                }
            }
            member = view.next(member)
        }
        return true
    }

    // MARK: - Challenges

    private static let challengeProject = KeyTable.challengeEntry.slot(named: "project")
    private static let challengeWire = KeyTable.challengeEntry.slot(named: "challenge")
    private static let challengeTimeline = KeyTable.challengeEntry.slot(named: "timeline")
    private static let challengeId = KeyTable.challenge.slot(named: "id")
    private static let challengeCode = KeyTable.challenge.slot(named: "code")
    private static let challengeExpired = KeyTable.challenge.slot(named: "expired")
    private static let challengeCompleted = KeyTable.challenge.slot(named: "completed")

    /// A `walletkit.sessionChallenges` entry without a timeline.
    func challengeEntry(_ node: Int) -> SessionChallengeSeed? {
        guard let entry = fields(node, .challengeEntry), entry[Self.challengeTimeline] == Self.absent,
            entry[Self.challengeWire] != Self.absent, let wire = fields(Int(entry[Self.challengeWire]), .challenge),
            let id = text(wire[Self.challengeId]), !id.isEmpty,
            let code = text(wire[Self.challengeCode]), !code.isEmpty,
            wire[Self.challengeExpired] != Self.absent, let expired = bool(wire[Self.challengeExpired]),
            wire[Self.challengeCompleted] != Self.absent, let completed = bool(wire[Self.challengeCompleted])
        else { return nil }
        var project: String?
        let projectNode = entry[Self.challengeProject]
        if projectNode != Self.absent {
            guard let text = view.rawText(Int(projectNode)), !text.isEmpty else { return nil }
            project = String(decoding: text, as: UTF8.self)
        }
        return SessionChallengeSeed(
            project: project,
            challenge: SessionChallenge(
                id: String(decoding: id, as: UTF8.self),
                code: String(decoding: code, as: UTF8.self),
                expired: expired,
                completed: completed
            )
        )
    }
}

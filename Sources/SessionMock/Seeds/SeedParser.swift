/// One problem in a seed: where (file and JSON path) and why.
public struct SeedIssue: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var reason: String
    public var description: String { "\(file): \(path): \(reason)" }
}

/// A seed refused in full; every problem found is listed.
public struct SeedError: Error, Sendable, CustomStringConvertible {
    public var issues: [SeedIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }

    public init(issues: [SeedIssue]) { self.issues = issues }
    public init(file: String, path: String = "$", reason: String) {
        issues = [SeedIssue(file: file, path: path, reason: reason)]
    }
}

/// Validates a seed document and builds a `SeedDocument`. All problems are collected (up to a
/// limit) so one run of `validate` shows everything wrong in a file.
public struct SeedParser {
    private let file: String
    private var issues: [SeedIssue] = []
    private static let maxIssues = 100

    public static func parse(_ bytes: [UInt8], file: String) throws(SeedError) -> SeedDocument {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw SeedError(file: file, path: "$", reason: "not valid JSON: \(error.description)")
        }
        return try parse(root, file: file)
    }

    public static func parse(_ root: JSONValue, file: String) throws(SeedError) -> SeedDocument {
        var parser = SeedParser(file: file)
        let document = parser.document(root)
        if !parser.issues.isEmpty { throw SeedError(issues: parser.issues) }
        return document
    }

    /// One `walletkit.sessionChallenges` entry on its own (the store API's PUT body).
    public static func parseChallengeEntry(_ value: JSONValue, file: String = "request body") throws(SeedError) -> SessionChallengeSeed {
        var parser = SeedParser(file: file)
        let entry = parser.challengeEntry(value, "$")
        if let entry, parser.issues.isEmpty { return entry }
        throw SeedError(issues: parser.issues)
    }

    /// One `zitadel.sessions` entry on its own (the store API's PUT body).
    public static func parseSessionEntry(_ value: JSONValue, file: String = "request body") throws(SeedError) -> ZitadelSessionSeed {
        var parser = SeedParser(file: file)
        let entry = parser.sessionEntry(value, "$")
        if let entry, parser.issues.isEmpty { return entry }
        throw SeedError(issues: parser.issues)
    }

    private init(file: String) { self.file = file }

    // MARK: - Reading helpers

    private mutating func fail(_ path: String, _ reason: String) {
        if issues.count < Self.maxIssues { issues.append(SeedIssue(file: file, path: path, reason: reason)) }
    }

    private static func child(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 36 }
        return plain ? "\(path).\(key)" : "\(path)[\(JSONValue.string(key).serializedString)]"
    }

    /// The members of an object whose keys are all known (a typo is an error, not ignored data).
    /// `aliases` maps an accepted alternative spelling (proto field names) to the canonical key.
    private mutating func object(_ value: JSONValue, _ path: String, keys: [String], aliases: [String: String] = [:]) -> Fields? {
        guard case .object(let members) = value else {
            fail(path, "expected an object, found \(value.typeName)")
            return nil
        }
        var result = Fields()
        var seenKeys: [String] = []
        for (key, member) in members {
            let canonical = aliases[key] ?? key
            let memberPath = Self.child(path, key)
            guard keys.contains(canonical) else {
                fail(memberPath, "unknown field '\(key)' (known: \(keys.sorted().joined(separator: ", ")))")
                continue
            }
            guard !seenKeys.contains(canonical) else {
                fail(memberPath, "'\(key)' given twice (as '\(canonical)' too)")
                continue
            }
            seenKeys.append(canonical)
            // JSON null means "unset", as in proto3 JSON.
            if case .null = member { continue }
            result.members.append((canonical, (member, memberPath)))
        }
        return result
    }

    private mutating func string(_ field: (JSONValue, String)?, required: Bool = false, nonEmpty: Bool = false, missingPath: String = "") -> String? {
        guard let (value, path) = field else {
            if required { fail(missingPath, "required string is missing") }
            return nil
        }
        guard case .string(let text) = value else {
            fail(path, "expected a string, found \(value.typeName)")
            return nil
        }
        if nonEmpty && text.isEmpty { fail(path, "must not be empty"); return nil }
        return text
    }

    private mutating func bool(_ field: (JSONValue, String)?, required: Bool = false, missingPath: String = "") -> Bool? {
        guard let (value, path) = field else {
            if required { fail(missingPath, "required boolean is missing") }
            return nil
        }
        guard case .bool(let flag) = value else {
            fail(path, "expected true or false, found \(value.typeName)")
            return nil
        }
        return flag
    }

    private mutating func integer(_ field: (JSONValue, String)?, range: ClosedRange<Int>) -> Int? {
        guard let (value, path) = field else { return nil }
        guard case .number(let text) = value, let number = Int(text), range.contains(number) else {
            fail(path, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(value.serializedString)")
            return nil
        }
        return number
    }

    private mutating func array(_ field: (JSONValue, String)?) -> [(JSONValue, String)] {
        guard let (value, path) = field else { return [] }
        guard case .array(let items) = value else {
            fail(path, "expected an array, found \(value.typeName)")
            return []
        }
        return items.enumerated().map { ($1, "\(path)[\($0)]") }
    }

    private mutating func stringArray(_ field: (JSONValue, String)?) -> [String]? {
        guard field != nil else { return nil }
        return array(field).compactMap { string(($0.0, $0.1), nonEmpty: true) }
    }

    private mutating func timestamp(_ field: (JSONValue, String)?) -> SeedTimestamp? {
        guard let text = string(field), let (_, path) = field else { return nil }
        switch SeedTimestamp.parse(text) {
        case .success(let timestamp): return timestamp
        case .failure(let error): fail(path, error.description); return nil
        }
    }

    // MARK: - Document

    private mutating func document(_ root: JSONValue) -> SeedDocument {
        var document = SeedDocument()
        guard let top = object(root, "$", keys: ["$schema", "description", "walletkit", "zitadel", "faults"]) else { return document }
        _ = string(top["$schema"])
        _ = string(top["description"])
        if let walletKit = top["walletkit"] { document.walletKit = walletKitSeed(walletKit.0, walletKit.1) }
        if let zitadel = top["zitadel"] { document.zitadel = zitadelSeed(zitadel.0, zitadel.1) }
        document.faults = array(top["faults"]).compactMap { fault($0.0, $0.1) }
        return document
    }

    private mutating func walletKitSeed(_ value: JSONValue, _ path: String) -> WalletKitSeed {
        var seed = WalletKitSeed()
        guard let fields = object(value, path, keys: ["projects", "sessionChallenges"]) else { return seed }
        seed.projects = stringArray(fields["projects"])
        var codes: [String: String] = [:]
        for (entry, entryPath) in array(fields["sessionChallenges"]) {
            guard let challenge = challengeEntry(entry, entryPath) else { continue }
            if let first = codes[challenge.challenge.code] {
                fail(entryPath + ".challenge.code", "code '\(challenge.challenge.code)' is already used at \(first)")
                continue
            }
            codes[challenge.challenge.code] = entryPath
            if let projects = seed.projects, let project = challenge.project, !projects.contains(project) {
                fail(entryPath + ".project", "project '\(project)' is not in walletkit.projects (\(projects.joined(separator: ", ")))")
            }
            seed.sessionChallenges.append(challenge)
        }
        return seed
    }

    fileprivate mutating func challengeEntry(_ value: JSONValue, _ path: String) -> SessionChallengeSeed? {
        guard let fields = object(value, path, keys: ["project", "challenge", "timeline"]) else { return nil }
        let project = string(fields["project"], nonEmpty: true)
        guard let (wire, wirePath) = fields["challenge"] else {
            fail(Self.child(path, "challenge"), "required object is missing (the SessionChallenge as WalletKit sends it)")
            return nil
        }
        guard let challenge = challenge(wire, wirePath) else { return nil }
        var seed = SessionChallengeSeed(project: project, challenge: challenge)
        for (step, stepPath) in array(fields["timeline"]) {
            if let parsed = timelineStep(step, stepPath) { seed.timeline.append(parsed) }
        }
        return seed
    }

    private mutating func challenge(_ value: JSONValue, _ path: String) -> SessionChallenge? {
        guard let fields = object(value, path, keys: ["id", "code", "expired", "completed"]) else { return nil }
        let id = string(fields["id"], required: true, nonEmpty: true, missingPath: Self.child(path, "id"))
        let code = string(fields["code"], required: true, nonEmpty: true, missingPath: Self.child(path, "code"))
        let expired = bool(fields["expired"], required: true, missingPath: Self.child(path, "expired"))
        let completed = bool(fields["completed"], required: true, missingPath: Self.child(path, "completed"))
        guard let id, let code, let expired, let completed else { return nil }
        return SessionChallenge(id: id, code: code, expired: expired, completed: completed)
    }

    private mutating func timelineStep(_ value: JSONValue, _ path: String) -> TimelineStep? {
        guard let fields = object(value, path, keys: ["afterPolls", "after", "set"]) else { return nil }
        let trigger: TimelineStep.Trigger
        switch (fields["afterPolls"], fields["after"]) {
        case (let polls?, nil):
            guard let count = integer(polls, range: 0...1_000_000) else { return nil }
            trigger = .afterPolls(count)
        case (nil, let after?):
            guard let text = string(after) else { return nil }
            switch SeedDuration.parse(text) {
            case .success(let duration): trigger = .after(duration)
            case .failure(let error): fail(after.1, error.description); return nil
            }
        case (nil, nil):
            fail(path, "a timeline step needs 'afterPolls' or 'after'")
            return nil
        default:
            fail(path, "a timeline step takes 'afterPolls' or 'after', not both")
            return nil
        }
        guard let set = fields["set"] else {
            fail(Self.child(path, "set"), "required object is missing (e.g. {\"completed\": true})")
            return nil
        }
        guard let changes = object(set.0, set.1, keys: ["expired", "completed"]) else { return nil }
        let step = TimelineStep(trigger: trigger, setExpired: bool(changes["expired"]), setCompleted: bool(changes["completed"]))
        if step.setExpired == nil && step.setCompleted == nil {
            fail(set.1, "sets nothing: give 'expired' and/or 'completed'")
            return nil
        }
        return step
    }

    // MARK: - ZITADEL

    private mutating func zitadelSeed(_ value: JSONValue, _ path: String) -> ZitadelSeed {
        var seed = ZitadelSeed()
        guard let fields = object(value, path, keys: ["tokens", "sessions"]) else { return seed }
        var tokens: [String: String] = [:]
        for (entry, entryPath) in array(fields["tokens"]) {
            guard let token = tokenEntry(entry, entryPath) else { continue }
            if let first = tokens[token.token] {
                fail(entryPath + ".token", "token is already used at \(first)")
                continue
            }
            tokens[token.token] = entryPath
            seed.tokens.append(token)
        }
        var ids: [String: String] = [:]
        for (entry, entryPath) in array(fields["sessions"]) {
            guard let session = sessionEntry(entry, entryPath) else { continue }
            if let first = ids[session.session.id] {
                fail(entryPath + ".session.id", "session id '\(session.session.id)' is already used at \(first)")
                continue
            }
            ids[session.session.id] = entryPath
            seed.sessions.append(session)
        }
        return seed
    }

    private mutating func tokenEntry(_ value: JSONValue, _ path: String) -> ZitadelToken? {
        guard let fields = object(value, path, keys: ["token", "userId", "permissions"]) else { return nil }
        let token = string(fields["token"], required: true, nonEmpty: true, missingPath: Self.child(path, "token"))
        let userId = string(fields["userId"], required: true, nonEmpty: true, missingPath: Self.child(path, "userId"))
        let permissions = stringArray(fields["permissions"]) ?? []
        if let token, token.contains(where: { $0 == " " || $0 == "\t" }) {
            fail(Self.child(path, "token"), "a bearer token cannot contain spaces")
            return nil
        }
        guard let token, let userId else { return nil }
        return ZitadelToken(token: token, userId: userId, permissions: permissions)
    }

    fileprivate mutating func sessionEntry(_ value: JSONValue, _ path: String) -> ZitadelSessionSeed? {
        guard let fields = object(value, path, keys: ["sessionToken", "creatorUserId", "session"]) else { return nil }
        let token = string(fields["sessionToken"], nonEmpty: true)
        let creator = string(fields["creatorUserId"], nonEmpty: true)
        guard let (wire, wirePath) = fields["session"] else {
            fail(Self.child(path, "session"), "required object is missing (the Session as ZITADEL sends it)")
            return nil
        }
        guard let session = session(wire, wirePath) else { return nil }
        return ZitadelSessionSeed(sessionToken: token, creatorUserId: creator, session: session)
    }

    /// proto3 JSON accepts the proto field names too; a pasted response may use either.
    private static let sessionAliases = [
        "creation_date": "creationDate", "change_date": "changeDate", "user_agent": "userAgent",
        "expiration_date": "expirationDate",
    ]

    private mutating func session(_ value: JSONValue, _ path: String) -> ZitadelSession? {
        let issuesBefore = issues.count
        guard let fields = object(value, path, keys: ["id", "creationDate", "changeDate", "sequence", "factors", "metadata", "userAgent", "expirationDate"], aliases: Self.sessionAliases) else { return nil }
        var session = ZitadelSession()
        if let id = string(fields["id"], required: true, nonEmpty: true, missingPath: Self.child(path, "id")) {
            if id.unicodeScalars.count > 200 { fail(Self.child(path, "id"), "longer than 200 characters, ZITADEL's limit") }
            session.id = id
        }
        session.creationDate = timestamp(fields["creationDate"])
        session.changeDate = timestamp(fields["changeDate"])
        session.expirationDate = timestamp(fields["expirationDate"])
        if let (sequence, sequencePath) = fields["sequence"] {
            // uint64 travels as a JSON string; a number is accepted as proto3 JSON parsers do.
            let text: String?
            switch sequence {
            case .string(let s): text = s
            case .number(let n): text = n
            default: text = nil
            }
            if let text, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = UInt64(text) {
                session.sequence = number
            } else {
                fail(sequencePath, "expected an unsigned 64-bit integer as a string (\"4\"), found \(sequence.serializedString)")
            }
        }
        if let factors = fields["factors"] { session.factors = self.factors(factors.0, factors.1) }
        if let (metadata, metadataPath) = fields["metadata"],
           let entries = object(metadata, metadataPath, keys: [], aliases: [:], allowAnyKey: true) {
            for (key, (entry, entryPath)) in entries {
                guard let text = string((entry, entryPath)) else { continue }
                guard let bytes = Base64.decode(text) else {
                    fail(entryPath, "metadata values are bytes, written as base64 ('YWNtZQ==' for 'acme')")
                    continue
                }
                session.metadata[key] = bytes
            }
        }
        if let userAgent = fields["userAgent"] { session.userAgent = self.userAgent(userAgent.0, userAgent.1) }
        return issues.count == issuesBefore ? session : nil
    }

    private mutating func object(_ value: JSONValue, _ path: String, keys: [String], aliases: [String: String], allowAnyKey: Bool) -> Fields? {
        guard allowAnyKey else { return object(value, path, keys: keys, aliases: aliases) }
        guard case .object(let members) = value else {
            fail(path, "expected an object, found \(value.typeName)")
            return nil
        }
        // Keys are unique already: JSONParser refuses duplicates.
        return Fields(members: members.map { ($0.key, ($0.value, Self.child(path, $0.key))) })
    }

    private static let factorAliases = [
        "web_auth_n": "webAuthN", "otp_sms": "otpSms", "otp_email": "otpEmail", "recovery_code": "recoveryCode",
    ]

    private mutating func factors(_ value: JSONValue, _ path: String) -> ZitadelSession.Factors {
        var factors = ZitadelSession.Factors()
        guard let fields = object(value, path, keys: ["user", "password", "webAuthN", "intent", "totp", "otpSms", "otpEmail", "recoveryCode"], aliases: Self.factorAliases) else { return factors }
        if let (user, userPath) = fields["user"],
           let f = object(user, userPath, keys: ["verifiedAt", "id", "loginName", "displayName", "organizationId"],
                          aliases: ["verified_at": "verifiedAt", "login_name": "loginName", "display_name": "displayName", "organization_id": "organizationId"]) {
            var factor = ZitadelSession.UserFactor()
            factor.verifiedAt = verifiedAt(f, userPath)
            factor.id = string(f["id"]) ?? ""
            factor.loginName = string(f["loginName"]) ?? ""
            factor.displayName = string(f["displayName"]) ?? ""
            factor.organizationId = string(f["organizationId"]) ?? ""
            factors.user = factor
        }
        if let (webAuthN, webAuthNPath) = fields["webAuthN"],
           let f = object(webAuthN, webAuthNPath, keys: ["verifiedAt", "userVerified"], aliases: ["verified_at": "verifiedAt", "user_verified": "userVerified"]) {
            factors.webAuthN = ZitadelSession.WebAuthNFactor(verifiedAt: verifiedAt(f, webAuthNPath), userVerified: bool(f["userVerified"]) ?? false)
        }
        func simple(_ name: String, _ parser: inout SeedParser) -> ZitadelSession.VerifiedFactor? {
            guard let (factor, factorPath) = fields[name],
                  let f = parser.object(factor, factorPath, keys: ["verifiedAt"], aliases: ["verified_at": "verifiedAt"]) else { return nil }
            return ZitadelSession.VerifiedFactor(verifiedAt: parser.verifiedAt(f, factorPath))
        }
        factors.password = simple("password", &self)
        factors.intent = simple("intent", &self)
        factors.totp = simple("totp", &self)
        factors.otpSms = simple("otpSms", &self)
        factors.otpEmail = simple("otpEmail", &self)
        factors.recoveryCode = simple("recoveryCode", &self)
        return factors
    }

    /// A factor is present only once verified, so its `verifiedAt` is required.
    private mutating func verifiedAt(_ fields: Fields, _ path: String) -> SeedTimestamp? {
        guard fields["verifiedAt"] != nil else {
            fail(Self.child(path, "verifiedAt"), "required: a factor is present only once verified (leave the factor out instead)")
            return nil
        }
        return timestamp(fields["verifiedAt"])
    }

    private mutating func userAgent(_ value: JSONValue, _ path: String) -> ZitadelSession.UserAgent? {
        guard let fields = object(value, path, keys: ["fingerprintId", "ip", "description", "header"], aliases: ["fingerprint_id": "fingerprintId"]) else { return nil }
        var agent = ZitadelSession.UserAgent()
        agent.fingerprintId = string(fields["fingerprintId"])
        agent.ip = string(fields["ip"])
        agent.description = string(fields["description"])
        if let (header, headerPath) = fields["header"],
           let entries = object(header, headerPath, keys: [], aliases: [:], allowAnyKey: true) {
            for (name, (entry, entryPath)) in entries {
                guard let values = object(entry, entryPath, keys: ["values"]) else { continue }
                agent.header[name] = array(values["values"]).compactMap { string(($0.0, $0.1)) }
            }
        }
        return agent.isEmpty ? nil : agent
    }

    // MARK: - Faults

    private mutating func fault(_ value: JSONValue, _ path: String) -> FaultRule? {
        let issuesBefore = issues.count
        guard let fields = object(value, path, keys: ["match", "status", "body", "delayMs", "drop", "times"]) else { return nil }
        var rule = FaultRule()
        if let (match, matchPath) = fields["match"],
           let m = object(match, matchPath, keys: ["api", "path", "method", "query", "headers", "code", "sessionId"]) {
            if let api = string(m["api"]) {
                if let known = MockedAPI(rawValue: api.lowercased()) { rule.match.api = known }
                else { fail(m["api"]!.1, "unknown api '\(api)' (known: walletkit, zitadel)") }
            }
            rule.match.path = string(m["path"], nonEmpty: true)
            rule.match.method = string(m["method"], nonEmpty: true)?.uppercased()
            rule.match.code = string(m["code"])
            rule.match.sessionId = string(m["sessionId"])
            for (key, (entry, entryPath)) in (m["query"].flatMap { object($0.0, $0.1, keys: [], aliases: [:], allowAnyKey: true) } ?? Fields()) {
                if let text = string((entry, entryPath)) { rule.match.query.append((key, text)) }
            }
            for (key, (entry, entryPath)) in (m["headers"].flatMap { object($0.0, $0.1, keys: [], aliases: [:], allowAnyKey: true) } ?? Fields()) {
                if let text = string((entry, entryPath)) { rule.match.headers.append((key, text)) }
            }
        } else if fields["match"] == nil {
            fail(Self.child(path, "match"), "required object is missing ({} matches every mocked request)")
        }
        rule.status = integer(fields["status"], range: 100...599)
        rule.body = fields["body"]?.0
        rule.delayMs = integer(fields["delayMs"], range: 0...600_000)
        rule.drop = bool(fields["drop"]) ?? false
        rule.times = integer(fields["times"], range: 1...Int(Int32.max))
        if rule.status == nil && rule.delayMs == nil && !rule.drop {
            fail(path, "a fault needs 'status', 'delayMs' or 'drop'")
        }
        if rule.drop && rule.status != nil {
            fail(path, "'drop' sends no answer, so 'status' would never be seen")
        }
        if rule.body != nil && rule.status == nil {
            fail(Self.child(path, "body"), "'body' needs a 'status'")
        }
        if let status = rule.status, rule.body == nil, !(200...299).contains(status) {
            let apis = rule.match.api.map { [$0] } ?? MockedAPI.allCases
            if !apis.allSatisfy({ $0.documentedErrorStatuses.contains(status) }) {
                fail(fields["status"]!.1, "\(status) is not a documented error of \(apis.map(\.rawValue).joined(separator: "/")) (documented: \(apis.map { "\($0.rawValue) \($0.documentedErrorStatuses.map(String.init).joined(separator: ","))" }.joined(separator: "; "))); give a 'body' for other statuses")
            }
        }
        return issues.count == issuesBefore ? rule : nil
    }
}

/// The members of one seed object with their JSON paths, in document order. Looked up by linear
/// search: seed objects have a handful of keys, and hashing them cost more than it saved (profiled
/// on a 100k-record seed).
struct Fields: Sequence {
    var members: [(key: String, value: (JSONValue, String))] = []

    subscript(key: String) -> (JSONValue, String)? {
        for member in members where member.key == key { return member.value }
        return nil
    }

    func makeIterator() -> IndexingIterator<[(key: String, value: (JSONValue, String))]> { members.makeIterator() }
}

/// Standard base64 (RFC 4648 §4), also accepting the URL-safe alphabet and missing padding on
/// input, as proto3 JSON parsers do.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        var padding = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case 65...90: value = byte - 65
            case 97...122: value = byte - 71
            case 48...57: value = byte + 4
            case 43, 45: value = 62
            case 47, 95: value = 63
            case 61: padding += 1; continue
            default: return nil
            }
            if padding > 0 { return nil }  // data after '='
            values.append(value)
        }
        if values.count % 4 == 1 || padding > 2 { return nil }
        if padding > 0 && (values.count + padding) % 4 != 0 { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var n: UInt32 = 0
            for (k, v) in chunk.enumerated() { n |= UInt32(v) << (18 - 6 * k) }
            out.append(UInt8(n >> 16 & 255))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 255)) }
            if chunk.count > 3 { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}

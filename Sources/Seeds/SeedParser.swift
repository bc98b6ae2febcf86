import JSON
import Platform

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
///
/// Reads a `JSONTape`, so a value's JSON path is worked out only when something is wrong with it
/// (building every path up front would be a large part of loading a 100k-record seed).
public struct SeedParser: Sendable {
    private let file: String
    private let vocabulary: SeedVocabulary
    private let tape: JSONTape
    private var issues: [SeedIssue] = []
    private static let maxIssues = 100
    /// Reads the entries of the large arrays straight from the tape (set while `parse` reads a
    /// whole seed); an entry it does not take is read by the validating code below.
    private var entryReader: SeedEntryReader?
    package typealias Node = Int

    public static func parse(
        _ bytes: [UInt8],
        file: String,
        vocabulary: SeedVocabulary
    ) throws(SeedError) -> SeedDocument {
        try parse(JSONTape.Bytes(bytes), file: file, vocabulary: vocabulary)
    }

    public static func parse(
        _ bytes: JSONTape.Bytes,
        file: String,
        vocabulary: SeedVocabulary
    ) throws(SeedError) -> SeedDocument {
        var parser = try SeedParser(bytes: bytes, file: file, vocabulary: vocabulary)
        let tape = parser.tape
        let document = tape.withView { view in
            parser.entryReader = SeedEntryReader(view: view)
            defer { parser.entryReader = nil }
            return parser.document(tape.root)
        }
        if !parser.issues.isEmpty { throw SeedError(issues: parser.issues) }
        return document
    }

    public static func parse(
        _ root: JSONValue,
        file: String,
        vocabulary: SeedVocabulary
    ) throws(SeedError) -> SeedDocument {
        try parse(root.serialized, file: file, vocabulary: vocabulary)
    }

    /// A single entry holds no fault rule, so names nothing of the vocabulary.
    private static let entryVocabulary = SeedVocabulary(rpcs: [])

    /// One `walletkit.sessionChallenges` entry on its own (the store API's PUT body).
    public static func parseChallengeEntry(
        _ value: JSONValue,
        file: String = "request body"
    ) throws(SeedError) -> SessionChallengeSeed {
        var parser = try SeedParser(bytes: value.serialized, file: file, vocabulary: Self.entryVocabulary)
        let entry = parser.challengeEntry(parser.tape.root)
        if let entry, parser.issues.isEmpty { return entry }
        throw SeedError(issues: parser.issues)
    }

    /// One `zitadel.oidc.authRequests` entry on its own, of one of `clients` (the control API's POST body).
    public static func parseAuthRequestEntry(
        _ value: JSONValue,
        clients: [ZitadelOIDCClient],
        file: String = "request body"
    ) throws(SeedError) -> ZitadelAuthRequestSeed {
        var parser = try SeedParser(bytes: value.serialized, file: file, vocabulary: Self.entryVocabulary)
        let byId = Dictionary(clients.map { ($0.clientId, $0) }, uniquingKeysWith: { first, _ in first })
        let entry = parser.authRequestEntry(parser.tape.root, clients: byId)
        if let entry, parser.issues.isEmpty { return entry }
        throw SeedError(issues: parser.issues)
    }

    /// One `zitadel.sessions` entry on its own (the store API's PUT body).
    public static func parseSessionEntry(
        _ value: JSONValue,
        file: String = "request body"
    ) throws(SeedError) -> ZitadelSessionSeed {
        var parser = try SeedParser(bytes: value.serialized, file: file, vocabulary: Self.entryVocabulary)
        let entry = parser.sessionEntry(parser.tape.root)
        if let entry, parser.issues.isEmpty { return entry }
        throw SeedError(issues: parser.issues)
    }

    /// A `zitadel.sessions` entry given as JSON bytes (e.g. a stored `{"session":{…}}` body).
    public static func parseSessionEntry(
        bytes: [UInt8],
        file: String = "stored session"
    ) throws(SeedError) -> ZitadelSessionSeed {
        var parser = try SeedParser(bytes: bytes, file: file, vocabulary: Self.entryVocabulary)
        let entry = parser.sessionEntry(parser.tape.root)
        if let entry, parser.issues.isEmpty { return entry }
        throw SeedError(issues: parser.issues)
    }

    private init(bytes: [UInt8], file: String, vocabulary: SeedVocabulary) throws(SeedError) {
        try self.init(bytes: JSONTape.Bytes(bytes), file: file, vocabulary: vocabulary)
    }

    private init(bytes: JSONTape.Bytes, file: String, vocabulary: SeedVocabulary) throws(SeedError) {
        self.file = file
        self.vocabulary = vocabulary
        do {
            tape = try JSONTape.parse(bytes)
        } catch {
            throw SeedError(file: file, path: "$", reason: "not valid JSON: \(error.description)")
        }
    }

    // MARK: - Paths and reading helpers

    /// The JSON path of a value (`$.zitadel.sessions[3].session.id`), built from the tape.
    private func path(_ node: Node) -> String {
        var path = "$"
        for step in tape.steps(to: node) {
            switch step {
            case .key(let key): path = Self.child(path, key)
            case .index(let index): path += "[\(index)]"
            }
        }
        return path
    }

    /// Where a missing member would be: its object and its key.
    package struct Missing {
        var object: Node
        var key: String
    }

    private func path(_ missing: Missing) -> String { Self.child(path(missing.object), missing.key) }

    private mutating func fail(_ node: Node, _ reason: String) {
        if issues.count < Self.maxIssues { issues.append(SeedIssue(file: file, path: path(node), reason: reason)) }
    }

    private mutating func fail(_ missing: Missing, _ reason: String) {
        if issues.count < Self.maxIssues { issues.append(SeedIssue(file: file, path: path(missing), reason: reason)) }
    }

    private mutating func fail(_ node: Node, appending suffix: String, _ reason: String) {
        if issues.count < Self.maxIssues {
            issues.append(SeedIssue(file: file, path: path(node) + suffix, reason: reason))
        }
    }

    private static func child(_ path: String, _ key: String) -> String {
        let plain =
            !key.isEmpty
            && key.utf8.allSatisfy {
                ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 36
            }
        return plain ? "\(path).\(key)" : "\(path)[\(JSONValue.string(key).serializedString)]"
    }

    private func typeName(_ node: Node) -> String { tape.kind(node).typeName }

    /// The members of an object whose keys are all known (a typo is an error, not ignored data).
    /// The table also accepts alternative spellings (proto field names) for some keys.
    private mutating func object(_ node: Node, _ table: KeyTable) -> Fields? {
        guard tape.kind(node) == .object else {
            fail(node, "expected an object, found \(typeName(node))")
            return nil
        }
        var result = Fields(object: node, table: table)
        for member in tape.members(node) {
            guard let slot = table.slot(of: member, in: tape) else {
                fail(
                    member,
                    "unknown field '\(tape.key(member))' (known: \(table.names.sorted().joined(separator: ", ")))"
                )
                continue
            }
            guard result.slots[slot] == Fields.absent else {
                fail(member, "'\(tape.key(member))' given twice (as '\(table.names[slot])' too)")
                continue
            }
            // JSON null means "unset", as in proto3 JSON: kept for the duplicate check, then skipped.
            result.slots[slot] = tape.kind(member) == .null ? Fields.null : Int32(member)
        }
        return result
    }

    /// An object whose keys are data (metadata, headers, query): any key, no aliases. The tape
    /// has refused duplicate keys already.
    private mutating func map(_ node: Node) -> [(key: String, node: Node)] {
        guard tape.kind(node) == .object else {
            fail(node, "expected an object, found \(typeName(node))")
            return []
        }
        return tape.members(node).map { (tape.key($0), $0) }
    }

    private mutating func string(_ field: Node?, required: Missing? = nil, nonEmpty: Bool = false) -> String? {
        guard let field else {
            if let required { fail(required, "required string is missing") }
            return nil
        }
        guard let text = tape.string(field) else {
            fail(field, "expected a string, found \(typeName(field))")
            return nil
        }
        if nonEmpty && text.isEmpty {
            fail(field, "must not be empty")
            return nil
        }
        return text
    }

    private mutating func bool(_ field: Node?, required: Missing? = nil) -> Bool? {
        guard let field else {
            if let required { fail(required, "required boolean is missing") }
            return nil
        }
        switch tape.kind(field) {
        case .true: return true
        case .false: return false
        default:
            fail(field, "expected true or false, found \(typeName(field))")
            return nil
        }
    }

    private mutating func integer(_ field: Node?, range: ClosedRange<Int>) -> Int? {
        guard let field else { return nil }
        guard let text = tape.numberText(field), let number = Int(text), range.contains(number) else {
            fail(
                field,
                "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(tape.value(field).serializedString)"
            )
            return nil
        }
        return number
    }

    private mutating func array(_ field: Node?) -> [Node] {
        guard let field else { return [] }
        guard tape.kind(field) == .array else {
            fail(field, "expected an array, found \(typeName(field))")
            return []
        }
        return Array(tape.items(field))
    }

    private mutating func stringArray(_ field: Node?) -> [String]? {
        guard field != nil else { return nil }
        return array(field).compactMap { string($0, nonEmpty: true) }
    }

    private mutating func timestamp(_ field: Node?) -> SeedTimestamp? {
        guard let field, let text = string(field) else { return nil }
        switch SeedTimestamp.parse(text) {
        case .success(let timestamp): return timestamp
        case .failure(let error):
            fail(field, error.description)
            return nil
        }
    }

    // MARK: - Document

    private mutating func document(_ root: Node) -> SeedDocument {
        var document = SeedDocument()
        guard let top = object(root, .document) else { return document }
        _ = string(top["$schema"])
        _ = string(top["description"])
        if let walletKit = top["walletkit"] { document.walletKit = walletKitSeed(walletKit) }
        if let zitadel = top["zitadel"] { document.zitadel = zitadelSeed(zitadel) }
        document.faults = array(top["faults"]).compactMap { fault($0) }
        if let clock = top["clock"] { document.clock = seedClock(clock) }
        if let randomSeed = top["randomSeed"] { document.randomSeed = unsignedInteger(randomSeed) }
        return document
    }

    /// `clock`: `start` (RFC 3339 or `now±duration`) and `frozen`, both optional.
    private mutating func seedClock(_ node: Node) -> SeedClock? {
        guard let fields = object(node, .clock) else { return nil }
        var start: SeedTimestamp?
        if let field = fields["start"], let text = string(field) {
            switch SeedClock.parseStart(text) {
            case .success(let parsed): start = parsed
            case .failure(let error): fail(field, error.description)
            }
        }
        let frozen = bool(fields["frozen"]) ?? false
        return SeedClock(start: start, frozen: frozen)
    }

    /// A whole number from 0 to 2^64−1 (`randomSeed`).
    private mutating func unsignedInteger(_ field: Node) -> UInt64? {
        guard let text = tape.numberText(field), let number = UInt64(text) else {
            fail(field, "expected a whole number from 0 to \(UInt64.max), found \(tape.value(field).serializedString)")
            return nil
        }
        return number
    }

    private mutating func walletKitSeed(_ node: Node) -> WalletKitSeed {
        var seed = WalletKitSeed()
        guard let fields = object(node, .walletKit) else { return seed }
        seed.projects = stringArray(fields["projects"])
        let unique = uniqueEntries(
            array(fields["sessionChallenges"]),
            parse: { parser, entry in parser.entryReader?.challengeEntry(entry) ?? parser.challengeEntry(entry) },
            key: { $0.challenge.code },
            keyPath: ".challenge.code",
            clash: { "code '\($0)' is already used at \($1)" }
        )
        if let projects = seed.projects {
            // By index: a large seed's challenges are checked in place, not copied one by one.
            for index in unique.entries.indices {
                if let project = unique.entries[index].project, !projects.contains(project) {
                    fail(
                        unique.nodes[index],
                        appending: ".project",
                        "project '\(project)' is not in walletkit.projects (\(projects.joined(separator: ", ")))"
                    )
                }
            }
        }
        seed.sessionChallenges = unique.entries
        let users = uniqueEntries(
            array(fields["users"]),
            parse: { parser, entry in parser.walletKitUser(entry) },
            key: \.userId,
            keyPath: ".userId",
            clash: { "user id '\($0)' is already used at \($1)" }
        )
        // login-with-email finds a user by email case-insensitively, within the caller's project.
        var byEmail: [String: (node: Node, project: String?)] = [:]
        for (node, user) in zip(users.nodes, users.entries) {
            if let projects = seed.projects, let project = user.project, !projects.contains(project) {
                fail(
                    node,
                    appending: ".project",
                    "project '\(project)' is not in walletkit.projects (\(projects.joined(separator: ", ")))"
                )
                continue
            }
            let email = user.email.lowercased()
            if let first = byEmail[email], first.project == nil || user.project == nil || first.project == user.project
            {
                fail(
                    node,
                    appending: ".email",
                    "email '\(user.email)' is already used at \(path(first.node)) for the same project (emails match case-insensitively)"
                )
                continue
            }
            if byEmail[email] == nil { byEmail[email] = (node, user.project) }
            seed.users.append(user)
        }
        if let settings = fields["settings"] { seed.settings = walletKitSettings(settings) }
        return seed
    }

    /// Longest email login-with-email accepts (RFC 5321's path limit), also for seeded users.
    package static let maxEmailLength = 254

    fileprivate mutating func walletKitUser(_ node: Node) -> WalletKitUser? {
        guard let fields = object(node, .walletKitUser) else { return nil }
        let userId = string(fields["userId"], required: fields.missing("userId"), nonEmpty: true)
        var email = string(fields["email"], required: fields.missing("email"), nonEmpty: true)
        if let text = email, let field = fields["email"] {
            if text.utf8.count > Self.maxEmailLength {
                fail(field, "longer than \(Self.maxEmailLength) bytes")
                email = nil
            } else if !text.contains("@") {
                fail(field, "not an email address (no '@')")
                email = nil
            }
        }
        let project = string(fields["project"], nonEmpty: true)
        let code = string(fields["verificationCode"], nonEmpty: true)
        guard let userId, let email else { return nil }
        return WalletKitUser(userId: userId, email: email, project: project, verificationCode: code)
    }

    private mutating func walletKitSettings(_ node: Node) -> WalletKitSettings {
        var settings = WalletKitSettings()
        guard let fields = object(node, .walletKitSettings) else { return settings }
        func duration(_ key: String, positive: Bool) -> SeedDuration? {
            guard let field = fields[key], let text = string(field) else { return nil }
            switch SeedDuration.parse(text) {
            case .success(let duration):
                if positive && duration.micros == 0 {
                    fail(field, "must be longer than 0")
                    return nil
                }
                return duration
            case .failure(let error):
                fail(field, error.description)
                return nil
            }
        }
        if let ttl = duration("challengeTtl", positive: true) { settings.challengeTtl = ttl }
        if let ttl = duration("accessTokenTtl", positive: true) { settings.accessTokenTtl = ttl }
        if let ttl = duration("refreshTokenTtl", positive: true) { settings.refreshTokenTtl = ttl }
        if let length = fields["codeLength"].flatMap({ integer($0, range: 4...12) }) { settings.codeLength = length }
        for step in array(fields["newChallengeTimeline"]) {
            if let parsed = timelineStep(step) { settings.newChallengeTimeline.append(parsed) }
        }
        return settings
    }

    /// Parses the entries of a large array on every core (each part with a parser of its own;
    /// their issues are kept in document order), a small one inline.
    private mutating func parseEntries<Entry: Sendable>(
        _ entries: [Node],
        _ parse: @Sendable (inout SeedParser, Node) -> Entry?
    ) -> [Entry?] {
        var fresh = self
        fresh.issues = []
        let template = fresh
        var parts = Parallel.chunks(count: entries.count) { range in
            var parser = template
            let parsed = entries[range].map { parse(&parser, $0) }
            return (parsed: parsed, issues: parser.issues)
        }
        var result: [Entry?] = []
        result.reserveCapacity(entries.count)
        // Entries are moved out of the parts, not copied: a session seed holds some twenty
        // strings, and copying 100,000 of them (then freeing the originals) would cost a tenth of start-up.
        for part in parts.indices {
            issues += parts[part].issues.prefix(Self.maxIssues - issues.count)
            var parsed: [Entry?] = []
            swap(&parsed, &parts[part].parsed)
            for index in parsed.indices { result.append(parsed[index].take()) }
        }
        return result
    }

    /// The valid entries of an array whose entries must differ in `key`, with the node of each; a
    /// repeated key is an issue at the later entry, naming the first.
    private mutating func uniqueEntries<Entry: Sendable>(
        _ entries: [Node],
        parse: @Sendable (inout SeedParser, Node) -> Entry?,
        key: (Entry) -> String,
        keyPath: String,
        clash: (_ key: String, _ firstPath: String) -> String
    ) -> (nodes: [Node], entries: [Entry]) {
        var parsed = parseEntries(entries, parse)
        var firstByKey: [String: Node] = [:]
        firstByKey.reserveCapacity(entries.count)
        var nodes: [Node] = []
        nodes.reserveCapacity(entries.count)
        var unique: [Entry] = []
        unique.reserveCapacity(entries.count)
        for (index, node) in entries.enumerated() {
            guard let entry = parsed[index].take() else { continue }
            let entryKey = key(entry)
            if let first = firstByKey.updateValue(node, forKey: entryKey) {
                firstByKey[entryKey] = first
                fail(node, appending: keyPath, clash(entryKey, path(first)))
                continue
            }
            nodes.append(node)
            unique.append(entry)
        }
        return (nodes, unique)
    }

    fileprivate mutating func challengeEntry(_ node: Node) -> SessionChallengeSeed? {
        guard let fields = object(node, .challengeEntry) else { return nil }
        let project = string(fields["project"], nonEmpty: true)
        guard let wire = fields["challenge"] else {
            fail(fields.missing("challenge"), "required object is missing (the SessionChallenge as WalletKit sends it)")
            return nil
        }
        guard let challenge = challenge(wire) else { return nil }
        var seed = SessionChallengeSeed(project: project, challenge: challenge)
        for step in array(fields["timeline"]) {
            if let parsed = timelineStep(step) { seed.timeline.append(parsed) }
        }
        return seed
    }

    private mutating func challenge(_ node: Node) -> SessionChallenge? {
        guard let fields = object(node, .challenge) else { return nil }
        let id = string(fields["id"], required: fields.missing("id"), nonEmpty: true)
        let code = string(fields["code"], required: fields.missing("code"), nonEmpty: true)
        let expired = bool(fields["expired"], required: fields.missing("expired"))
        let completed = bool(fields["completed"], required: fields.missing("completed"))
        guard let id, let code, let expired, let completed else { return nil }
        return SessionChallenge(id: id, code: code, expired: expired, completed: completed)
    }

    private mutating func timelineStep(_ node: Node) -> TimelineStep? {
        guard let fields = object(node, .timelineStep) else { return nil }
        let trigger: TimelineStep.Trigger
        switch (fields["afterPolls"], fields["after"]) {
        case (let polls?, nil):
            guard let count = integer(polls, range: 0...1_000_000) else { return nil }
            trigger = .afterPolls(count)
        case (nil, let after?):
            guard let text = string(after) else { return nil }
            switch SeedDuration.parse(text) {
            case .success(let duration): trigger = .after(duration)
            case .failure(let error):
                fail(after, error.description)
                return nil
            }
        case (nil, nil):
            fail(node, "a timeline step needs 'afterPolls' or 'after'")
            return nil
        default:
            fail(node, "a timeline step takes 'afterPolls' or 'after', not both")
            return nil
        }
        guard let set = fields["set"] else {
            fail(fields.missing("set"), "required object is missing (e.g. {\"completed\": true})")
            return nil
        }
        guard let changes = object(set, .timelineSet) else { return nil }
        let step = TimelineStep(
            trigger: trigger,
            setExpired: bool(changes["expired"]),
            setCompleted: bool(changes["completed"])
        )
        if step.setExpired == nil && step.setCompleted == nil {
            fail(set, "sets nothing: give 'expired' and/or 'completed'")
            return nil
        }
        return step
    }

    // MARK: - ZITADEL

    private mutating func zitadelSeed(_ node: Node) -> ZitadelSeed {
        var seed = ZitadelSeed()
        guard let fields = object(node, .zitadel) else { return seed }
        var tokens: [String: Node] = [:]
        for entry in array(fields["tokens"]) {
            guard let token = tokenEntry(entry) else { continue }
            if let first = tokens.updateValue(entry, forKey: token.token) {
                tokens[token.token] = first
                fail(entry, appending: ".token", "token is already used at \(path(first))")
                continue
            }
            seed.tokens.append(token)
        }
        seed.sessions =
            uniqueEntries(
                array(fields["sessions"]),
                parse: { parser, entry in parser.entryReader?.sessionEntry(entry) ?? parser.sessionEntry(entry) },
                key: { $0.id },
                keyPath: ".session.id",
                clash: { "session id '\($0)' is already used at \($1)" }
            )
            .entries
        let users = uniqueEntries(
            array(fields["users"]),
            parse: { parser, entry in parser.user(entry) },
            key: \.userId,
            keyPath: ".userId",
            clash: { "user id '\($0)' is already used at \($1)" }
        )
        // A user check finds login names case-insensitively, so two may not differ only in case.
        var byLoginName: [String: Node] = [:]
        for (node, user) in zip(users.nodes, users.entries) {
            if let first = byLoginName.updateValue(node, forKey: user.loginName.lowercased()) {
                byLoginName[user.loginName.lowercased()] = first
                fail(
                    node,
                    appending: ".loginName",
                    "login name '\(user.loginName)' is already used at \(path(first)) (login names match case-insensitively)"
                )
                continue
            }
            seed.users.append(user)
        }
        seed.instanceId = string(fields["instanceId"], nonEmpty: true)
        if let node = fields["settings"] { seed.settings = settings(node) }
        organizations(fields["organizations"], into: &seed)
        defaultLockout(&seed)
        if let oidc = fields["oidc"], let oidcFields = object(oidc, .oidc) {
            oidcSeed(oidcFields, into: &seed)
        }
        return seed
    }

    fileprivate mutating func user(_ node: Node) -> ZitadelUser? {
        guard let fields = object(node, .user) else { return nil }
        let userId = string(fields["userId"], required: fields.missing("userId"), nonEmpty: true)
        let loginName = string(fields["loginName"], required: fields.missing("loginName"), nonEmpty: true)
        let displayName = string(fields["displayName"])
        let organizationId = string(fields["organizationId"])
        let password = string(fields["password"], nonEmpty: true)
        var totpSecret: String?
        if let field = fields["totpSecret"], let secret = string(field, nonEmpty: true) {
            if Base32.decode(secret) == nil {
                fail(field, "not a base32 secret (RFC 4648: letters A-Z and digits 2-7, optional '=' padding)")
            } else {
                totpSecret = secret
            }
        }
        let otpCode = string(fields["otpCode"], nonEmpty: true)
        let recoveryCodes = stringArray(fields["recoveryCodes"]) ?? []
        var passkeyIds: [String] = []
        for entry in array(fields["passkeys"]) {
            guard let passkey = object(entry, .passkey),
                let id = string(passkey["id"], required: passkey.missing("id"), nonEmpty: true)
            else { continue }
            if passkeyIds.contains(id) {
                fail(entry, appending: ".id", "passkey id '\(id)' is given twice")
                continue
            }
            passkeyIds.append(id)
        }
        var intents: [ZitadelUser.IDPIntent] = []
        for entry in array(fields["idpIntents"]) {
            guard let intent = object(entry, .idpIntent) else { continue }
            let id = string(intent["id"], required: intent.missing("id"), nonEmpty: true)
            let token = string(intent["token"], required: intent.missing("token"), nonEmpty: true)
            guard let id, let token else { continue }
            intents.append(ZitadelUser.IDPIntent(id: id, token: token))
        }
        let locked = bool(fields["locked"]) ?? false
        let lockoutAfter = fields["lockoutAfter"].flatMap { integer($0, range: 1...1_000) }
        guard let userId, let loginName else { return nil }
        var user = ZitadelUser(userId: userId, loginName: loginName)
        user.displayName = displayName ?? ""
        user.organizationId = organizationId ?? ""
        user.password = password
        user.totpSecret = totpSecret
        user.otpCode = otpCode
        user.recoveryCodes = recoveryCodes
        user.passkeyIds = passkeyIds
        user.idpIntents = intents
        user.locked = locked
        user.lockoutAfter = lockoutAfter
        profile(fields, into: &user)
        return user
    }

    /// `zitadel.organizations`: ids unique, at most one `isDefault`.
    private mutating func organizations(_ node: Node?, into seed: inout ZitadelSeed) {
        var ids: Set<String> = []
        var defaultNode: Node?
        for entry in array(node) {
            guard let fields = object(entry, .organization) else { continue }
            let id = string(fields["id"], required: fields.missing("id"), nonEmpty: true)
            let name = string(fields["name"], required: fields.missing("name"), nonEmpty: true)
            let domain = string(fields["primaryDomain"], required: fields.missing("primaryDomain"), nonEmpty: true)
            guard let id, let name, let domain else { continue }
            guard ids.insert(id).inserted else {
                fail(entry, appending: ".id", "organization id '\(id)' is given twice")
                continue
            }
            var organization = ZitadelOrganization(id: id, name: name, primaryDomain: domain)
            if bool(fields["isDefault"]) == true {
                if let first = defaultNode {
                    fail(entry, appending: ".isDefault", "the default organization is already \(path(first))")
                    continue
                }
                defaultNode = entry
                organization.isDefault = true
            }
            if let field = fields["state"], let state = string(field, nonEmpty: true) {
                if let known = ZitadelOrganization.State(rawValue: state) {
                    organization.state = known
                } else {
                    let names = ZitadelOrganization.State.allCases.map(\.rawValue).joined(separator: ", ")
                    fail(field, "unknown state '\(state)' (known: \(names))")
                }
            }
            if let node = fields["settings"] { organization.settings = settings(node, ofOrganization: true) }
            seed.organizations.append(organization)
        }
    }

    /// A settings object per key, each checked against its wire message by the vocabulary.
    private mutating func settings(_ node: Node, ofOrganization: Bool = false) -> ZitadelSettingsSeed {
        var seed = ZitadelSettingsSeed()
        guard let fields = object(node, .settings) else { return seed }
        for key in KeyTable.settings.names {
            guard let member = fields[key] else { continue }
            if ofOrganization && ZitadelSettingsSeed.instanceKeys.contains(key) {
                fail(member, "'\(key)' settings are the instance's only (seed them under zitadel.settings)")
                continue
            }
            let isList = key == ZitadelSettingsSeed.identityProvidersKey
            guard tape.kind(member) == (isList ? .array : .object) else {
                fail(member, "expected \(isList ? "an array" : "an object"), found \(typeName(member))")
                continue
            }
            let value = tape.value(member)
            if let problem = vocabulary.settingsProblem(key, value) {
                fail(member, appending: problem.suffix, problem.reason)
                continue
            }
            seed.objects[key] = value
        }
        return seed
    }

    /// Users without their own `lockoutAfter` are locked after their organization's, else the
    /// instance's, `lockout.maxPasswordAttempts`.
    private func defaultLockout(_ seed: inout ZitadelSeed) {
        let instance = seed.settings.maxPasswordAttempts
        var byOrganization: [String: Int] = [:]
        for organization in seed.organizations {
            if let attempts = organization.settings.maxPasswordAttempts { byOrganization[organization.id] = attempts }
        }
        guard instance != nil || !byOrganization.isEmpty else { return }
        for index in seed.users.indices where seed.users[index].lockoutAfter == nil {
            seed.users[index].lockoutAfter = byOrganization[seed.users[index].organizationId] ?? instance
        }
    }

    /// `zitadel.oidc`: clients (ids unique) and auth requests (ids unique, each of a seeded client
    /// and one of its redirect URIs).
    private mutating func oidcSeed(_ fields: Fields, into seed: inout ZitadelSeed) {
        var clients: [String: ZitadelOIDCClient] = [:]
        for entry in array(fields["clients"]) {
            guard let client = object(entry, .oidcClient) else { continue }
            let clientId = string(client["clientId"], required: client.missing("clientId"), nonEmpty: true)
            let loginUrl = string(client["loginUrl"], required: client.missing("loginUrl"), nonEmpty: true)
            let redirectUris = stringArray(client["redirectUris"]) ?? []
            if client["redirectUris"] == nil {
                fail(client.missing("redirectUris"), "required list of redirect URIs is missing")
            }
            guard let clientId, let loginUrl else { continue }
            if clients[clientId] != nil {
                fail(entry, appending: ".clientId", "client id '\(clientId)' is given twice")
                continue
            }
            let parsed = ZitadelOIDCClient(clientId: clientId, redirectUris: redirectUris, loginUrl: loginUrl)
            clients[clientId] = parsed
            seed.oidcClients.append(parsed)
        }
        var ids: Set<String> = []
        for entry in array(fields["authRequests"]) {
            guard let parsed = authRequestEntry(entry, clients: clients) else { continue }
            guard ids.insert(parsed.id).inserted else {
                fail(entry, appending: ".id", "auth request id '\(parsed.id)' is given twice")
                continue
            }
            seed.authRequests.append(parsed)
        }
    }

    /// One `zitadel.oidc.authRequests` entry: its id `V2_` and digits, of one of `clients` and one of
    /// that client's redirect URIs.
    private mutating func authRequestEntry(
        _ entry: Node,
        clients: [String: ZitadelOIDCClient]
    ) -> ZitadelAuthRequestSeed? {
        guard let request = object(entry, .authRequest) else { return nil }
        let id = string(request["id"], required: request.missing("id"), nonEmpty: true)
        let clientId = string(request["clientId"], required: request.missing("clientId"), nonEmpty: true)
        let redirectUri = string(request["redirectUri"], required: request.missing("redirectUri"), nonEmpty: true)
        guard let id, let clientId, let redirectUri else { return nil }
        guard ZitadelAuthRequestSeed.isValidId(id) else {
            fail(entry, appending: ".id", "auth request id '\(id)' is not 'V2_' and digits, as ZITADEL issues them")
            return nil
        }
        guard let client = clients[clientId] else {
            fail(entry, appending: ".clientId", "no client '\(clientId)' in zitadel.oidc.clients")
            return nil
        }
        guard client.redirectUris.contains(redirectUri) else {
            fail(entry, appending: ".redirectUri", "'\(redirectUri)' is not a redirect URI of client '\(clientId)'")
            return nil
        }
        var parsed = ZitadelAuthRequestSeed(id: id, clientId: clientId, redirectUri: redirectUri)
        parsed.scope = stringArray(request["scope"]) ?? []
        parsed.state = string(request["state"], nonEmpty: true)
        parsed.prompt = stringArray(request["prompt"]) ?? []
        if let prompt = request["prompt"],
            let bad = parsed.prompt.first(where: { !ZitadelAuthRequestSeed.promptValues.contains($0) })
        {
            fail(
                prompt,
                "unknown prompt '\(bad)' (known: \(ZitadelAuthRequestSeed.promptValues.joined(separator: ", ")))"
            )
        }
        parsed.loginHint = string(request["loginHint"], nonEmpty: true)
        parsed.uiLocales = stringArray(request["uiLocales"]) ?? []
        parsed.maxAgeSeconds = request["maxAge"].flatMap { integer($0, range: 0...315_360_000) }
        parsed.hintUserId = string(request["hintUserId"], nonEmpty: true)
        parsed.creationDate = timestamp(request["creationDate"])
        return parsed
    }

    /// The fields the user RPCs read (state, names, contact, methods).
    private mutating func profile(_ fields: Fields, into user: inout ZitadelUser) {
        if let field = fields["state"], let state = string(field, nonEmpty: true) {
            if let known = ZitadelUser.State(rawValue: state) {
                user.state = known
            } else {
                let names = ZitadelUser.State.allCases.map(\.rawValue).joined(separator: ", ")
                fail(field, "unknown state '\(state)' (known: \(names))")
            }
        }
        user.username = string(fields["username"], nonEmpty: true)
        if let field = fields["email"], let email = string(field, nonEmpty: true) {
            if email.utf8.count > Self.maxEmailLength {
                fail(field, "longer than \(Self.maxEmailLength) bytes")
            } else {
                user.email = email
            }
        }
        user.emailVerified = bool(fields["emailVerified"]) ?? false
        user.phone = string(fields["phone"], nonEmpty: true)
        user.phoneVerified = bool(fields["phoneVerified"]) ?? false
        user.givenName = string(fields["givenName"]) ?? ""
        user.familyName = string(fields["familyName"]) ?? ""
        user.preferredLanguage = string(fields["preferredLanguage"]) ?? ""
        user.otpSms = bool(fields["otpSms"]) ?? false
        user.otpEmail = bool(fields["otpEmail"]) ?? false
        user.passwordChangeRequired = bool(fields["passwordChangeRequired"]) ?? false
    }

    private mutating func tokenEntry(_ node: Node) -> ZitadelToken? {
        guard let fields = object(node, .token) else { return nil }
        let token = string(fields["token"], required: fields.missing("token"), nonEmpty: true)
        let userId = string(fields["userId"], required: fields.missing("userId"), nonEmpty: true)
        let permissions = stringArray(fields["permissions"]) ?? []
        if let token, token.contains(where: { $0 == " " || $0 == "\t" }) {
            fail(fields.missing("token"), "a bearer token cannot contain spaces")
            return nil
        }
        guard let token, let userId else { return nil }
        return ZitadelToken(token: token, userId: userId, permissions: permissions)
    }

    fileprivate mutating func sessionEntry(_ node: Node) -> ZitadelSessionSeed? {
        guard let fields = object(node, .sessionEntry) else { return nil }
        let token = string(fields["sessionToken"], nonEmpty: true)
        let creator = string(fields["creatorUserId"], nonEmpty: true)
        guard let wire = fields["session"] else {
            fail(fields.missing("session"), "required object is missing (the Session as ZITADEL sends it)")
            return nil
        }
        guard let session = session(wire) else { return nil }
        return ZitadelSessionSeed(sessionToken: token, creatorUserId: creator, session: session)
    }

    private mutating func session(_ node: Node) -> ZitadelSession? {
        let issuesBefore = issues.count
        // proto3 JSON accepts the proto field names too; a pasted response may use either.
        guard let fields = object(node, .session)
        else { return nil }
        var session = ZitadelSession()
        if let id = string(fields["id"], required: fields.missing("id"), nonEmpty: true) {
            if id.unicodeScalars.count > 200 {
                fail(fields.missing("id"), "longer than 200 characters, ZITADEL's limit")
            }
            session.id = id
        }
        session.creationDate = timestamp(fields["creationDate"])
        session.changeDate = timestamp(fields["changeDate"])
        session.expirationDate = timestamp(fields["expirationDate"])
        if let sequence = fields["sequence"] {
            // uint64 travels as a JSON string; a number is accepted as proto3 JSON parsers do.
            let text = tape.string(sequence) ?? tape.numberText(sequence)
            if let text, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let number = UInt64(text) {
                session.sequence = number
            } else {
                fail(
                    sequence,
                    "expected an unsigned 64-bit integer as a string (\"4\"), found \(tape.value(sequence).serializedString)"
                )
            }
        }
        if let factors = fields["factors"] { session.factors = self.factors(factors) }
        if let metadata = fields["metadata"] {
            for (key, entry) in map(metadata) {
                guard let text = string(entry) else { continue }
                guard let bytes = Base64Text.decode(text) else {
                    fail(entry, "metadata values are bytes, written as base64 ('YWNtZQ==' for 'acme')")
                    continue
                }
                session.metadata[key] = bytes
            }
        }
        if let userAgent = fields["userAgent"] { session.userAgent = self.userAgent(userAgent) }
        return issues.count == issuesBefore ? session : nil
    }

    private mutating func factors(_ node: Node) -> ZitadelSession.Factors {
        var factors = ZitadelSession.Factors()
        guard let fields = object(node, .factors)
        else { return factors }
        for factor in Factor.allCases {
            guard let node = fields[factor.rawValue] else { continue }
            switch factor {
            case .user:
                guard let f = object(node, .userFactor) else { continue }
                var user = ZitadelSession.UserFactor()
                user.verifiedAt = verifiedAt(f)
                user.id = string(f["id"]) ?? ""
                user.loginName = string(f["loginName"]) ?? ""
                user.displayName = string(f["displayName"]) ?? ""
                user.organizationId = string(f["organizationId"]) ?? ""
                factors.user = user
            case .webAuthN:
                guard let f = object(node, .webAuthNFactor) else { continue }
                factors.webAuthN = ZitadelSession.WebAuthNFactor(
                    verifiedAt: verifiedAt(f),
                    userVerified: bool(f["userVerified"]) ?? false
                )
            default:
                guard let f = object(node, .verifiedFactor) else { continue }
                factors[factor] = ZitadelSession.VerifiedFactor(verifiedAt: verifiedAt(f))
            }
        }
        return factors
    }

    /// A factor is present only once verified, so its `verifiedAt` is required.
    private mutating func verifiedAt(_ fields: Fields) -> SeedTimestamp? {
        guard let field = fields["verifiedAt"] else {
            fail(
                fields.missing("verifiedAt"),
                "required: a factor is present only once verified (leave the factor out instead)"
            )
            return nil
        }
        return timestamp(field)
    }

    private mutating func userAgent(_ node: Node) -> ZitadelSession.UserAgent? {
        guard let fields = object(node, .userAgent) else { return nil }
        var agent = ZitadelSession.UserAgent()
        agent.fingerprintId = string(fields["fingerprintId"])
        agent.ip = string(fields["ip"])
        agent.description = string(fields["description"])
        if let header = fields["header"] {
            for (name, entry) in map(header) {
                guard let values = object(entry, .headerValues) else { continue }
                agent.header[name] = array(values["values"]).compactMap { string($0) }
            }
        }
        return agent.isEmpty ? nil : agent
    }

    // MARK: - Faults

    private mutating func fault(_ node: Node) -> FaultRule? {
        let issuesBefore = issues.count
        guard let fields = object(node, .fault) else { return nil }
        var rule = FaultRule()
        if let match = fields["match"], let m = object(match, .faultMatch) {
            if let apiNode = m["api"], let api = string(apiNode) {
                if let known = MockedAPI(rawValue: api.lowercased()) {
                    rule.match.api = known
                } else {
                    fail(apiNode, "unknown api '\(api)' (known: walletkit, zitadel)")
                }
            }
            rule.match.path = string(m["path"], nonEmpty: true)
            rule.match.method = string(m["method"], nonEmpty: true)?.uppercased()
            rule.match.code = string(m["code"])
            rule.match.sessionId = string(m["sessionId"])
            if let rpcNode = m["rpc"], let rpc = string(rpcNode, nonEmpty: true) {
                if vocabulary.rpcs.contains(rpc) {
                    rule.match.rpc = rpc
                } else {
                    fail(rpcNode, "unknown rpc '\(rpc)' (known: \(vocabulary.rpcs.joined(separator: ", ")))")
                }
            }
            rule.match.loginName = string(m["loginName"], nonEmpty: true)
            if let query = m["query"] {
                for (key, entry) in map(query) {
                    if let text = string(entry) { rule.match.query.append((key, text)) }
                }
            }
            if let headers = m["headers"] {
                for (key, entry) in map(headers) {
                    if let text = string(entry) { rule.match.headers.append((key, text)) }
                }
            }
        } else if fields["match"] == nil {
            fail(fields.missing("match"), "required object is missing ({} matches every mocked request)")
        }
        rule.status = integer(fields["status"], range: 100...599)
        rule.body = fields["body"].map { tape.value($0) }
        rule.delayMs = integer(fields["delayMs"], range: 0...600_000)
        rule.drop = bool(fields["drop"]) ?? false
        rule.times = integer(fields["times"], range: 1...Int(Int32.max))
        if rule.status == nil && rule.delayMs == nil && !rule.drop {
            fail(node, "a fault needs 'status', 'delayMs' or 'drop'")
        }
        if rule.drop && rule.status != nil {
            fail(node, "'drop' sends no answer, so 'status' would never be seen")
        }
        if rule.body != nil && rule.status == nil {
            fail(fields.missing("body"), "'body' needs a 'status'")
        }
        if let status = rule.status, rule.body == nil, !(200...299).contains(status) {
            let apis = rule.match.api.map { [$0] } ?? MockedAPI.allCases
            if !apis.allSatisfy({ $0.documentedErrorStatuses.contains(status) }) {
                fail(
                    fields["status"]!,
                    "\(status) is not a documented error of \(apis.map(\.rawValue).joined(separator: "/")) (documented: \(apis.map { "\($0.rawValue) \($0.documentedErrorStatuses.map(String.init).joined(separator: ","))" }.joined(separator: "; "))); give a 'body' for other statuses"
                )
            }
        }
        return issues.count == issuesBefore ? rule : nil
    }
}

/// The keys one kind of seed object takes, and the alternative spellings (proto field names)
/// accepted for some. Built once; a member's key is matched against the raw bytes on the tape, so
/// reading a seed makes no string for a known key.
/// A class, so that each of a large seed's million `Fields` holds it with one retain; its
/// spellings sit in one byte pool, so matching a key copies and retains no array per spelling.
package final class KeyTable: Sendable {
    package let names: [String]
    private let pool: [UInt8]
    private let spellings: [(offset: Int, count: Int, slot: Int)]

    package convenience init(_ names: [String], aliases: KeyValuePairs<String, String>) {
        self.init(names, aliases: aliases.map { ($0.key, $0.value) })
    }

    package init(_ names: [String], aliases: [(String, String)]) {
        precondition(names.count <= Fields.capacity)
        self.names = names
        var pool: [UInt8] = []
        var spellings: [(offset: Int, count: Int, slot: Int)] = []
        let all = names.enumerated().map { ($1, $0) } + aliases.map { ($0.0, names.firstIndex(of: $0.1)!) }
        for (spelling, slot) in all {
            spellings.append((pool.count, spelling.utf8.count, slot))
            pool.append(contentsOf: spelling.utf8)
        }
        self.pool = pool
        self.spellings = spellings
    }

    package func slot(of member: Int, in tape: JSONTape) -> Int? {
        for spelling in spellings
        where tape.keyEquals(member, pool: pool, offset: spelling.offset, count: spelling.count) {
            return spelling.slot
        }
        return nil
    }

    /// The same for a key read in place; nil for an unknown key and for a key with escapes.
    /// Members mostly come in the table's order (both follow the vendor's messages), so the name
    /// after `previous` (the slot of the member before) is tried first.
    package func slot(of member: Int, in view: JSONTape.View, after previous: Int = -1) -> Int? {
        guard let key = view.rawKey(member) else { return nil }
        return pool.withUnsafeBufferPointer { pool in
            spellings.withUnsafeBufferPointer { spellings in
                func matches(_ spelling: (offset: Int, count: Int, slot: Int)) -> Bool {
                    guard spelling.count == key.count else { return false }
                    for index in 0..<key.count where pool[spelling.offset + index] != key[index] { return false }
                    return true
                }
                // The first `names.count` spellings are the names, in slot order.
                if previous + 1 < names.count, matches(spellings[previous + 1]) { return previous + 1 }
                for spelling in spellings where matches(spelling) { return spelling.slot }
                return nil
            }
        }
    }

    package func slot(named name: String) -> Int {
        guard let slot = names.firstIndex(of: name) else { preconditionFailure("'\(name)' is not a key of this table") }
        return slot
    }

    package static let document = KeyTable(
        ["$schema", "description", "walletkit", "zitadel", "faults", "clock", "randomSeed"],
        aliases: [:]
    )
    package static let clock = KeyTable(["start", "frozen"], aliases: [:])
    package static let walletKit = KeyTable(["projects", "sessionChallenges", "users", "settings"], aliases: [:])
    package static let walletKitUser = KeyTable(["userId", "email", "project", "verificationCode"], aliases: [:])
    package static let walletKitSettings = KeyTable(
        ["challengeTtl", "accessTokenTtl", "refreshTokenTtl", "codeLength", "newChallengeTimeline"],
        aliases: [:]
    )
    package static let challengeEntry = KeyTable(["project", "challenge", "timeline"], aliases: [:])
    package static let challenge = KeyTable(["id", "code", "expired", "completed"], aliases: [:])
    package static let timelineStep = KeyTable(["afterPolls", "after", "set"], aliases: [:])
    package static let timelineSet = KeyTable(["expired", "completed"], aliases: [:])
    package static let zitadel = KeyTable(
        ["tokens", "sessions", "users", "instanceId", "oidc", "organizations", "settings"],
        aliases: [:]
    )
    package static let organization = KeyTable(
        ["id", "name", "primaryDomain", "isDefault", "state", "settings"],
        aliases: [:]
    )
    package static let settings = KeyTable(
        ZitadelSettingsSeed.objectKeys + [ZitadelSettingsSeed.identityProvidersKey],
        aliases: [:]
    )
    package static let oidc = KeyTable(["clients", "authRequests"], aliases: [:])
    package static let oidcClient = KeyTable(["clientId", "redirectUris", "loginUrl"], aliases: [:])
    package static let authRequest = KeyTable(
        [
            "id", "clientId", "redirectUri", "scope", "state", "prompt", "loginHint", "uiLocales", "maxAge",
            "hintUserId",
            "creationDate",
        ],
        aliases: [:]
    )
    package static let user = KeyTable(
        [
            "userId", "loginName", "displayName", "organizationId", "password", "totpSecret", "otpCode",
            "recoveryCodes", "passkeys", "idpIntents", "locked", "lockoutAfter", "state", "username", "email",
            "emailVerified", "phone", "phoneVerified", "givenName", "familyName", "preferredLanguage", "otpSms",
            "otpEmail", "passwordChangeRequired",
        ],
        aliases: [:]
    )
    package static let passkey = KeyTable(["id"], aliases: [:])
    package static let idpIntent = KeyTable(["id", "token"], aliases: [:])
    package static let token = KeyTable(["token", "userId", "permissions"], aliases: [:])
    package static let sessionEntry = KeyTable(["sessionToken", "creatorUserId", "session"], aliases: [:])
    package static let session = KeyTable(
        ["id", "creationDate", "changeDate", "sequence", "factors", "metadata", "userAgent", "expirationDate"],
        aliases: [
            "creation_date": "creationDate", "change_date": "changeDate", "user_agent": "userAgent",
            "expiration_date": "expirationDate",
        ]
    )
    package static let factors = KeyTable(
        Factor.allCases.map(\.rawValue),
        aliases: Factor.allCases.filter { $0.protoName != $0.rawValue }.map { ($0.protoName, $0.rawValue) }
    )
    package static let userFactor = KeyTable(
        ["verifiedAt", "id", "loginName", "displayName", "organizationId"],
        aliases: [
            "verified_at": "verifiedAt", "login_name": "loginName", "display_name": "displayName",
            "organization_id": "organizationId",
        ]
    )
    package static let webAuthNFactor = KeyTable(
        ["verifiedAt", "userVerified"],
        aliases: ["verified_at": "verifiedAt", "user_verified": "userVerified"]
    )
    package static let verifiedFactor = KeyTable(["verifiedAt"], aliases: ["verified_at": "verifiedAt"])
    package static let userAgent = KeyTable(
        ["fingerprintId", "ip", "description", "header"],
        aliases: ["fingerprint_id": "fingerprintId"]
    )
    package static let headerValues = KeyTable(["values"], aliases: [:])
    package static let fault = KeyTable(["match", "status", "body", "delayMs", "drop", "times"], aliases: [:])
    package static let faultMatch = KeyTable(
        ["api", "path", "method", "query", "headers", "code", "sessionId", "rpc", "loginName"],
        aliases: [:]
    )
}

/// The members of one seed object, one slot per key of its table, held inline (no allocation
/// per object: a 100k-record seed has about a million of them).
package struct Fields {
    package static let capacity = 32
    package static let absent: Int32 = -1
    package static let null: Int32 = -2

    package let object: Int
    package let table: KeyTable
    package var slots = InlineArray<32, Int32>(repeating: Fields.absent)

    package init(object: Int, table: KeyTable) {
        self.object = object
        self.table = table
    }

    /// The member under `key` (or an alternative spelling); nil when absent or null.
    package subscript(key: String) -> Int? {
        let value = slots[table.slot(named: key)]
        return value >= 0 ? Int(value) : nil
    }

    package func missing(_ key: String) -> SeedParser.Missing { SeedParser.Missing(object: object, key: key) }
}

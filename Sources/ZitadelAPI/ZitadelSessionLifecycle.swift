import JSON
import Platform
import Seeds
import Store
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// CreateSession, SetSession, DeleteSession and ListSessions: one implementation on the generated
/// request and response messages, which REST, Connect and gRPC-Web only translate.
/// Each call runs under the scenario copy's lock and changes nothing unless it succeeds (but for
/// the wrong-password count, which a failed check is what moves).
enum ZitadelSessionLifecycle {
    // MARK: - The four RPCs

    static func create(
        _ request: Zitadel_Session_V2_CreateSessionRequest,
        authorization: String?,
        state: ScenarioState
    ) throws(ZitadelError) -> Zitadel_Session_V2_CreateSessionResponse {
        let now = state.clock.nowMicros()
        return try state.withSessions { store throws(ZitadelError) in
            let caller = try authenticate(authorization, store)
            if let invalid = validate(
                checks: request.checks,
                challenges: request.challenges,
                lifetime: request.hasLifetime ? request.lifetime : nil,
                in: "CreateSessionRequest"
            ) {
                throw invalid
            }
            try require("session.write", of: caller)
            let id = newSessionId(&store, now: now)
            var session = ZitadelSession()
            session.id = id
            session.creationDate = .absolute(RFC3339.format(micros: now))
            session.userAgent = userAgent(request.hasUserAgent ? request.userAgent : nil)
            for (key, value) in request.metadata { session.metadata[key] = [UInt8](value) }
            let change = Change(session: session, store: store, now: now)
            let outcome = try commit(
                change,
                checks: request.hasChecks ? request.checks : nil,
                challenges: request.hasChallenges ? request.challenges : nil,
                lifetime: request.hasLifetime ? request.lifetime : nil,
                sequence: 1,
                creator: caller.userId,
                store: &store
            )
            return .with {
                $0.details = outcome.details
                $0.sessionID = id
                $0.sessionToken = outcome.token
                if let challenges = outcome.challenges { $0.challenges = challenges }
            }
        }
    }

    static func set(
        _ request: Zitadel_Session_V2_SetSessionRequest,
        authorization: String?,
        state: ScenarioState
    ) throws(ZitadelError) -> Zitadel_Session_V2_SetSessionResponse {
        let now = state.clock.nowMicros()
        return try state.withSessions { store throws(ZitadelError) in
            let caller = try authenticate(authorization, store, sessionId: request.sessionID, in: "SetSessionRequest")
            if let invalid = validate(
                checks: request.checks,
                challenges: request.challenges,
                lifetime: request.hasLifetime ? request.lifetime : nil,
                in: "SetSessionRequest"
            ) {
                throw invalid
            }
            try require("session.write", of: caller)
            guard let current = store.record(id: request.sessionID) else { throw .sessionNotFound }
            let session = current.session
            var change = Change(session: session, store: store, now: now)
            for (key, value) in request.metadata {
                // An empty value deletes the key, as ZITADEL's SetSession does.
                change.session.metadata[key] = value.isEmpty ? nil : [UInt8](value)
            }
            let outcome = try commit(
                change,
                checks: request.hasChecks ? request.checks : nil,
                challenges: request.hasChallenges ? request.challenges : nil,
                lifetime: request.hasLifetime ? request.lifetime : nil,
                sequence: session.sequence &+ 1,
                creator: current.creatorUserId,
                store: &store
            )
            return .with {
                $0.details = outcome.details
                $0.sessionToken = outcome.token
                if let challenges = outcome.challenges { $0.challenges = challenges }
            }
        }
    }

    /// What CreateSession and SetSession share: the checks and challenges on `change`, then, only
    /// if all succeed, the new sequence, change date, lifetime and token, stored in one go.
    private static func commit(
        _ change: Change,
        checks: Zitadel_Session_V2_Checks?,
        challenges: Zitadel_Session_V2_RequestChallenges?,
        lifetime: Google_Protobuf_Duration?,
        sequence: UInt64,
        creator: String?,
        store: inout ZitadelSessionStore
    ) throws(ZitadelError) -> (
        details: Zitadel_Object_V2_Details, token: String, challenges: Zitadel_Session_V2_Challenges?
    ) {
        var change = change
        if let error = change.apply(checks, store: store) ?? change.request(challenges, store: store) {
            store.lifecycle.keepPasswordCounts(of: change.lifecycle)
            throw error
        }
        let now = change.now
        if let lifetime {
            change.session.expirationDate = .absolute(RFC3339.format(micros: now + micros(lifetime)))
        }
        change.session.sequence = sequence
        change.session.changeDate = .absolute(RFC3339.format(micros: now))
        store.random = change.random
        let token = newSessionToken(&store.random)
        store.lifecycle = change.lifecycle
        store.put(ZitadelSessionStore.Record(sessionToken: token, creatorUserId: creator, session: change.session))
        return (details(of: change.session, store: store, now: now), token, change.issuedForResponse)
    }

    static func delete(
        _ request: Zitadel_Session_V2_DeleteSessionRequest,
        authorization: String?,
        state: ScenarioState
    ) throws(ZitadelError) -> Zitadel_Session_V2_DeleteSessionResponse {
        let now = state.clock.nowMicros()
        return try state.withSessions { store throws(ZitadelError) in
            let caller = try authenticate(
                authorization,
                store,
                sessionId: request.sessionID,
                in: "DeleteSessionRequest"
            )
            if request.hasSessionToken, !ZitadelSessionAPI.scalarCount(of: request.sessionToken, isIn: 1...200) {
                throw .invalidArgument(
                    "invalid DeleteSessionRequest.SessionToken: value length must be between 1 and 200 runes, inclusive"
                )
            }
            guard let current = store.record(id: request.sessionID) else { throw .sessionNotFound }
            let allowed =
                current.belongs(to: caller.userId)
                || (request.hasSessionToken && current.hasSessionToken(request.sessionToken))
                || caller.permissions.contains("session.delete")
            guard allowed else { throw .noPermission }
            store.remove(id: request.sessionID)
            store.lifecycle.challenges[request.sessionID] = nil
            var ended = current.session
            ended.sequence = ended.sequence &+ 1
            return .with { $0.details = details(of: ended, store: store, now: now) }
        }
    }

    /// The sessions the caller may read (as GetSession would let it), filtered, sorted and paged.
    static func list(
        _ request: Zitadel_Session_V2_ListSessionsRequest,
        authorization: String?,
        state: ScenarioState
    ) throws(ZitadelError) -> SessionListReply {
        let now = state.clock.nowMicros()
        return try state.withSessions { store throws(ZitadelError) in
            let caller = try authenticate(authorization, store)
            var matches = store.all.filter {
                caller.canReadAnySession || $0.belongs(to: caller.userId)
            }
            for query in request.queries {
                switch query.query {
                case .idsQuery(let ids)?:
                    let wanted = Set(ids.ids)
                    matches = matches.filter { wanted.contains($0.id) }
                case .userIDQuery(let user)?:
                    matches = matches.filter { $0.isChecked(for: user.id) }
                case .creatorQuery(let creator)?:
                    let id = creator.hasID && !creator.id.isEmpty ? creator.id : caller.userId
                    matches = matches.filter { $0.isCreated(by: id) }
                case .userAgentQuery(let agent)?:
                    guard agent.hasFingerprintID, !agent.fingerprintID.isEmpty else {
                        throw .invalidArgument(
                            "invalid UserAgentQuery.FingerprintId: the calling token has no user agent to compare with"
                        )
                    }
                    matches = matches.filter { $0.session.userAgent?.fingerprintId == agent.fingerprintID }
                case .creationDateQuery(let date)?:
                    let bound = micros(date.creationDate)
                    matches = matches.filter { compare(timestampMicros($0.session.creationDate), bound, date.method) }
                case .expirationDateQuery(let date)?:
                    let bound = micros(date.expirationDate)
                    matches = matches.filter { compare(timestampMicros($0.session.expirationDate), bound, date.method) }
                case nil:
                    throw .invalidArgument("invalid SearchQuery.Query: value is required")
                }
            }
            let ascending = request.query.asc
            // Each creation date parsed once, not once per comparison.
            let keyed = matches.map { (created: timestampMicros($0.session.creationDate) ?? 0, record: $0) }
                .sorted { first, second in
                    if first.created != second.created {
                        return ascending ? first.created < second.created : first.created > second.created
                    }
                    return ascending ? first.record.id < second.record.id : first.record.id > second.record.id
                }
            matches = keyed.map(\.record)
            let total = matches.count
            let page = request.query.page(of: matches)
            return SessionListReply(details: listDetails(total: total, now: now), records: page)
        }
    }

    /// ZITADEL's default list limit when a query gives none.
    static let defaultListLimit = 1000

    // MARK: - Checks and challenges

    /// One request's changes, made on copies and kept only when the whole request succeeds.
    struct Change {
        var session: ZitadelSession
        var lifecycle: ZitadelSessionStore.LifecycleState
        /// The store's generator, drawn from for challenges and kept with the rest of the change.
        var random: ScenarioRandom
        let now: Int64
        /// The challenges to answer with (nil when none was requested).
        var issuedForResponse: Zitadel_Session_V2_Challenges?

        init(session: ZitadelSession, store: ZitadelSessionStore, now: Int64) {
            self.session = session
            lifecycle = store.lifecycle
            random = store.random
            self.now = now
        }

        private var verifiedNow: SeedTimestamp { .absolute(RFC3339.format(micros: now)) }

        /// The checks in ZITADEL's order: the user first, then every other factor.
        mutating func apply(_ checks: Zitadel_Session_V2_Checks?, store: ZitadelSessionStore) -> ZitadelError? {
            guard let checks else { return nil }
            if checks.hasUser {
                let found: ZitadelUser?
                switch checks.user.search {
                case .userID(let id)?: found = store.user(id: id)
                case .loginName(let name)?: found = store.user(loginName: name)
                case nil: found = nil
                }
                guard let user = found else { return .userNotFound }
                // ZITADEL's IsEnabled: inactive and locked users (seeded, or by the lockout) are refused.
                if !lifecycle.isEnabled(user) { return .userNotActive }
                if let checked = session.factors.user, checked.id != user.userId { return .userChanged }
                var factor = ZitadelSession.UserFactor()
                factor.verifiedAt = verifiedNow
                factor.id = user.userId
                factor.loginName = user.loginName
                factor.displayName = user.displayName
                factor.organizationId = user.organizationId
                session.factors.user = factor
            }
            let others =
                checks.hasPassword || checks.hasWebAuthN || checks.hasIdpIntent || checks.hasTotp
                || checks.hasOtpSms || checks.hasOtpEmail || checks.hasRecoveryCode
            guard others else { return nil }
            guard let userId = session.factors.user?.id, let user = store.user(id: userId) else {
                // ZITADEL raises it per check, each with its own ID; the first check asked for names it.
                let id =
                    checks.hasPassword
                    ? "COMMAND-Sfw3f"
                    : checks.hasWebAuthN
                        ? "COMMAND-eeR2e"
                        : checks.hasIdpIntent
                            ? "COMMAND-Sfw3r"
                            : checks.hasTotp
                                ? "COMMAND-8N9ds"
                                : checks.hasOtpSms || checks.hasOtpEmail ? "COMMAND-S453v" : "COMMAND-4m9s2"
                return .userMissing(id)
            }
            if checks.hasPassword, let error = checkPassword(checks.password.password, of: user) { return error }
            if checks.hasWebAuthN, let error = checkWebAuthN(checks.webAuthN.credentialAssertionData, of: user) {
                return error
            }
            if checks.hasIdpIntent {
                let intent = checks.idpIntent
                guard
                    user.idpIntents.contains(
                        ZitadelUser.IDPIntent(id: intent.idpIntentID, token: intent.idpIntentToken)
                    )
                else {
                    return .intentInvalid
                }
                session.factors[.intent] = ZitadelSession.VerifiedFactor(verifiedAt: verifiedNow)
            }
            if checks.hasTotp {
                guard let secret = user.totpSecret.flatMap(Base32.decode),
                    (-1...1).contains(where: {
                        OneTimePassword.totp(secret: secret, unixSeconds: now / 1_000_000, stepOffset: $0)
                            == checks.totp.code
                    })
                else { return .totpInvalid }
                session.factors[.totp] = ZitadelSession.VerifiedFactor(verifiedAt: verifiedNow)
            }
            if checks.hasOtpSms, let error = checkOTP(checks.otpSms.code, sms: true, of: user) { return error }
            if checks.hasOtpEmail, let error = checkOTP(checks.otpEmail.code, sms: false, of: user) { return error }
            if checks.hasRecoveryCode {
                let key = user.userId + "\u{0}" + checks.recoveryCode.code
                guard user.recoveryCodes.contains(checks.recoveryCode.code), !lifecycle.usedRecoveryCodes.contains(key)
                else {
                    return .recoveryCodeInvalid
                }
                lifecycle.usedRecoveryCodes.insert(key)
                session.factors[.recoveryCode] = ZitadelSession.VerifiedFactor(verifiedAt: verifiedNow)
            }
            return nil
        }

        private mutating func checkPassword(_ password: String, of user: ZitadelUser) -> ZitadelError? {
            if user.locked || lifecycle.lockedUserIds.contains(user.userId) { return .userLocked }
            guard let expected = user.password, expected == password else {
                let failures = (lifecycle.passwordFailures[user.userId] ?? 0) + 1
                lifecycle.passwordFailures[user.userId] = failures
                if let limit = user.lockoutAfter, failures >= limit { lifecycle.lockedUserIds.insert(user.userId) }
                return .passwordInvalid(failedAttempts: failures)
            }
            lifecycle.passwordFailures[user.userId] = nil
            session.factors[.password] = ZitadelSession.VerifiedFactor(verifiedAt: verifiedNow)
            return nil
        }

        private mutating func checkOTP(_ code: String, sms: Bool, of user: ZitadelUser) -> ZitadelError? {
            let issued = lifecycle.challenges[session.id] ?? ZitadelSessionStore.IssuedChallenges()
            guard let expected = (sms ? issued.otpSms : issued.otpEmail) ?? user.otpCode else {
                return .otpNotRequested
            }
            guard code == expected else { return .otpInvalid }
            // A code issued to this session is used up; the seed's fixed code is not.
            if sms {
                lifecycle.challenges[session.id]?.otpSms = nil
            } else {
                lifecycle.challenges[session.id]?.otpEmail = nil
            }
            session.factors[sms ? .otpSms : .otpEmail] = ZitadelSession.VerifiedFactor(verifiedAt: verifiedNow)
            return nil
        }

        /// The assertion's `clientDataJSON` must carry this session's challenge and its credential
        /// be one of the user's passkeys. Signatures are not verified (the mock holds no keys).
        private mutating func checkWebAuthN(_ assertion: Google_Protobuf_Struct, of user: ZitadelUser) -> ZitadelError?
        {
            guard let issued = lifecycle.challenges[session.id], let challenge = issued.webAuthN else {
                return .webAuthNNotRequested
            }
            let credentialId: String? = {
                if case .stringValue(let id)? = assertion.fields["id"]?.kind { return id }
                if case .stringValue(let id)? = assertion.fields["rawId"]?.kind { return id }
                return nil
            }()
            guard case .structValue(let response)? = assertion.fields["response"]?.kind,
                case .stringValue(let clientData)? = response.fields["clientDataJSON"]?.kind,
                let bytes = base64URLDecode(clientData),
                let json = try? JSONParser.parse(bytes),
                json["challenge"] == .string(challenge),
                let credentialId, user.passkeyIds.contains(credentialId)
            else { return .webAuthNInvalid }
            lifecycle.challenges[session.id]?.webAuthN = nil
            session.factors.webAuthN = ZitadelSession.WebAuthNFactor(
                verifiedAt: verifiedNow,
                userVerified: issued.webAuthNUserVerification
            )
            return nil
        }

        /// Challenges need a checked user; each replaces one issued earlier.
        mutating func request(
            _ challenges: Zitadel_Session_V2_RequestChallenges?,
            store: ZitadelSessionStore
        ) -> ZitadelError? {
            guard let challenges, challenges.hasWebAuthN || challenges.hasOtpSms || challenges.hasOtpEmail else {
                return nil
            }
            guard let userId = session.factors.user?.id, let user = store.user(id: userId) else {
                return .userMissing(
                    challenges.hasOtpSms ? "COMMAND-JKL3g" : challenges.hasOtpEmail ? "COMMAND-JK3gp" : "COMMAND-eeR2e"
                )
            }
            var issued = lifecycle.challenges[session.id] ?? ZitadelSessionStore.IssuedChallenges()
            var out = Zitadel_Session_V2_Challenges()
            if challenges.hasWebAuthN {
                let challenge = base64URLEncode(random.bytes(count: 32))
                let requirement = challenges.webAuthN.userVerificationRequirement
                issued.webAuthN = challenge
                issued.webAuthNUserVerification = requirement == .required
                let verification =
                    switch requirement {
                    case .required: "required"
                    case .discouraged: "discouraged"
                    default: "preferred"
                    }
                let options: Google_Protobuf_Struct = [
                    "publicKey": .init(structValue: [
                        "allowCredentials": .init(
                            listValue: Google_Protobuf_ListValue(
                                values: user.passkeyIds.map { id in
                                    .init(structValue: [
                                        "id": .init(stringValue: id), "type": .init(stringValue: "public-key"),
                                    ])
                                }
                            )
                        ),
                        "challenge": .init(stringValue: challenge),
                        "rpId": .init(stringValue: challenges.webAuthN.domain),
                        "timeout": .init(numberValue: 300_000),
                        "userVerification": .init(stringValue: verification),
                    ])
                ]
                out.webAuthN = .with { $0.publicKeyCredentialRequestOptions = options }
            }
            if challenges.hasOtpSms {
                let code = random.string(count: 6, from: RandomText.digits)
                issued.otpSms = code
                if challenges.otpSms.returnCode { out.otpSms = code }
            }
            if challenges.hasOtpEmail {
                let code = random.string(count: 6, from: RandomText.digits)
                issued.otpEmail = code
                if case .returnCode? = challenges.otpEmail.deliveryType { out.otpEmail = code }
            }
            lifecycle.challenges[session.id] = issued
            issuedForResponse = out
            return nil
        }
    }

    // MARK: - Request rules (the swagger's lengths), checked before anything else changes

    static func validate(
        checks: Zitadel_Session_V2_Checks,
        challenges: Zitadel_Session_V2_RequestChallenges,
        lifetime: Google_Protobuf_Duration?,
        in message: String
    ) -> ZitadelError? {
        func length(_ text: String, _ range: ClosedRange<Int>, _ field: String) -> ZitadelError? {
            ZitadelSessionAPI.scalarCount(of: text, isIn: range)
                ? nil
                : .invalidArgument(
                    "invalid \(field): value length must be between \(range.lowerBound) and \(range.upperBound) runes, inclusive"
                )
        }
        if checks.hasUser {
            switch checks.user.search {
            case .userID(let id)?: if let error = length(id, 1...200, "CheckUser.UserId") { return error }
            case .loginName(let name)?: if let error = length(name, 1...200, "CheckUser.LoginName") { return error }
            case nil: return .invalidArgument("invalid CheckUser.Search: value is required")
            }
        }
        if checks.hasPassword, let error = length(checks.password.password, 1...200, "CheckPassword.Password") {
            return error
        }
        if checks.hasTotp, let error = length(checks.totp.code, 6...6, "CheckTOTP.Code") { return error }
        if checks.hasOtpSms, checks.otpSms.code.isEmpty {
            return .invalidArgument("invalid CheckOTP.Code: value length must be at least 1 runes")
        }
        if checks.hasOtpEmail, checks.otpEmail.code.isEmpty {
            return .invalidArgument("invalid CheckOTP.Code: value length must be at least 1 runes")
        }
        if checks.hasRecoveryCode, let error = length(checks.recoveryCode.code, 1...200, "CheckRecoveryCode.Code") {
            return error
        }
        if checks.hasIdpIntent {
            if let error = length(checks.idpIntent.idpIntentID, 1...200, "CheckIDPIntent.IdpIntentId") { return error }
            if let error = length(checks.idpIntent.idpIntentToken, 1...200, "CheckIDPIntent.IdpIntentToken") {
                return error
            }
        }
        if checks.hasWebAuthN, !checks.webAuthN.hasCredentialAssertionData {
            return .invalidArgument("invalid CheckWebAuthN.CredentialAssertionData: value is required")
        }
        if challenges.hasWebAuthN {
            if let error = length(challenges.webAuthN.domain, 1...200, "RequestChallenges_WebAuthN.Domain") {
                return error
            }
            let requirement = challenges.webAuthN.userVerificationRequirement
            if requirement == .unspecified || (requirement.rawValue < 0 || requirement.rawValue > 3) {
                return .invalidArgument(
                    "invalid RequestChallenges_WebAuthN.UserVerificationRequirement: value must not be in list [0]"
                )
            }
        }
        if let lifetime {
            let total = micros(lifetime)
            if total <= 0 { return .invalidArgument("invalid \(message).Lifetime: value must be greater than 0s") }
            if total > maxLifetimeMicros {
                return .invalidArgument("invalid \(message).Lifetime: value must be at most 100 years")
            }
        }
        return nil
    }

    /// The mock's ceiling on `lifetime` (ZITADEL sets none; 100 years keeps dates in range).
    static let maxLifetimeMicros: Int64 = 36_525 * 86_400 * 1_000_000

    // MARK: - Helpers

    /// The auth rows GetSession starts with, then (for the RPCs that name one) the session id's length rule.
    static func authenticate(
        _ authorization: String?,
        _ store: ZitadelSessionStore,
        sessionId: String? = nil,
        in message: String = ""
    ) throws(ZitadelError) -> ZitadelToken {
        let bearer = try ZitadelSessionAPI.bearerToken(authorization)
        guard let caller = store.token(bearer) else { throw .tokenInvalid }
        if let sessionId, !ZitadelSessionAPI.scalarCount(of: sessionId, isIn: 1...200) {
            throw .invalidArgument(
                "invalid \(message).SessionId: value length must be between 1 and 200 runes, inclusive"
            )
        }
        return caller
    }

    /// 403 `AUTH-AWfge` unless `caller` holds `permission`.
    static func require(_ permission: String, of caller: ZitadelToken) throws(ZitadelError) {
        guard caller.permissions.contains(permission) else { throw .noPermission }
    }

    /// The auth rows, then `permission`: what every RPC that needs nothing else first asks.
    static func authorize(
        _ authorization: String?,
        _ store: ZitadelSessionStore,
        permission: String
    ) throws(ZitadelError) -> ZitadelToken {
        let caller = try authenticate(authorization, store)
        try require(permission, of: caller)
        return caller
    }

    /// `details` of a list answer: the total before paging, and when it was read.
    static func listDetails(total: Int, now: Int64) -> Zitadel_Object_V2_ListDetails {
        .with {
            $0.totalResult = UInt64(total)
            $0.timestamp = timestamp(now)
        }
    }

    static func details(of session: ZitadelSession, store: ZitadelSessionStore, now: Int64) -> Zitadel_Object_V2_Details
    {
        .with {
            $0.sequence = session.sequence
            $0.changeDate = timestamp(now)
            let organization = session.factors.user?.organizationId ?? ""
            $0.resourceOwner = organization.isEmpty ? (store.instanceId ?? "") : organization
        }
    }

    static func userAgent(_ agent: Zitadel_Session_V2_UserAgent?) -> ZitadelSession.UserAgent? {
        guard let agent else { return nil }
        var out = ZitadelSession.UserAgent()
        if agent.hasFingerprintID { out.fingerprintId = agent.fingerprintID }
        if agent.hasIp { out.ip = agent.ip }
        if agent.hasDescription_p { out.description = agent.description_p }
        for (name, values) in agent.header { out.header[name] = values.values }
        return out.isEmpty ? nil : out
    }

    /// 18-digit decimal ids, counting up from the copy's clock: they grow across restarts on the
    /// wall clock, and repeat run after run on a frozen one.
    static func newSessionId(_ store: inout ZitadelSessionStore, now: Int64) -> String {
        var number = max(
            store.lifecycle.lastSessionNumber + 1,
            300_000_000_000_000_000 + UInt64(max(0, now)) % 100_000_000_000_000_000
        )
        while store.record(id: String(number)) != nil { number += 1 }
        store.lifecycle.lastSessionNumber = number
        return String(number)
    }

    /// 36 random bytes in the URL-safe base64 alphabet: 48 characters.
    static func newSessionToken(_ random: inout ScenarioRandom) -> String {
        base64URLEncode(random.bytes(count: 36))
    }

    static func base64URLEncode(_ bytes: [UInt8]) -> String {
        String(Base64Text.encodeUnpadded(bytes).map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Base64Text.decode(standard)
    }

    static func micros(_ duration: Google_Protobuf_Duration) -> Int64 {
        duration.seconds.multipliedReportingOverflow(by: 1_000_000).overflow
            ? Int64.max : duration.seconds * 1_000_000 + Int64(duration.nanos / 1000)
    }

    static func micros(_ timestamp: Google_Protobuf_Timestamp) -> Int64 {
        timestamp.seconds * 1_000_000 + Int64(timestamp.nanos / 1000)
    }

    static func timestamp(_ micros: Int64) -> Google_Protobuf_Timestamp {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        return Google_Protobuf_Timestamp(seconds: seconds, nanos: Int32(micros - seconds * 1_000_000) * 1000)
    }

    static func timestampMicros(_ value: SeedTimestamp?) -> Int64? {
        guard let value else { return nil }
        return RFC3339.parse(value.storedText)?.micros
    }

    static func compare(_ value: Int64?, _ bound: Int64, _ method: Zitadel_V1_TimestampQueryMethod) -> Bool {
        guard let value else { return false }
        switch method {
        case .equals: return value == bound
        case .greater: return value > bound
        case .greaterOrEquals: return value >= bound
        case .less: return value < bound
        case .lessOrEquals: return value <= bound
        case .UNRECOGNIZED: return false
        }
    }
}

extension ZitadelSessionStore.LifecycleState {
    /// The user's state as the user RPCs report it: locked when seeded `locked` or locked by the
    /// lockout in this copy, else the seeded state.
    func state(of user: ZitadelUser) -> ZitadelUser.State {
        user.locked || lockedUserIds.contains(user.userId) ? .locked : user.state
    }

    /// What a user check accepts: active and initial users.
    func isEnabled(_ user: ZitadelUser) -> Bool {
        let state = state(of: user)
        return state == .active || state == .initial
    }

    /// After a failed request only the wrong-password counts (and locks) stay.
    mutating func keepPasswordCounts(of attempt: Self) {
        passwordFailures = attempt.passwordFailures
        lockedUserIds = attempt.lockedUserIds
    }
}

extension Zitadel_Object_V2_ListQuery {
    /// The page `offset` and `limit` select (ZITADEL's default limit when none is given).
    func page<Element>(of all: [Element]) -> [Element] {
        let offset = Int(min(self.offset, UInt64(all.count)))
        let limit = self.limit == 0 ? ZitadelSessionLifecycle.defaultListLimit : Int(self.limit)
        return Array(all[offset..<min(all.count, offset + limit)])
    }
}

import Foundation
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import MockPipeline
@testable import Platform
@testable import Seeds
@testable import SessionMock
@testable import Store
@testable import WalletKitAPI
@testable import ZitadelAPI

/// Seed validation (docs/seeds.md#errors): every bad seed names the file, the JSON path and the reason.
@Suite struct SeedParserTests {
    static let file = "bad-seed.json"

    /// The issues of a seed that must be refused; records a failure when it parses.
    static func issues(
        _ text: String,
        file: String = SeedParserTests.file,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [SeedIssue] {
        do {
            _ = try SeedParser.parse(Array(text.utf8), file: file)
            Issue.record("seed was accepted: \(text)", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.issues
        }
    }

    /// Exactly one issue, at `path`, whose reason contains `reason`, naming the file.
    static func expectOneIssue(
        _ text: String,
        path: String,
        reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = issues(text, sourceLocation: sourceLocation)
        #expect(found.count == 1, "issues: \(found)", sourceLocation: sourceLocation)
        guard let issue = found.first else { return }
        #expect(issue.file == file, sourceLocation: sourceLocation)
        #expect(issue.path == path, sourceLocation: sourceLocation)
        #expect(issue.reason.contains(reason), "reason: \(issue.reason)", sourceLocation: sourceLocation)
    }

    static func parse(_ text: String, file: String = "good.json") throws -> SeedDocument {
        try SeedParser.parse(Array(text.utf8), file: file)
    }

    /// A seed with one challenge entry whose `challenge` object is `challenge`.
    static func challengeSeed(_ challenge: String, extra: String = "") -> String {
        #"{"walletkit":{"sessionChallenges":[{"challenge":\#(challenge)\#(extra)}]}}"#
    }

    /// A seed with one session entry whose `session` object is `session`.
    static func sessionSeed(_ session: String) -> String {
        #"{"zitadel":{"sessions":[{"sessionToken":"t","session":\#(session)}]}}"#
    }

    static let goodChallenge = #"{"id":"sc_1","code":"C1","expired":false,"completed":false}"#
    static let challengePath = "$.walletkit.sessionChallenges[0]"
    static let sessionPath = "$.zitadel.sessions[0].session"

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    // MARK: - Not a seed at all

    @Test func invalidJSONReportsLineAndColumn() {
        let text = "{\n  \"walletkit\": {,\n}"
        let found = Self.issues(text)
        #expect(
            found == [
                SeedIssue(
                    file: Self.file,
                    path: "$",
                    reason: "not valid JSON: line 2, column 17: expected a string key"
                )
            ]
        )
    }

    @Test func duplicateKeyIsRefusedAtTheSecondKey() {
        let found = Self.issues(#"{"faults": [], "faults": []}"#)
        #expect(
            found == [
                SeedIssue(
                    file: Self.file,
                    path: "$",
                    reason: "not valid JSON: line 1, column 16: duplicate key 'faults'"
                )
            ]
        )
    }

    @Test func topLevelMustBeAnObject() {
        #expect(
            Self.issues("[1]") == [SeedIssue(file: Self.file, path: "$", reason: "expected an object, found array")]
        )
        #expect(
            Self.issues("\"seed\"") == [
                SeedIssue(file: Self.file, path: "$", reason: "expected an object, found string")
            ]
        )
    }

    @Test func unknownTopLevelKeyIsATypo() {
        Self.expectOneIssue(
            #"{"walletkt": {}}"#,
            path: "$.walletkt",
            reason:
                "unknown field 'walletkt' (known: $schema, clock, description, faults, randomSeed, walletkit, zitadel)"
        )
    }

    // MARK: - WalletKit challenges

    @Test func unknownKeyInAChallenge() {
        let text = Self.challengeSeed(#"{"id":"a","code":"C","expired":false,"completed":false,"expires":true}"#)
        Self.expectOneIssue(
            text,
            path: Self.challengePath + ".challenge.expires",
            reason: "unknown field 'expires' (known: code, completed, expired, id)"
        )
    }

    @Test func unknownKeyInAChallengeEntry() {
        let text = #"{"walletkit":{"sessionChallenges":[{"projekt":"p","challenge":\#(Self.goodChallenge)}]}}"#
        Self.expectOneIssue(
            text,
            path: Self.challengePath + ".projekt",
            reason: "unknown field 'projekt' (known: challenge, project, timeline)"
        )
    }

    @Test(arguments: ["id", "code", "expired", "completed"])
    func challengeMissingARequiredField(field: String) {
        var members = [#""id":"sc_1""#, #""code":"C1""#, #""expired":false"#, #""completed":false"#]
        members.removeAll { $0.hasPrefix("\"\(field)\"") }
        #expect(members.count == 3)
        let text = Self.challengeSeed("{" + members.joined(separator: ",") + "}")
        let kind = field == "id" || field == "code" ? "string" : "boolean"
        Self.expectOneIssue(
            text,
            path: Self.challengePath + ".challenge." + field,
            reason: "required \(kind) is missing"
        )
    }

    @Test func challengeEntryWithoutChallengeObject() {
        Self.expectOneIssue(
            #"{"walletkit":{"sessionChallenges":[{"project":"p"}]}}"#,
            path: Self.challengePath + ".challenge",
            reason: "required object is missing"
        )
    }

    @Test func challengeFieldsOfWrongTypes() {
        let text = Self.challengeSeed(#"{"id":5,"code":["C"],"expired":"no","completed":0}"#)
        let found = Self.issues(text)
        let base = Self.challengePath + ".challenge."
        #expect(
            found == [
                SeedIssue(file: Self.file, path: base + "id", reason: "expected a string, found number"),
                SeedIssue(file: Self.file, path: base + "code", reason: "expected a string, found array"),
                SeedIssue(file: Self.file, path: base + "expired", reason: "expected true or false, found string"),
                SeedIssue(file: Self.file, path: base + "completed", reason: "expected true or false, found number"),
            ]
        )
    }

    @Test func challengeThatIsNotAnObject() {
        Self.expectOneIssue(
            Self.challengeSeed("[]"),
            path: Self.challengePath + ".challenge",
            reason: "expected an object, found array"
        )
        Self.expectOneIssue(
            #"{"walletkit":{"sessionChallenges":{}}}"#,
            path: "$.walletkit.sessionChallenges",
            reason: "expected an array, found object"
        )
    }

    @Test func emptyCodeIsRefused() {
        let text = Self.challengeSeed(#"{"id":"sc_1","code":"","expired":false,"completed":false}"#)
        Self.expectOneIssue(text, path: Self.challengePath + ".challenge.code", reason: "must not be empty")
    }

    @Test func duplicateChallengeCode() {
        let text = #"""
            {"walletkit":{"sessionChallenges":[
              {"challenge":{"id":"a","code":"SAME","expired":false,"completed":false}},
              {"challenge":{"id":"b","code":"SAME","expired":false,"completed":true}}]}}
            """#
        Self.expectOneIssue(
            text,
            path: "$.walletkit.sessionChallenges[1].challenge.code",
            reason: "code 'SAME' is already used at $.walletkit.sessionChallenges[0]"
        )
    }

    @Test func challengeProjectMustBeListed() {
        let text =
            #"{"walletkit":{"projects":["p1","p3"],"sessionChallenges":[{"project":"p2","challenge":\#(Self.goodChallenge)}]}}"#
        Self.expectOneIssue(
            text,
            path: Self.challengePath + ".project",
            reason: "project 'p2' is not in walletkit.projects (p1, p3)"
        )
    }

    @Test func timelineStepNeedsExactlyOneTrigger() {
        let neither = Self.challengeSeed(Self.goodChallenge, extra: #","timeline":[{"set":{"completed":true}}]"#)
        Self.expectOneIssue(
            neither,
            path: Self.challengePath + ".timeline[0]",
            reason: "a timeline step needs 'afterPolls' or 'after'"
        )
        let both = Self.challengeSeed(
            Self.goodChallenge,
            extra: #","timeline":[{"afterPolls":1,"after":"1m","set":{"completed":true}}]"#
        )
        Self.expectOneIssue(both, path: Self.challengePath + ".timeline[0]", reason: "not both")
    }

    @Test func timelineAfterPollsMustBeAWholeNumber() {
        let text = Self.challengeSeed(
            Self.goodChallenge,
            extra: #","timeline":[{"afterPolls":-1,"set":{"completed":true}}]"#
        )
        Self.expectOneIssue(
            text,
            path: Self.challengePath + ".timeline[0].afterPolls",
            reason: "expected a whole number from 0 to 1000000, found -1"
        )
    }

    @Test func timelineBadDuration() {
        let text = Self.challengeSeed(
            Self.goodChallenge,
            extra: #","timeline":[{"after":"10x","set":{"expired":true}}]"#
        )
        Self.expectOneIssue(
            text,
            path: Self.challengePath + ".timeline[0].after",
            reason: "'10x' is not a duration like 1500ms, 90s, 10m or 1h30m"
        )
    }

    @Test func timelineSetMustSetSomething() {
        let empty = Self.challengeSeed(Self.goodChallenge, extra: #","timeline":[{"afterPolls":1,"set":{}}]"#)
        Self.expectOneIssue(
            empty,
            path: Self.challengePath + ".timeline[0].set",
            reason: "sets nothing: give 'expired' and/or 'completed'"
        )
        let missing = Self.challengeSeed(Self.goodChallenge, extra: #","timeline":[{"afterPolls":1}]"#)
        Self.expectOneIssue(
            missing,
            path: Self.challengePath + ".timeline[0].set",
            reason: "required object is missing"
        )
    }

    // MARK: - ZITADEL tokens and sessions

    @Test func duplicateToken() {
        let text = #"{"zitadel":{"tokens":[{"token":"t1","userId":"1"},{"token":"t1","userId":"2"}]}}"#
        Self.expectOneIssue(
            text,
            path: "$.zitadel.tokens[1].token",
            reason: "token is already used at $.zitadel.tokens[0]"
        )
    }

    @Test func tokenWithASpace() {
        Self.expectOneIssue(
            #"{"zitadel":{"tokens":[{"token":"a b","userId":"1"}]}}"#,
            path: "$.zitadel.tokens[0].token",
            reason: "a bearer token cannot contain spaces"
        )
        Self.expectOneIssue(
            #"{"zitadel":{"tokens":[{"token":"a\tb","userId":"1"}]}}"#,
            path: "$.zitadel.tokens[0].token",
            reason: "a bearer token cannot contain spaces"
        )
    }

    @Test func tokenMissingUserId() {
        Self.expectOneIssue(
            #"{"zitadel":{"tokens":[{"token":"t"}]}}"#,
            path: "$.zitadel.tokens[0].userId",
            reason: "required string is missing"
        )
    }

    @Test func duplicateSessionId() {
        let text = #"{"zitadel":{"sessions":[{"session":{"id":"s1"}},{"session":{"id":"s1","sequence":"2"}}]}}"#
        Self.expectOneIssue(
            text,
            path: "$.zitadel.sessions[1].session.id",
            reason: "session id 's1' is already used at $.zitadel.sessions[0]"
        )
    }

    @Test func sessionMissingId() {
        Self.expectOneIssue(
            Self.sessionSeed(#"{"sequence":"1"}"#),
            path: Self.sessionPath + ".id",
            reason: "required string is missing"
        )
        Self.expectOneIssue(
            #"{"zitadel":{"sessions":[{"sessionToken":"t"}]}}"#,
            path: "$.zitadel.sessions[0].session",
            reason: "required object is missing"
        )
    }

    @Test func sessionIdLongerThan200Characters() throws {
        let tooLong = String(repeating: "9", count: 201)
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"\#(tooLong)"}"#),
            path: Self.sessionPath + ".id",
            reason: "longer than 200 characters"
        )
        // 200 runes is the limit, counted in Unicode scalars, not bytes.
        let longest = String(repeating: "é", count: 200)
        let seed = try Self.parse(Self.sessionSeed(#"{"id":"\#(longest)"}"#))
        #expect(seed.zitadel.sessions.first?.session.id == longest)
    }

    @Test func badTimestamp() {
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","creationDate":"2025-13-01T00:00:00Z"}"#),
            path: Self.sessionPath + ".creationDate",
            reason: "'2025-13-01T00:00:00Z' is not an RFC 3339 timestamp (2025-03-06T14:42:07Z) nor now±duration"
        )
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","expirationDate":"2025-03-06 14:42:07Z"}"#),
            path: Self.sessionPath + ".expirationDate",
            reason: "is not an RFC 3339 timestamp"
        )
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","changeDate":7}"#),
            path: Self.sessionPath + ".changeDate",
            reason: "expected a string, found number"
        )
    }

    @Test func badRelativeTime() {
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","changeDate":"now+5x"}"#),
            path: Self.sessionPath + ".changeDate",
            reason: "'5x' is not a duration like 1500ms, 90s, 10m or 1h30m"
        )
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","changeDate":"now*5m"}"#),
            path: Self.sessionPath + ".changeDate",
            reason: "relative time must look like now, now+15m or now-2h"
        )
    }

    @Test(arguments: [#""-1""#, #""abc""#, "true", "-1", "1.5", #""18446744073709551616""#, #""""#, "{}"])
    func sequenceMustBeAUInt64(literal: String) throws {
        let serialized = try JSONParser.parse(literal).serializedString
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","sequence":\#(literal)}"#),
            path: Self.sessionPath + ".sequence",
            reason: #"expected an unsigned 64-bit integer as a string ("4"), found \#(serialized)"#
        )
    }

    @Test func sequenceAcceptsStringAndNumberUpToUInt64Max() throws {
        let asString = try Self.parse(Self.sessionSeed(#"{"id":"s","sequence":"18446744073709551615"}"#))
        #expect(asString.zitadel.sessions.first?.session.sequence == UInt64.max)
        let asNumber = try Self.parse(Self.sessionSeed(#"{"id":"s","sequence":7}"#))
        #expect(asNumber.zitadel.sessions.first?.session.sequence == 7)
    }

    @Test func metadataMustBeBase64() {
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","metadata":{"tenant":"!!not base64"}}"#),
            path: Self.sessionPath + ".metadata.tenant",
            reason: "metadata values are bytes, written as base64"
        )
        // A key that is not a plain identifier is written in brackets.
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","metadata":{"a-b":"Y"}}"#),
            path: Self.sessionPath + #".metadata["a-b"]"#,
            reason: "base64"
        )
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","metadata":{"k":1}}"#),
            path: Self.sessionPath + ".metadata.k",
            reason: "expected a string, found number"
        )
    }

    @Test(arguments: ["password", "intent", "totp", "otpSms", "otpEmail", "recoveryCode", "webAuthN", "user"])
    func factorWithoutVerifiedAt(factor: String) {
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","factors":{"\#(factor)":{}}}"#),
            path: Self.sessionPath + ".factors.\(factor).verifiedAt",
            reason: "required: a factor is present only once verified"
        )
    }

    @Test func unknownFactor() {
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","factors":{"passkey":{"verifiedAt":"now"}}}"#),
            path: Self.sessionPath + ".factors.passkey",
            reason: "unknown field 'passkey'"
        )
    }

    // MARK: - Faults

    @Test func faultWithoutEffect() {
        Self.expectOneIssue(
            #"{"faults":[{"match":{"api":"walletkit"}}]}"#,
            path: "$.faults[0]",
            reason: "a fault needs 'status', 'delayMs' or 'drop'"
        )
    }

    @Test func faultWithoutMatch() {
        Self.expectOneIssue(
            #"{"faults":[{"status":500}]}"#,
            path: "$.faults[0].match",
            reason: "required object is missing"
        )
    }

    @Test func faultWithDropAndStatus() {
        Self.expectOneIssue(
            #"{"faults":[{"match":{},"drop":true,"status":500}]}"#,
            path: "$.faults[0]",
            reason: "'drop' sends no answer, so 'status' would never be seen"
        )
    }

    @Test func faultWithUndocumentedStatusAndNoBody() {
        Self.expectOneIssue(
            #"{"faults":[{"match":{"api":"walletkit"},"status":418}]}"#,
            path: "$.faults[0].status",
            reason:
                "418 is not a documented error of walletkit (documented: walletkit 400,401,403,500); give a 'body' for other statuses"
        )
        // Without an api, the status must be documented by both.
        Self.expectOneIssue(
            #"{"faults":[{"match":{},"status":404}]}"#,
            path: "$.faults[0].status",
            reason:
                "404 is not a documented error of walletkit/zitadel (documented: walletkit 400,401,403,500; zitadel 400,401,403,404,500)"
        )
    }

    @Test func faultWithUndocumentedStatusAndABodyIsAccepted() throws {
        let seed = try Self.parse(
            #"{"faults":[{"match":{"api":"zitadel","sessionId":"x"},"status":418,"body":{"teapot":true},"times":2}]}"#
        )
        let rule = try #require(seed.faults.first)
        #expect(rule.status == 418)
        #expect(rule.body == .object([("teapot", .bool(true))]))
        #expect(rule.match.api == .zitadel)
        #expect(rule.match.sessionId == "x")
        #expect(rule.times == 2)
    }

    @Test func faultBodyWithoutStatus() {
        Self.expectOneIssue(
            #"{"faults":[{"match":{},"delayMs":10,"body":{"x":1}}]}"#,
            path: "$.faults[0].body",
            reason: "'body' needs a 'status'"
        )
    }

    @Test func faultStatusOutOfRange() {
        Self.expectOneIssue(
            #"{"faults":[{"match":{},"status":600,"delayMs":1}]}"#,
            path: "$.faults[0].status",
            reason: "expected a whole number from 100 to 599, found 600"
        )
    }

    @Test func faultUnknownApi() {
        Self.expectOneIssue(
            #"{"faults":[{"match":{"api":"stripe"},"status":500}]}"#,
            path: "$.faults[0].match.api",
            reason: "unknown api 'stripe' (known: walletkit, zitadel)"
        )
    }

    // MARK: - Many issues at once

    @Test func everyIssueIsReportedInOneError() throws {
        let text = #"""
            {"walletkit":{"projects":["p"],"sessionChallenges":[
               {"project":"q","challenge":{"id":"a","code":"","expired":false,"completed":false}}]},
             "zitadel":{"tokens":[{"token":"x y","userId":"1"}],"sessions":[{"session":{"id":"s","sequence":"-1"}}]},
             "faults":[{"match":{}}],
             "extra":1}
            """#
        do {
            _ = try SeedParser.parse(Array(text.utf8), file: "many.json")
            Issue.record("seed was accepted")
        } catch {
            #expect(
                error.issues.map(\.path) == [
                    "$.extra",
                    "$.walletkit.sessionChallenges[0].challenge.code",
                    "$.zitadel.tokens[0].token",
                    "$.zitadel.sessions[0].session.sequence",
                    "$.faults[0]",
                ]
            )
            #expect(error.issues.allSatisfy { $0.file == "many.json" })
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 5)
            #expect(
                lines.first
                    == "many.json: $.extra: unknown field 'extra' (known: $schema, clock, description, faults, randomSeed, walletkit, zitadel)"
            )
        }
    }

    @Test func issuesAreCappedAt100() {
        let tokens = (0..<150).map { _ in #"{"token":"a b","userId":"1"}"# }.joined(separator: ",")
        let found = Self.issues(#"{"zitadel":{"tokens":[\#(tokens)]}}"#)
        #expect(found.count == 100)
        #expect(found.last?.path == "$.zitadel.tokens[99].token")
    }

    // MARK: - Valid seeds

    static func expectDefaultScenario(_ seed: SeedDocument, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(seed.walletKit.projects == ["proj_demo", "proj_other"], sourceLocation: sourceLocation)
        #expect(
            seed.walletKit.sessionChallenges.map(\.challenge.code) == [
                "K7PX-22QA", "PENDING", "COMPLETED", "EXPIRED", "OTHER-PROJECT", "ANY-PROJECT", "SLOW", "BOOM", "FLAKY",
                "LAG",
            ],
            sourceLocation: sourceLocation
        )
        #expect(
            seed.zitadel.tokens.map(\.token) == ["admin-pat", "login-pat", "user-pat", "creator-pat", "stranger-pat"],
            sourceLocation: sourceLocation
        )
        #expect(
            seed.zitadel.sessions.map(\.session.id) == [
                "312909075212468632", "all-factors-1", "bare-1", "expired-1", "boom-1", "slow-1",
            ],
            sourceLocation: sourceLocation
        )
        #expect(
            seed.zitadel.users.map(\.loginName) == ["minnie@example.com", "mickey@example.com", "locked@example.com"],
            sourceLocation: sourceLocation
        )
        #expect(seed.zitadel.instanceId == "312908900000000001", sourceLocation: sourceLocation)
        #expect(seed.faults.count == 5, sourceLocation: sourceLocation)
    }

    @Test func defaultSeedFileParses() throws {
        let path = Self.repositoryRoot.appendingPathComponent("Seeds/default.json").path
        let data = try #require(FileManager.default.contents(atPath: path))
        let seed = try SeedParser.parse([UInt8](data), file: path)
        Self.expectDefaultScenario(seed)

        let shared = try #require(seed.walletKit.sessionChallenges.first { $0.challenge.code == "ANY-PROJECT" })
        #expect(shared.project == nil)
        #expect(
            shared.challenge == SessionChallenge(id: "sc_shared", code: "ANY-PROJECT", expired: false, completed: false)
        )
        let slow = try #require(seed.walletKit.sessionChallenges.first { $0.challenge.code == "SLOW" })
        #expect(slow.project == "proj_demo")
        #expect(
            slow.timeline == [
                TimelineStep(trigger: .afterPolls(3), setExpired: nil, setCompleted: true),
                TimelineStep(trigger: .after(SeedDuration(micros: 600_000_000)), setExpired: true, setCompleted: nil),
            ]
        )
        #expect(
            seed.zitadel.tokens[0]
                == ZitadelToken(
                    token: "admin-pat",
                    userId: "9001",
                    permissions: [
                        "session.read", "session.write", "session.delete", "user.read", "policy.read",
                        "iam.policy.read", "org.read", "session.link",
                    ]
                )
        )
        #expect(seed.zitadel.tokens[0].canReadAnySession)
        #expect(!seed.zitadel.tokens[1].canReadAnySession)

        let full = seed.zitadel.sessions[0]
        #expect(full.sessionToken == "tok-full")
        #expect(full.creatorUserId == "7777")
        #expect(full.session.sequence == 4)
        #expect(full.session.creationDate == .absolute("2025-03-06T14:42:07.731226Z"))
        #expect(full.session.metadata == ["tenant": Array("acme".utf8)])
        #expect(full.session.userAgent?.header == ["accept-language": ["de-CH", "en"]])
        #expect(
            full.session.factors.webAuthN
                == ZitadelSession.WebAuthNFactor(
                    verifiedAt: .absolute("2025-03-06T14:42:08.152937Z"),
                    userVerified: true
                )
        )
        #expect(full.session.checkedUserId == "312909037640286104")

        let all = seed.zitadel.sessions[1].session
        #expect(all.creationDate == .relative(offsetMicros: -300_000_000))
        #expect(all.expirationDate == .relative(offsetMicros: 12 * 3_600_000_000))
        #expect(all.metadata == ["tenant": Array("acme".utf8), "plan": Array("pro".utf8)])
        #expect(all.factors[.recoveryCode]?.verifiedAt == .relative(offsetMicros: -60_000_000))

        let flaky = seed.faults[1]
        #expect(flaky.match.api == .walletKit)
        #expect(flaky.match.code == "FLAKY")
        #expect(flaky.status == 500)
        #expect(flaky.times == 1)
        #expect(seed.faults[2].delayMs == 1500)
        #expect(seed.faults[2].status == nil)
    }

    @Test func bundledDefaultParses() throws {
        let bundled = SeedLoader.bundledDefault()
        #expect(Array(bundled.keys) == ["default"])
        Self.expectDefaultScenario(try #require(bundled["default"]))
    }

    @Test func bundledDefaultMatchesTheSeedFile() throws {
        let path = Self.repositoryRoot.appendingPathComponent("Seeds/default.json").path
        let data = try #require(FileManager.default.contents(atPath: path))
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        var bundled = BundledSeeds.defaultJSON
        while bundled.hasSuffix("\n") { bundled.removeLast() }
        #expect(text == bundled, "Seeds/default.json changed: run `make bundled-files`")
    }

    @Test func snakeCaseAliasesAreAccepted() throws {
        let text = Self.sessionSeed(
            #"""
            {"id":"s1","creation_date":"2025-03-06T14:42:07Z","change_date":"now","expiration_date":"now+1h",
             "user_agent":{"fingerprint_id":"fp","ip":"10.0.0.1"},
             "factors":{"user":{"verified_at":"2025-03-06T14:42:07Z","id":"u1","login_name":"l@x","display_name":"D","organization_id":"o1"},
                        "web_auth_n":{"verified_at":"2025-03-06T14:42:08Z","user_verified":true},
                        "otp_sms":{"verified_at":"now"},"otp_email":{"verified_at":"now"},"recovery_code":{"verified_at":"now-1s"}}}
            """#
        )
        let session = try #require(try Self.parse(text).zitadel.sessions.first?.session)
        #expect(session.creationDate == .absolute("2025-03-06T14:42:07Z"))
        #expect(session.changeDate == .relative(offsetMicros: 0))
        #expect(session.expirationDate == .relative(offsetMicros: 3_600_000_000))
        #expect(
            session.userAgent
                == ZitadelSession.UserAgent(fingerprintId: "fp", ip: "10.0.0.1", description: nil, header: [:])
        )
        #expect(
            session.factors.user
                == ZitadelSession.UserFactor(
                    verifiedAt: .absolute("2025-03-06T14:42:07Z"),
                    id: "u1",
                    loginName: "l@x",
                    displayName: "D",
                    organizationId: "o1"
                )
        )
        #expect(
            session.factors.webAuthN
                == ZitadelSession.WebAuthNFactor(verifiedAt: .absolute("2025-03-06T14:42:08Z"), userVerified: true)
        )
        #expect(session.factors[.otpSms]?.verifiedAt == .relative(offsetMicros: 0))
        #expect(session.factors[.otpEmail]?.verifiedAt == .relative(offsetMicros: 0))
        #expect(session.factors[.recoveryCode]?.verifiedAt == .relative(offsetMicros: -1_000_000))
        #expect(session.factors[.password] == nil)
    }

    @Test func aliasAndCanonicalNameTogetherAreRefused() {
        Self.expectOneIssue(
            Self.sessionSeed(#"{"id":"s","creationDate":"now","creation_date":"now"}"#),
            path: Self.sessionPath + ".creation_date",
            reason: "'creation_date' given twice (as 'creationDate' too)"
        )
    }

    @Test func jsonNullMeansUnset() throws {
        let text = #"""
            {"description":null,"walletkit":null,
             "zitadel":{"tokens":null,"sessions":[{"sessionToken":null,"creatorUserId":null,
               "session":{"id":"s","creationDate":null,"sequence":null,"metadata":null,"userAgent":null,
                          "factors":{"password":null,"webAuthN":{"verifiedAt":"now","userVerified":null}}}}]},
             "faults":null}
            """#
        let seed = try Self.parse(text)
        #expect(seed.walletKit.projects == nil)
        #expect(seed.walletKit.sessionChallenges.isEmpty)
        #expect(seed.zitadel.tokens.isEmpty)
        #expect(seed.faults.isEmpty)
        let entry = try #require(seed.zitadel.sessions.first)
        #expect(entry.sessionToken == nil)
        #expect(entry.creatorUserId == nil)
        #expect(entry.session.creationDate == nil)
        #expect(entry.session.sequence == 0)
        #expect(entry.session.metadata.isEmpty)
        #expect(entry.session.userAgent == nil)
        #expect(entry.session.factors[.password] == nil)
        #expect(
            entry.session.factors.webAuthN
                == ZitadelSession.WebAuthNFactor(verifiedAt: .relative(offsetMicros: 0), userVerified: false)
        )
        // A required field given as null is missing.
        Self.expectOneIssue(
            Self.challengeSeed(#"{"id":null,"code":"C","expired":false,"completed":false}"#),
            path: Self.challengePath + ".challenge.id",
            reason: "required string is missing"
        )
    }

    @Test func storeEntryParsersValidateOnTheirOwn() throws {
        let entry = try SeedParser.parseChallengeEntry(
            try JSONParser.parse(#"{"project":"p","challenge":\#(Self.goodChallenge)}"#)
        )
        #expect(entry.project == "p")
        #expect(entry.challenge.code == "C1")
        let emptyId = try JSONParser.parse(#"{"session":{"id":""}}"#)
        do {
            _ = try SeedParser.parseSessionEntry(emptyId)
            Issue.record("empty session id was accepted")
        } catch {
            #expect(
                error.issues == [SeedIssue(file: "request body", path: "$.session.id", reason: "must not be empty")]
            )
        }
    }

    // MARK: - SeedLoader

    /// A fresh folder under NSTemporaryDirectory() holding `files` (name → text).
    static func makeFolder(_ files: [String: String]) throws -> String {
        let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "seed-parser-tests-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            let written = FileManager.default.createFile(
                atPath: (folder as NSString).appendingPathComponent(name),
                contents: Data(text.utf8)
            )
            #expect(written)
        }
        return folder
    }

    static let tinySeed =
        #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"a","code":"A","expired":false,"completed":false}}]}}"#

    @Test func loaderReadsEveryJSONFileOfAFolder() throws {
        let folder = try Self.makeFolder([
            "alpha.json": Self.tinySeed,
            "beta.json": #"{"zitadel":{"tokens":[{"token":"t","userId":"1"}]}}"#,
            "seed.schema.json": #"{"type":"object","properties":{}}"#,
            "notes.txt": "not a seed",
        ])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let seeds = try SeedLoader.load(path: folder)
        #expect(seeds.keys.sorted() == ["alpha", "beta"])
        #expect(seeds["alpha"]?.walletKit.sessionChallenges.map(\.challenge.code) == ["A"])
        #expect(seeds["beta"]?.zitadel.tokens.map(\.token) == ["t"])
    }

    @Test func loaderRefusesTheWholeFolderWhenOneFileIsBad() throws {
        let folder = try Self.makeFolder([
            "alpha.json": Self.tinySeed,
            "broken.json": #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"a","code":"A"}}]}}"#,
            "zeta.json": Self.tinySeed,
        ])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let seeds = try SeedLoader.load(path: folder)
            Issue.record("folder with a bad file was loaded: \(seeds.keys.sorted())")
        } catch {
            let brokenPath = (folder as NSString).appendingPathComponent("broken.json")
            #expect(
                error.issues == [
                    SeedIssue(
                        file: brokenPath,
                        path: "$.walletkit.sessionChallenges[0].challenge.expired",
                        reason: "required boolean is missing"
                    ),
                    SeedIssue(
                        file: brokenPath,
                        path: "$.walletkit.sessionChallenges[0].challenge.completed",
                        reason: "required boolean is missing"
                    ),
                ]
            )
            #expect(error.description.contains("broken.json: $.walletkit.sessionChallenges[0].challenge.expired"))
        }
    }

    @Test func loaderOnOneFileNamesTheScenarioAfterIt() throws {
        let folder = try Self.makeFolder(["happy-path_v2.json": Self.tinySeed, "bad name.json": Self.tinySeed])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let seeds = try SeedLoader.load(path: (folder as NSString).appendingPathComponent("happy-path_v2.json"))
        #expect(Array(seeds.keys) == ["happy-path_v2"])
        #expect(SeedLoader.scenarioName(forFile: "/x/y/outage.json") == "outage")
        do {
            _ = try SeedLoader.load(path: folder)
            Issue.record("a file name with a space was accepted as a scenario name")
        } catch {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.file.hasSuffix("/bad name.json") == true)
            #expect(error.issues.first?.reason.contains("scenario name 'bad name'") == true)
        }
    }

    /// A file of `SeedFiles.largeFileSize` or more is mapped at start-up (`load`) and read on a
    /// reload (`loadFile`): either way its seed is the one its bytes give.
    @Test func loaderReadsALargeFileAsItsBytes() throws {
        // Few entries, made large by whitespace (a quick parse), and items still cut as `},{` so that
        // the tape reads it in parts too.
        let padding = String(repeating: " ", count: 9_000)
        let entries = (0..<1_000).map {
            #"{"challenge":{"id":"sc_\#($0)","code":"C-\#($0)","expired":false,"completed":\#($0 % 2 == 0)}"#
                + padding + "}"
        }
        let text = #"{"walletkit":{"sessionChallenges":["# + entries.joined(separator: ",") + "]}}"
        #expect(text.utf8.count >= SeedFiles.largeFileSize)
        let folder = try Self.makeFolder(["large.json": text])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let loaded = try #require(
            try SeedLoader.load(path: (folder as NSString).appendingPathComponent("large.json"))["large"]
        )
        let parsed = try SeedParser.parse(Array(text.utf8), file: "large.json")
        let challenges = loaded.walletKit.sessionChallenges
        #expect(challenges.count == 1_000)
        #expect(challenges.map(\.challenge.id) == parsed.walletKit.sessionChallenges.map(\.challenge.id))
        #expect(challenges.map(\.challenge.completed) == parsed.walletKit.sessionChallenges.map(\.challenge.completed))
        #expect(challenges.last?.challenge.code == "C-999")
        let reloaded = try SeedLoader.loadFile(
            (folder as NSString).appendingPathComponent("large.json"),
            vocabulary: SessionMockApp.seedVocabulary
        )
        #expect(reloaded.seed.walletKit.sessionChallenges.map(\.challenge.id) == challenges.map(\.challenge.id))
    }

    @Test func loaderRefusesMissingPathsAndEmptyFolders() throws {
        let folder = try Self.makeFolder(["readme.md": "#"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            _ = try SeedLoader.load(path: folder)
            Issue.record("empty folder was accepted")
        } catch {
            #expect(error.issues == [SeedIssue(file: folder, path: "$", reason: "folder holds no *.json seed files")])
        }
        let missing = (folder as NSString).appendingPathComponent("missing.json")
        do {
            _ = try SeedLoader.load(path: missing)
            Issue.record("missing file was accepted")
        } catch {
            #expect(error.issues == [SeedIssue(file: missing, path: "$", reason: "no such file or folder")])
        }
    }
}

/// `zitadel.users` and `zitadel.instanceId` (docs/seeds.md#zitadel-users), and the TOTP codes a user
/// check accepts.
@Suite struct ZitadelUserSeedTests {
    @Test func usersAreParsedWithEveryField() throws {
        let seed = try SeedParser.parse(
            Array(
                #"""
                {"zitadel":{"instanceId":"inst-1","users":[{"userId":"u1","loginName":"Minnie@Example.com","displayName":"Minnie",
                 "organizationId":"o1","password":"pw","totpSecret":"JBSWY3DPEHPK3PXP","otpCode":"424242","recoveryCodes":["rc-1","rc-2"],
                 "passkeys":[{"id":"cred-1"}],"idpIntents":[{"id":"intent-1","token":"tok"}],"locked":true,"lockoutAfter":3},
                 {"userId":"u2","loginName":"bare"}]}}
                """#.utf8
            ),
            file: "users.json"
        )
        #expect(seed.zitadel.instanceId == "inst-1")
        let user = try #require(seed.zitadel.users.first)
        #expect(user.userId == "u1" && user.loginName == "Minnie@Example.com" && user.displayName == "Minnie")
        #expect(user.organizationId == "o1" && user.password == "pw" && user.totpSecret == "JBSWY3DPEHPK3PXP")
        #expect(user.otpCode == "424242" && user.recoveryCodes == ["rc-1", "rc-2"] && user.passkeyIds == ["cred-1"])
        #expect(user.idpIntents == [ZitadelUser.IDPIntent(id: "intent-1", token: "tok")])
        #expect(user.locked && user.lockoutAfter == 3)
        #expect(seed.zitadel.users[1] == ZitadelUser(userId: "u2", loginName: "bare"))
    }

    @Test(arguments: [
        (#"{"users":[{"loginName":"a"}]}"#, "$.zitadel.users[0].userId", "required"),
        (#"{"users":[{"userId":"a","loginName":""}]}"#, "$.zitadel.users[0].loginName", "empty"),
        (
            #"{"users":[{"userId":"a","loginName":"x"},{"userId":"a","loginName":"y"}]}"#, "$.zitadel.users[1].userId",
            "already used at $.zitadel.users[0]"
        ),
        (
            #"{"users":[{"userId":"a","loginName":"Minnie"},{"userId":"b","loginName":"minnie"}]}"#,
            "$.zitadel.users[1].loginName", "case-insensitively"
        ),
        (
            #"{"users":[{"userId":"a","loginName":"x","totpSecret":"not base32!"}]}"#, "$.zitadel.users[0].totpSecret",
            "base32"
        ),
        (
            #"{"users":[{"userId":"a","loginName":"x","lockoutAfter":0}]}"#, "$.zitadel.users[0].lockoutAfter",
            "from 1 to 1000"
        ),
        (
            #"{"users":[{"userId":"a","loginName":"x","idpIntents":[{"id":"i"}]}]}"#,
            "$.zitadel.users[0].idpIntents[0].token", "required"
        ),
        (
            #"{"users":[{"userId":"a","loginName":"x","passkeys":[{"id":"p"},{"id":"p"}]}]}"#,
            "$.zitadel.users[0].passkeys[1].id", "twice"
        ),
        (#"{"users":[{"userId":"a","loginName":"x","colour":"red"}]}"#, "$.zitadel.users[0].colour", "unknown field"),
        (#"{"instanceId":""}"#, "$.zitadel.instanceId", "empty"),
    ])
    func badUsersAreRefusedWithPathAndReason(zitadel: String, path: String, reason: String) {
        do {
            _ = try SeedParser.parse(Array(#"{"zitadel":\#(zitadel)}"#.utf8), file: "bad.json")
            Issue.record("accepted: \(zitadel)")
        } catch {
            let issue = error.issues.first { $0.path == path }
            #expect(issue != nil, "\(error.issues)")
            #expect(issue?.reason.contains(reason) == true, "\(issue?.reason ?? "")")
            #expect(issue?.file == "bad.json")
        }
    }

    /// RFC 6238 appendix B (SHA-1 rows, the last 6 of the 8 digits) and RFC 4648's base32 vectors.
    @Test func totpMatchesTheRFCVectors() throws {
        let secret = Array("12345678901234567890".utf8)
        #expect(OneTimePassword.totp(secret: secret, unixSeconds: 59) == "287082")
        #expect(OneTimePassword.totp(secret: secret, unixSeconds: 1_111_111_109) == "081804")
        #expect(OneTimePassword.totp(secret: secret, unixSeconds: 1_234_567_890) == "005924")
        #expect(OneTimePassword.totp(secret: secret, unixSeconds: 2_000_000_000) == "279037")
        #expect(Base32.decode("MZXW6YTBOI======") == Array("foobar".utf8))
        #expect(Base32.decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == secret)
        #expect(Base32.decode("abc1") == nil)
    }
}

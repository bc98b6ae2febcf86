import Foundation
import SwiftProtobuf
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

/// Byte-exact response bodies (the session challenge and GetSession examples of docs/walletkit.md and
/// docs/zitadel.md) and the JSON reader/writer under them.
@Suite struct EncoderTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static func body(_ session: ZitadelSession) -> String { text(ZitadelJSON.getSessionResponse(session)) }

    static let at = SeedTimestamp.absolute("2025-03-06T14:42:07.731226Z")

    // MARK: - WalletKit

    @Test func sessionChallengeJSON() {
        #expect(
            Self.text(
                SessionChallengeAPI.json(
                    SessionChallenge(id: "sc_01HZX3", code: "K7PX-22QA", expired: false, completed: false)
                )
            )
                == #"{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}"#
        )
        #expect(
            Self.text(
                SessionChallengeAPI.json(SessionChallenge(id: "a\"b", code: "c\\d", expired: true, completed: true))
            )
                == #"{"id":"a\"b","code":"c\\d","expired":true,"completed":true}"#
        )
        #expect(
            Self.text(SessionChallengeAPI.json(SessionChallenge(id: "x", code: "y", expired: true, completed: false)))
                == #"{"id":"x","code":"y","expired":true,"completed":false}"#
        )
    }

    static let walletKitCases: [(WalletKitError, Int, String)] = [
        (.missingProjectId, 401, #"{"code":"missing_project_id","error":"X-WalletKit-Project-ID header is required"}"#),
        (.invalidProjectId, 401, #"{"code":"invalid_project_id","error":"Invalid project ID"}"#),
        (.missingCode, 400, #"{"code":"missing_code","error":"Query parameter 'code' is required"}"#),
        (.challengeNotFound, 400, #"{"code":"session_challenge_not_found","error":"Session challenge not found"}"#),
        (.forbidden, 403, #"{"code":"forbidden","error":"Session challenge belongs to another project"}"#),
        (.internalError, 500, #"{"code":null,"error":"Internal server error"}"#),
        (.methodNotAllowed, 405, #"{"code":"method_not_allowed","error":"Method not allowed"}"#),
        (.notFound, 404, #"{"code":"not_found","error":"Not found"}"#),
    ]

    @Test(arguments: EncoderTests.walletKitCases)
    func walletKitErrorBodies(error: WalletKitError, status: Int, json: String) {
        #expect(Self.text(error.json) == json)
        #expect(error.httpStatus == status)
        let response = error.response
        #expect(response.status == status)
        #expect(Self.text(response.body) == json)
        #expect(response.header("Content-Type") == "application/json")
    }

    @Test func walletKitForcedStatuses() {
        #expect(WalletKitEndpoint.getSessionChallenge.forced(status: 401) == .missingProjectId)
        #expect(WalletKitEndpoint.getSessionChallenge.forced(status: 400) == .missingCode)
        #expect(WalletKitEndpoint.getSessionChallenge.forced(status: 403) == .forbidden)
        #expect(WalletKitEndpoint.getSessionChallenge.forced(status: 500) == .internalError)
        #expect(WalletKitEndpoint.getSessionChallenge.forced(status: 404) == nil)
        #expect(WalletKitEndpoint.getSessionChallenge.forced(status: 200) == nil)
        #expect(
            Self.text(WalletKitError.badRequest(code: "x_y", "bad \"q\"").json)
                == #"{"code":"x_y","error":"bad \"q\""}"#
        )
    }

    // MARK: - ZITADEL errors

    static func detail(_ id: String, _ text: String) -> String {
        #","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"\#(id)","message":"\#(text)"}]"#
    }

    static let zitadelCases: [(ZitadelError, Int, String)] = [
        (.authHeaderMissing, 401, #"{"code":16,"message":"auth header missing"}"#),
        (
            .invalidAuthHeader, 401,
            #"{"code":16,"message":"invalid auth header (AUTH-toLo1)""# + detail("AUTH-toLo1", "invalid auth header")
                + "}"
        ),
        (
            .tokenInvalid, 401,
            #"{"code":16,"message":"Errors.Token.Invalid (AUTH-7fs1e)""# + detail("AUTH-7fs1e", "Errors.Token.Invalid")
                + "}"
        ),
        (
            .invalidSessionId, 400,
            #"{"code":3,"message":"invalid GetSessionRequest.SessionId: value length must be between 1 and 200 runes, inclusive"}"#
        ),
        (
            .invalidSessionToken, 400,
            #"{"code":3,"message":"invalid GetSessionRequest.SessionToken: value length must be between 1 and 500 runes, inclusive"}"#
        ),
        (
            .sessionNotFound, 404,
            #"{"code":5,"message":"Session does not exist (QUERY-SFeaa)""#
                + detail("QUERY-SFeaa", "Session does not exist") + "}"
        ),
        (
            .wrongSessionToken, 403,
            #"{"code":7,"message":"Permission denied (QUERY-dsfr3)""# + detail("QUERY-dsfr3", "Permission denied") + "}"
        ),
        (
            .noPermission, 403,
            #"{"code":7,"message":"No matching permissions found (AUTH-AWfge)""#
                + detail("AUTH-AWfge", "No matching permissions found") + "}"
        ),
        (
            .internalError, 500,
            #"{"code":13,"message":"An internal error occurred (QUERY-SAder)""#
                + detail("QUERY-SAder", "An internal error occurred") + "}"
        ),
        (.methodNotAllowed, 405, #"{"code":12,"message":"Method Not Allowed"}"#),
        (.notFound, 404, #"{"code":5,"message":"Not Found"}"#),
    ]

    @Test(arguments: EncoderTests.zitadelCases)
    func zitadelErrorBodies(error: ZitadelError, status: Int, json: String) {
        #expect(Self.text(error.json) == json)
        #expect(error.response.status == status)
        #expect(Self.text(error.response.body) == json)
        #expect(error.response.header("Content-Type") == "application/json")
    }

    @Test func zitadelErrorDetailsAppearExactlyWhenThereIsAnId() {
        let invalidAuthHeader =
            #"{"code":16,"message":"invalid auth header (AUTH-toLo1)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-toLo1","message":"invalid auth header"}]}"#
        #expect(Self.text(ZitadelError.invalidAuthHeader.json) == invalidAuthHeader)
        #expect(!Self.text(ZitadelError.authHeaderMissing.json).contains("details"))
        #expect(Self.text(ZitadelError.invalidArgument("bad \"x\"").json) == #"{"code":3,"message":"bad \"x\""}"#)
    }

    @Test func zitadelForcedStatuses() {
        #expect(ZitadelError.forced(status: 401) == .authHeaderMissing)
        #expect(ZitadelError.forced(status: 400) == .invalidSessionId)
        #expect(ZitadelError.forced(status: 404) == .sessionNotFound)
        #expect(ZitadelError.forced(status: 403) == .wrongSessionToken)
        #expect(ZitadelError.forced(status: 500) == .internalError)
        #expect(ZitadelError.forced(status: 418) == nil)
    }

    // MARK: - ZITADEL session (the documented example)

    /// The full session of docs/zitadel.md#curl-examples (`312909075212468632`), compact.
    static let documentedExample =
        #"{"session":{"id":"312909075212468632","creationDate":"2025-03-06T14:42:07.731226Z","changeDate":"2025-03-06T14:42:08.152937Z","sequence":"4","factors":{"user":{"verifiedAt":"2025-03-06T14:42:07.731226Z","id":"312909037640286104","loginName":"minnie@example.com","displayName":"Minnie Mouse","organizationId":"312908994858385304"},"password":{"verifiedAt":"2025-03-06T14:42:08.152937Z"},"webAuthN":{"verifiedAt":"2025-03-06T14:42:08.152937Z","userVerified":true}},"metadata":{"tenant":"YWNtZQ=="},"userAgent":{"fingerprintId":"fp-8c2f","ip":"203.0.113.7","description":"Chrome 122 on macOS","header":{"accept-language":{"values":["de-CH","en"]}}},"expirationDate":"2025-03-07T02:42:07.731226Z"}}"#

    @Test func documentedExampleRoundTripsByteForByte() throws {
        let entry = try SeedParser.parseSessionEntry(try JSONParser.parse(Self.documentedExample))
        #expect(entry.sessionToken == nil)
        #expect(Self.body(entry.session) == Self.documentedExample)
        // Stored, the response is encoded once and sent as is.
        let store = ZitadelSessionStore(seed: ZitadelSeed(tokens: [], sessions: [entry]), now: 0)
        #expect(store.record(id: "312909075212468632").map { Self.text($0.responseBody) } == Self.documentedExample)
    }

    @Test func fieldOrderIsProtoOrderWhateverTheSeedOrder() throws {
        // The same session written in another order, with proto field names.
        let shuffled = #"""
            {"session":{"expiration_date":"2025-03-07T02:42:07.731226Z",
              "user_agent":{"header":{"accept-language":{"values":["de-CH","en"]}},"description":"Chrome 122 on macOS","ip":"203.0.113.7","fingerprint_id":"fp-8c2f"},
              "metadata":{"tenant":"YWNtZQ=="},
              "factors":{"web_auth_n":{"user_verified":true,"verified_at":"2025-03-06T14:42:08.152937Z"},
                         "password":{"verified_at":"2025-03-06T14:42:08.152937Z"},
                         "user":{"organization_id":"312908994858385304","display_name":"Minnie Mouse","login_name":"minnie@example.com","id":"312909037640286104","verified_at":"2025-03-06T14:42:07.731226Z"}},
              "sequence":4,"change_date":"2025-03-06T14:42:08.152937Z","creation_date":"2025-03-06T14:42:07.731226Z","id":"312909075212468632"}}
            """#
        let entry = try SeedParser.parseSessionEntry(try JSONParser.parse(shuffled))
        #expect(Self.body(entry.session) == Self.documentedExample)
    }

    // MARK: - proto3 omission rules

    @Test func unsetFieldsAreOmitted() {
        #expect(Self.body(ZitadelSession()) == #"{"session":{}}"#)
        var session = ZitadelSession()
        session.id = "s"
        session.sequence = 0
        session.factors = ZitadelSession.Factors()
        session.userAgent = ZitadelSession.UserAgent()
        session.metadata = [:]
        #expect(Self.body(session) == #"{"session":{"id":"s"}}"#)
    }

    @Test func sequenceIsAStringAndZeroIsOmitted() {
        var session = ZitadelSession()
        session.sequence = 1
        #expect(Self.body(session) == #"{"session":{"sequence":"1"}}"#)
        session.sequence = .max
        #expect(Self.body(session) == #"{"session":{"sequence":"18446744073709551615"}}"#)
    }

    @Test func emptyStringsAndUnverifiedWebAuthNAreOmitted() {
        var session = ZitadelSession()
        session.factors.user = ZitadelSession.UserFactor(
            verifiedAt: Self.at,
            id: "",
            loginName: "",
            displayName: "",
            organizationId: ""
        )
        session.factors.webAuthN = ZitadelSession.WebAuthNFactor(verifiedAt: Self.at, userVerified: false)
        #expect(
            Self.body(session)
                == #"{"session":{"factors":{"user":{"verifiedAt":"2025-03-06T14:42:07.731226Z"},"webAuthN":{"verifiedAt":"2025-03-06T14:42:07.731226Z"}}}}"#
        )
        session.factors.user?.loginName = "l"
        session.factors.webAuthN?.userVerified = true
        #expect(
            Self.body(session)
                == #"{"session":{"factors":{"user":{"verifiedAt":"2025-03-06T14:42:07.731226Z","loginName":"l"},"webAuthN":{"verifiedAt":"2025-03-06T14:42:07.731226Z","userVerified":true}}}}"#
        )
    }

    @Test func everyFactorInProtoOrder() {
        var session = ZitadelSession()
        let verified = ZitadelSession.VerifiedFactor(verifiedAt: Self.at)
        session.factors[.recoveryCode] = verified
        session.factors[.otpEmail] = verified
        session.factors[.otpSms] = verified
        session.factors[.totp] = verified
        session.factors[.intent] = verified
        session.factors[.password] = verified
        session.factors.webAuthN = ZitadelSession.WebAuthNFactor(verifiedAt: Self.at, userVerified: true)
        session.factors.user = ZitadelSession.UserFactor(verifiedAt: Self.at, id: "u")
        let v = #"{"verifiedAt":"2025-03-06T14:42:07.731226Z"}"#
        let expected =
            #"{"session":{"factors":{"user":{"verifiedAt":"2025-03-06T14:42:07.731226Z","id":"u"},"password":"#
            + v + #","webAuthN":{"verifiedAt":"2025-03-06T14:42:07.731226Z","userVerified":true},"intent":"# + v
            + #","totp":"# + v + #","otpSms":"# + v + #","otpEmail":"# + v + #","recoveryCode":"# + v + "}}}"
        #expect(Self.body(session) == expected)
    }

    @Test func metadataKeysSortedAndBase64Padded() {
        var session = ZitadelSession()
        session.metadata = [
            "z": Array("a".utf8), "a": Array("ab".utf8), "m": Array("abc".utf8), "e": [], "b": [0xFF, 0xFE, 0x00],
        ]
        #expect(Self.body(session) == #"{"session":{"metadata":{"a":"YWI=","b":"//4A","e":"","m":"YWJj","z":"YQ=="}}}"#)
    }

    @Test func userAgentOptionalStringsArePresentEvenWhenEmpty() {
        var session = ZitadelSession()
        session.userAgent = ZitadelSession.UserAgent(fingerprintId: "", ip: nil, description: nil, header: [:])
        #expect(Self.body(session) == #"{"session":{"userAgent":{"fingerprintId":""}}}"#)
        session.userAgent = ZitadelSession.UserAgent(
            fingerprintId: nil,
            ip: "",
            description: "",
            header: ["x-b": ["1"], "x-a": []]
        )
        #expect(
            Self.body(session)
                == #"{"session":{"userAgent":{"ip":"","description":"","header":{"x-a":{},"x-b":{"values":["1"]}}}}}"#
        )
    }

    @Test func emptyUserAgentFromASeedIsOmitted() throws {
        let entry = try SeedParser.parseSessionEntry(try JSONParser.parse(#"{"session":{"id":"s","userAgent":{}}}"#))
        #expect(entry.session.userAgent == nil)
        #expect(Self.body(entry.session) == #"{"session":{"id":"s"}}"#)
    }

    @Test func base64() {
        #expect(Base64Text.encode([]) == "")
        #expect(Base64Text.encode(Array("acme".utf8)) == "YWNtZQ==")
        #expect(Base64Text.encode([0xFB, 0xFF]) == "+/8=")
        #expect(Base64Text.decode("YWNtZQ==") == Array("acme".utf8))
        #expect(Base64Text.decode("YWNtZQ") == Array("acme".utf8))  // padding optional on input
        #expect(Base64Text.decode("-_8=") == [0xFB, 0xFF])  // URL-safe alphabet accepted on input
        #expect(Base64Text.decode("") == [])
        #expect(Base64Text.decode("Y") == nil)
        #expect(Base64Text.decode("YQ==YQ==") == nil)
        #expect(Base64Text.decode("YQ=") == nil)
        #expect(Base64Text.decode("Y Q==") == nil)
    }

    // MARK: - JSON writer

    @Test func stringEscaping() {
        let value = JSONValue.string("q\"b\\s/\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{7F}é€😀")
        #expect(value.serializedString == #""q\"b\\s/\n\r\t\b\f\u0001\u001f"# + "\u{7F}é€😀\"")
        var writer = JSONWriter()
        writer.string("\u{00}\u{1B}")
        #expect(Self.text(writer.bytes) == #""\u0000\u001b""#)
    }

    @Test func serializationKeepsOrderAndNumberText() {
        let value = JSONValue.object([
            ("b", .number("1.50")), ("a", .array([.null, .bool(true), .bool(false), .number("-0")])),
            ("c", .object([])),
        ])
        #expect(value.serializedString == #"{"b":1.50,"a":[null,true,false,-0],"c":{}}"#)
    }

    // MARK: - JSON parser

    static func syntaxError(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try JSONParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func surrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try JSONParser.parse("\"é😀\"") == .string("é😀"))
    }

    @Test func loneSurrogatesAreRejected() {
        #expect(Self.syntaxError(#""\ud83d""#)?.reason == #"lone high surrogate in \u escape"#)
        #expect(Self.syntaxError(#""\ud83dx""#)?.reason == #"lone high surrogate in \u escape"#)
        #expect(Self.syntaxError(#""\ude00""#)?.reason == #"lone low surrogate in \u escape"#)
        #expect(Self.syntaxError(#""\ud83d\u0041""#)?.reason == #"invalid low surrogate in \u escape"#)
        #expect(Self.syntaxError(#""\u12""#)?.reason == #"incomplete \u escape"#)
        #expect(Self.syntaxError(#""\u12G4""#)?.reason == #"invalid hex digit in \u escape"#)
    }

    @Test func nestingLimit() throws {
        let deepest = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        _ = try JSONParser.parse(deepest)
        let tooDeep = String(repeating: "[", count: 257) + String(repeating: "]", count: 257)
        #expect(
            Self.syntaxError(tooDeep) == JSONSyntaxError(line: 1, column: 257, reason: "nested deeper than 256 levels")
        )
        let objects = String(repeating: #"{"a":"#, count: 257) + "1" + String(repeating: "}", count: 257)
        #expect(Self.syntaxError(objects)?.reason == "nested deeper than 256 levels")
    }

    @Test func trailingGarbage() {
        #expect(
            Self.syntaxError("{} x")
                == JSONSyntaxError(line: 1, column: 4, reason: "unexpected text after the JSON value")
        )
        #expect(
            Self.syntaxError("[1]]")
                == JSONSyntaxError(line: 1, column: 4, reason: "unexpected text after the JSON value")
        )
        #expect(Self.syntaxError("01")?.reason == "unexpected text after the JSON value")
        #expect(
            Self.syntaxError("{}\n\n  {}")
                == JSONSyntaxError(line: 3, column: 3, reason: "unexpected text after the JSON value")
        )
    }

    @Test func numbersAreKeptAsText() throws {
        let parsed = try JSONParser.parse("[1.50, -0, 1E+2, 2e-3, 12345678901234567890123, 0.0]")
        #expect(
            parsed
                == .array([
                    .number("1.50"), .number("-0"), .number("1E+2"), .number("2e-3"),
                    .number("12345678901234567890123"), .number("0.0"),
                ])
        )
        #expect(parsed.serializedString == "[1.50,-0,1E+2,2e-3,12345678901234567890123,0.0]")
    }

    @Test(arguments: ["-", "1.", ".5", "1e", "1e+", "+1", "-a"])
    func invalidNumbers(text: String) {
        #expect(Self.syntaxError(text) != nil)
    }

    @Test func otherSyntaxErrors() {
        #expect(Self.syntaxError("") == JSONSyntaxError(line: 1, column: 1, reason: "unexpected end of input"))
        #expect(Self.syntaxError("\"a\u{01}\"")?.reason == "control character in string (must be escaped)")
        #expect(Self.syntaxError(#""\x""#) == JSONSyntaxError(line: 1, column: 3, reason: #"invalid escape '\x'"#))
        #expect(Self.syntaxError("\"abc") == JSONSyntaxError(line: 1, column: 5, reason: "unterminated string"))
        #expect(
            Self.syntaxError("tru") == JSONSyntaxError(line: 1, column: 4, reason: "invalid literal, expected 'true'")
        )
        #expect(Self.syntaxError("[1,]")?.reason == "unexpected character ']'")
        #expect(Self.syntaxError(#"{"a":1,}"#)?.reason == "expected a string key")
        #expect(Self.syntaxError(#"{"a" 1}"#)?.reason == "expected ':' after key")
        #expect(Self.syntaxError(#"{"a":1,"a":2}"#) == JSONSyntaxError(line: 1, column: 8, reason: "duplicate key 'a'"))
        // Columns count characters, not bytes.
        #expect(
            Self.syntaxError("[\"é\" x]") == JSONSyntaxError(line: 1, column: 6, reason: "expected ',' or ']' in array")
        )
        do {
            _ = try JSONParser.parse([0x22, 0xFF, 0x22])
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.reason == "string is not valid UTF-8")
        }
    }

    @Test func parsesObjectsKeepingKeyOrderAndAByteOrderMark() throws {
        let parsed = try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array(#" {"b": 1, "a": [true, null, "\/"]} "#.utf8))
        #expect(parsed == .object([("b", .number("1")), ("a", .array([.bool(true), .null, .string("/")]))]))
        #expect(parsed != .object([("a", .array([.bool(true), .null, .string("/")])), ("b", .number("1"))]))
        #expect(parsed["a"] == .array([.bool(true), .null, .string("/")]))
        #expect(parsed["missing"] == nil)
    }
}

/// The documents that list the factors by hand agree with `Factor`, the list the code goes by.
@Suite struct FactorTableTests {
    @Test func seedSchemaListsEveryFactorInProtoOrder() throws {
        let schema = try JSONParser.parse(
            Array(try Data(contentsOf: SeedParserTests.repositoryRoot.appendingPathComponent("Seeds/seed.schema.json")))
        )
        guard case .object(let properties)? = schema["$defs"]?["factors"]?["properties"] else {
            Issue.record("no $defs.factors.properties")
            return
        }
        let expected = Factor.allCases.flatMap {
            $0.protoName == $0.rawValue ? [$0.rawValue] : [$0.rawValue, $0.protoName]
        }
        #expect(Set(properties.map(\.key)) == Set(expected))
        #expect(
            properties.map(\.key).filter { name in Factor.allCases.contains { $0.rawValue == name } }
                == Factor.allCases.map(\.rawValue)
        )
    }

    @Test func openAPIDocumentListsEveryFactor() throws {
        let text = try String(
            contentsOf: SeedParserTests.repositoryRoot.appendingPathComponent("openapi/openapi.yaml"),
            encoding: .utf8
        )
        for schema in ["ZitadelFactors:", "SeedFactors:"] {
            let start = try #require(text.range(of: "\n    \(schema)\n"))
            let end =
                text.range(of: "\n    [A-Za-z]", options: .regularExpression, range: start.upperBound..<text.endIndex)?
                .lowerBound ?? text.endIndex
            let names = text[start.upperBound..<end].split(separator: "\n")
                .filter { $0.hasPrefix("        ") && !$0.hasPrefix("         ") && $0.hasSuffix(":") }
                .map { String($0.dropFirst(8).dropLast()) }
            #expect(
                names.filter { name in Factor.allCases.contains { $0.rawValue == name } }
                    == Factor.allCases.map(\.rawValue),
                "\(schema) \(names)"
            )
        }
    }

    @Test func protoNamesAreTheSnakeCaseFieldNames() {
        #expect(
            Factor.allCases.map(\.protoName) == [
                "user", "password", "web_auth_n", "intent", "totp", "otp_sms", "otp_email", "recovery_code",
            ]
        )
        #expect(
            Zitadel_Session_V2_Factors.with {
                $0.webAuthN = .init()
                $0.otpSms = .init()
            }.textFormatString().contains("web_auth_n")
        )
    }
}

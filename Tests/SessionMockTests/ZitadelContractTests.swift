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

/// Contract §2, row by row, over real sockets against the bundled default scenario.
@Suite struct ZitadelContractTests {
    static let contractExample = #"{"session":{"id":"312909075212468632","creationDate":"2025-03-06T14:42:07.731226Z","changeDate":"2025-03-06T14:42:08.152937Z","sequence":"4","factors":{"user":{"verifiedAt":"2025-03-06T14:42:07.731226Z","id":"312909037640286104","loginName":"minnie@example.com","displayName":"Minnie Mouse","organizationId":"312908994858385304"},"password":{"verifiedAt":"2025-03-06T14:42:08.152937Z"},"webAuthN":{"verifiedAt":"2025-03-06T14:42:08.152937Z","userVerified":true}},"metadata":{"tenant":"YWNtZQ=="},"userAgent":{"fingerprintId":"fp-8c2f","ip":"203.0.113.7","description":"Chrome 122 on macOS","header":{"accept-language":{"values":["de-CH","en"]}}},"expirationDate":"2025-03-07T02:42:07.731226Z"}}"#
    let full = "/v2/sessions/312909075212468632"

    @Test func returnsTheContractExampleByteForByte() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: Harness.admin)
        #expect(result.status == 200)
        #expect(result.text == Self.contractExample)
        #expect(result.header("Content-Type") == "application/json")
        #expect(result.header("Cache-Control") == "no-store")
        #expect(result.header("Pragma") == "no-cache")
    }

    @Test func missingAuthorizationIs401WithoutDetails() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full)
        #expect(result.status == 401)
        #expect(result.text == #"{"code":16,"message":"auth header missing"}"#)
    }

    @Test func emptyAuthorizationCountsAsMissing() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": ""])
        #expect(result.status == 401)
        #expect(result.text == #"{"code":16,"message":"auth header missing"}"#)
    }

    @Test(arguments: ["Basic YWRtaW46cGF0", "admin-pat", "Bearer", "Token admin-pat"])
    func nonBearerHeaderIs401(header: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": header])
        #expect(result.status == 401)
        #expect(result.text == #"{"code":16,"message":"invalid auth header (AUTH-toLo1)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-toLo1","message":"invalid auth header"}]}"#)
    }

    @Test(arguments: ["bearer admin-pat", "BEARER admin-pat", "Bearer admin-pat"])
    func bearerSchemeIsCaseInsensitive(header: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": header])
        #expect(result.status == 200)
    }

    @Test func unknownTokenIs401() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer nope"])
        #expect(result.status == 401)
        #expect(result.text == #"{"code":16,"message":"Errors.Token.Invalid (AUTH-7fs1e)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-7fs1e","message":"Errors.Token.Invalid"}]}"#)
    }

    @Test func seedWithoutTokensAcceptsNone() async throws {
        let mock = try Harness(seeds: ["s": #"{"zitadel":{"sessions":[{"session":{"id":"1"}}]}}"#])
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/1", headers: Harness.admin)
        #expect(result.status == 401)
        #expect(result.text.contains("AUTH-7fs1e"))
    }

    @Test func sessionIdOver200CharactersIs400() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/" + String(repeating: "a", count: 201), headers: Harness.admin)
        #expect(result.status == 400)
        #expect(result.text == #"{"code":3,"message":"invalid GetSessionRequest.SessionId: value length must be between 1 and 200 runes, inclusive"}"#)
        // 200 runes of a multi-byte character are still within the limit.
        let atLimit = try await mock.get("/v2/sessions/" + String(repeating: "%C3%BC", count: 200), headers: Harness.admin)
        #expect(atLimit.status == 404)
    }

    @Test(arguments: ["sessionToken", "session_token"])
    func emptySessionTokenIs400(name: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("\(full)?\(name)=", headers: Harness.admin)
        #expect(result.status == 400)
        #expect(result.text == #"{"code":3,"message":"invalid GetSessionRequest.SessionToken: value length must be between 1 and 500 runes, inclusive"}"#)
    }

    @Test func sessionTokenOver500CharactersIs400() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("\(full)?sessionToken=" + String(repeating: "t", count: 501), headers: Harness.admin)
        #expect(result.status == 400)
        #expect(result.text.contains("GetSessionRequest.SessionToken"))
    }

    @Test func tokenIsCheckedBeforeLengths() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/" + String(repeating: "a", count: 201), headers: ["Authorization": "Bearer nope"])
        #expect(result.status == 401)
    }

    @Test func unknownSessionIs404() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/nope", headers: Harness.admin)
        #expect(result.status == 404)
        #expect(result.text == #"{"code":5,"message":"Session does not exist (QUERY-SFeaa)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-SFeaa","message":"Session does not exist"}]}"#)
    }

    @Test func wrongSessionTokenIs403EvenForAdmins() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("\(full)?sessionToken=wrong", headers: Harness.admin)
        #expect(result.status == 403)
        #expect(result.text == #"{"code":7,"message":"Permission denied (QUERY-dsfr3)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-dsfr3","message":"Permission denied"}]}"#)
    }

    @Test(arguments: ["sessionToken", "session_token"])
    func rightSessionTokenIs200ForAnyValidCaller(name: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("\(full)?\(name)=tok-full", headers: ["Authorization": "Bearer stranger-pat"])
        #expect(result.status == 200)
        #expect(result.text == Self.contractExample)
    }

    @Test func strangerWithoutPermissionIs403() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer stranger-pat"])
        #expect(result.status == 403)
        #expect(result.text == #"{"code":7,"message":"No matching permissions found (AUTH-AWfge)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-AWfge","message":"No matching permissions found"}]}"#)
    }

    @Test(arguments: [("creator-pat", "creator"), ("user-pat", "checked user"), ("admin-pat", "session.read")])
    func permittedCallersGetTheSession(token: String, why: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer \(token)"])
        #expect(result.status == 200, "\(why) may read without a session token")
    }

    @Test func bareSessionOmitsEverythingUnset() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        #expect(result.status == 200)
        let session = try #require(try result.json()["session"])
        guard case .object(let members) = session else { Issue.record("session is not an object"); return }
        #expect(members.map(\.key) == ["id", "creationDate", "changeDate", "sequence"])
        #expect(session["sequence"] == .string("1"))
        #expect(!result.text.contains("null"))
    }

    @Test func expiredSessionIsStill200() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/expired-1", headers: Harness.admin)
        #expect(result.status == 200)
        guard case .string(let expiration)? = try result.json()["session"]?["expirationDate"] else {
            Issue.record("no expirationDate"); return
        }
        let parsed = try #require(RFC3339.parse(expiration))
        #expect(parsed.micros < WallClock.nowMicros())
        #expect(expiration.hasSuffix("Z") && expiration.count == 27, "relative times go out with 6 fraction digits: \(expiration)")
    }

    @Test func allFactorsAreSentInProtoOrder() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/all-factors-1", headers: Harness.admin)
        #expect(result.status == 200)
        guard case .object(let factors)? = try result.json()["session"]?["factors"] else { Issue.record("no factors"); return }
        #expect(factors.map(\.key) == ["user", "password", "webAuthN", "intent", "totp", "otpSms", "otpEmail", "recoveryCode"])
        #expect(factors.first { $0.key == "webAuthN" }?.value["userVerified"] == nil, "userVerified:false is omitted")
    }

    @Test func forcedFaultIs500() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/boom-1", headers: Harness.admin)
        #expect(result.status == 500)
        #expect(result.text == #"{"code":13,"message":"An internal error occurred (QUERY-SAder)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"QUERY-SAder","message":"An internal error occurred"}]}"#)
    }

    @Test func orgIdHeaderIsIgnored() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get(full, headers: ["Authorization": "Bearer admin-pat", "x-zitadel-orgid": "123"])
        #expect(result.status == 200)
        #expect(result.text == Self.contractExample)
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH"])
    func otherMethodsAre405(method: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.send(method, full, headers: Harness.admin)
        #expect(result.status == 405)
        #expect(result.text == #"{"code":12,"message":"Method Not Allowed"}"#)
    }

    @Test func unknownPathUnderV2Is404Code5() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        for path in ["/v2/nope", "/v2/sessions/1/extra", "/v2/sessions/"] {
            let result = try await mock.get(path, headers: Harness.admin)
            #expect(result.status == 404, "\(path)")
            #expect(result.text == #"{"code":5,"message":"Not Found"}"#, "\(path)")
        }
    }
}

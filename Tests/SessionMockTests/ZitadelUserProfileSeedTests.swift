import Testing

@testable import Seeds

/// The user fields the user RPCs read: parsed, defaulted, and refused with file, JSON path and reason.
@Suite struct ZitadelUserProfileSeedTests {
    static func users(_ user: String) throws(SeedError) -> [ZitadelUser] {
        try SeedParser.parse(Array(#"{"zitadel":{"users":[\#(user)]}}"#.utf8), file: "users.json").zitadel.users
    }

    @Test func everyProfileFieldIsRead() throws {
        let user = try #require(
            try Self.users(
                #"{"userId":"1","loginName":"a@example.com","state":"USER_STATE_INITIAL","username":"a","email":"a@example.com","emailVerified":true,"phone":"+41790000000","phoneVerified":true,"givenName":"A","familyName":"B","preferredLanguage":"en","otpSms":true,"otpEmail":true,"passwordChangeRequired":true}"#
            ).first
        )
        #expect(user.state == .initial)
        #expect(user.username == "a" && user.email == "a@example.com" && user.emailVerified)
        #expect(user.phone == "+41790000000" && user.phoneVerified)
        #expect(user.givenName == "A" && user.familyName == "B" && user.preferredLanguage == "en")
        #expect(user.otpSms && user.otpEmail && user.passwordChangeRequired)
    }

    @Test func unseededFieldsTakeZitadelsDefaults() throws {
        let user = try #require(try Self.users(#"{"userId":"1","loginName":"a@example.com"}"#).first)
        #expect(user.state == .active)
        #expect(user.username == nil && user.email == nil && !user.emailVerified && user.phone == nil)
        #expect(!user.otpSms && !user.otpEmail && !user.passwordChangeRequired)
    }

    @Test(arguments: [
        (
            #""state":"USER_STATE_GONE""#, "state",
            "unknown state 'USER_STATE_GONE' (known: USER_STATE_ACTIVE, USER_STATE_INACTIVE, USER_STATE_LOCKED, USER_STATE_INITIAL)"
        ),
        (#""email":"""#, "email", "must not be empty"),
        (#""otpSms":"yes""#, "otpSms", "expected true or false, found string"),
    ])
    func badFieldsAreRefusedWithTheirPath(field: String, key: String, reason: String) throws {
        do {
            _ = try Self.users(#"{"userId":"1","loginName":"a@example.com",\#(field)}"#)
            Issue.record("accepted \(field)")
        } catch {
            #expect(error.issues.map(\.file) == ["users.json"])
            #expect(error.issues.map(\.path) == ["$.zitadel.users[0].\(key)"])
            #expect(error.issues.map(\.reason) == [reason])
        }
    }
}

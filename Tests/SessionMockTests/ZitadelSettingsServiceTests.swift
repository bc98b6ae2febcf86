import Foundation
import SessionMockTesting
import SwiftProtobuf
import Testing

@testable import JSON
@testable import Seeds
@testable import SessionMock
@testable import ZitadelAPI

/// `zitadel.settings.v2.SettingsService` on the default scenario: what a new ZITADEL instance
/// reports, byte for byte on REST, the same message over Connect proto, and the permission rows.
@Suite struct ZitadelSettingsServiceTests {
    static let admin = ["Authorization": "Bearer admin-pat"]
    static let details = #"{"sequence":"1","resourceOwner":"312908900000000001"}"#
    static let instance = #""resourceOwnerType":"RESOURCE_OWNER_TYPE_INSTANCE""#

    static let bodies: [(path: String, body: String)] = [
        (
            "/v2/settings",
            #"{"defaultOrgId":"312908994858385304","defaultLanguage":"en","supportedLanguages":["ar","bg","ca","cs","da","de","en","es","fr","hi","hr","hu","id","it","ja","kk","ko","lt","mk","nb","nl","pl","pt","ro","ru","sk","sl","sq","sv","th","tr","uk","vi","zh-TW","zh"],"defaultOrganizationId":"312908994858385304"}"#
        ),
        (
            "/v2/settings/login",
            #"{"details":\#(details),"settings":{"allowUsernamePassword":true,"allowRegister":true,"allowExternalIdp":true,"passkeysType":"PASSKEYS_TYPE_ALLOWED","passwordCheckLifetime":"864000s","externalLoginCheckLifetime":"864000s","mfaInitSkipLifetime":"2592000s","secondFactorCheckLifetime":"64800s","multiFactorCheckLifetime":"43200s","secondFactors":["SECOND_FACTOR_TYPE_OTP","SECOND_FACTOR_TYPE_U2F"],"multiFactors":["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],"allowDomainDiscovery":true,\#(instance),"allowLocalAuthentication":true}}"#
        ),
        (
            "/v2/settings/password/complexity",
            #"{"details":\#(details),"settings":{"minLength":"8","requiresUppercase":true,"requiresLowercase":true,"requiresNumber":true,"requiresSymbol":true,\#(instance)}}"#
        ),
        ("/v2/settings/password/expiry", #"{"details":\#(details),"settings":{\#(instance)}}"#),
        (
            "/v2/settings/branding",
            ##"{"details":\##(details),"settings":{"lightTheme":{"primaryColor":"#5469d4","backgroundColor":"#fafafa","warnColor":"#cd3d56","fontColor":"#000000"},"darkTheme":{"primaryColor":"#2073c4","backgroundColor":"#111827","warnColor":"#ff3b5b","fontColor":"#ffffff"},\##(instance),"themeMode":"THEME_MODE_AUTO"}}"##
        ),
        ("/v2/settings/domain", #"{"details":\#(details),"settings":{\#(instance)}}"#),
        (
            "/v2/settings/legal_support",
            #"{"details":\#(details),"settings":{\#(instance),"docsLink":"https://zitadel.com/docs"}}"#
        ),
        ("/v2/settings/lockout", #"{"details":\#(details),"settings":{\#(instance)}}"#),
        ("/v2/settings/security", #"{"settings":{"embeddedIframe":{}}}"#),
    ]

    @Test(arguments: TestingSetup.allCases)
    func aNewInstancesSettingsByteForByte(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        for (path, body) in Self.bodies {
            let result = try await mock.get(path, headers: Self.admin)
            #expect(result.status == 200, "\(path)")
            #expect(result.text == body, "\(path)")
        }
        let idps = try await mock.get("/v2/settings/login/idps", headers: Self.admin)
        #expect(
            idps.status == 200 && idps.text.hasPrefix(#"{"details":{"timestamp":""#)
                && !idps.text.contains("identityProviders")
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func connectProtoCarriesTheSameMessage(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let answer = try await mock.send(
            "POST",
            "/zitadel.settings.v2.SettingsService/GetLoginSettings",
            headers: Self.admin.merging(["Content-Type": "application/proto"]) { $1 },
            bytes: []
        )
        #expect(answer.status == 200 && answer.header("Content-Type") == "application/proto")
        let message = try Zitadel_Settings_V2_GetLoginSettingsResponse(serializedBytes: [UInt8](answer.body))
        #expect(try message.jsonString() == (Self.bodies.first { $0.path == "/v2/settings/login" }?.body ?? ""))
    }

    @Test(arguments: TestingSetup.allCases)
    func permissionRows(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let denied =
            #"{"code":7,"message":"No matching permissions found (AUTH-AWfge)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"AUTH-AWfge","message":"No matching permissions found"}]}"#
        // The login UI's account has policy.read but not iam.policy.read, which GetSecuritySettings asks.
        let login = ["Authorization": "Bearer login-pat"]
        #expect(try await mock.get("/v2/settings/login", headers: login).status == 200)
        let security = try await mock.get("/v2/settings/security", headers: login)
        #expect(security.status == 403 && security.text == denied)
        let user = try await mock.get("/v2/settings/branding", headers: ["Authorization": "Bearer user-pat"])
        #expect(user.status == 403 && user.text == denied)
    }
}

/// `zitadel.org.v2.OrganizationService.ListOrganizations` on the default scenario.
@Suite struct ZitadelOrganizationServiceTests {
    @Test(arguments: TestingSetup.allCases)
    func theDefaultOrganizationAndItsQueries(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let login = ["Authorization": "Bearer login-pat"]
        let all = try await mock.send("POST", "/v2/organizations/_search", headers: login, body: "{}")
        #expect(all.status == 200)
        let organization =
            #"{"id":"312908994858385304","details":{"sequence":"1","resourceOwner":"312908900000000001"},"state":"ORGANIZATION_STATE_ACTIVE","name":"ZITADEL","primaryDomain":"zitadel.localhost"}"#
        #expect(all.text.hasPrefix(#"{"details":{"totalResult":"1","timestamp":""#))
        #expect(all.text.hasSuffix(#""result":[\#(organization)]}"#), "\(all.text)")
        let named = try await mock.send(
            "POST",
            "/v2/organizations/_search",
            headers: login,
            body:
                #"{"queries":[{"nameQuery":{"name":"zit","method":"TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"}},{"defaultQuery":{}}]}"#
        )
        #expect(named.text.hasSuffix(#""result":[\#(organization)]}"#))
        let other = try await mock.send(
            "POST",
            "/v2/organizations/_search",
            headers: login,
            body: #"{"queries":[{"idQuery":{"id":"1"}}]}"#
        )
        #expect(other.text.hasPrefix(#"{"details":{"timestamp":""#) && !other.text.contains("result"))
        let denied = try await mock.send(
            "POST",
            "/v2/organizations/_search",
            headers: ["Authorization": "Bearer user-pat"],
            body: "{}"
        )
        #expect(denied.status == 403)
    }
}

/// Seeded `zitadel.organizations`: listed instead of the default one, `isDefault` naming the default.
@Suite struct ZitadelSeededOrganizationTests {
    static let seed = #"""
        {"zitadel":{"instanceId":"1","tokens":[{"token":"t","userId":"u","permissions":["org.read","policy.read"]}],
         "organizations":[{"id":"10","name":"Acme","primaryDomain":"acme.example"},
                          {"id":"20","name":"Globex","primaryDomain":"globex.example","isDefault":true,"state":"ORGANIZATION_STATE_INACTIVE"}]}}
        """#

    @Test(arguments: TestingSetup.allCases)
    func seededOrganizationsAreListedAndTheDefaultIsNamed(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["orgs": Self.seed], scenario: "orgs")
        defer { mock.stop() }
        let token = ["Authorization": "Bearer t"]
        let all = try await mock.send("POST", "/v2/organizations/_search", headers: token, body: "{}")
        #expect(
            all.text.hasSuffix(
                #""result":[{"id":"10","details":{"sequence":"1","resourceOwner":"1"},"state":"ORGANIZATION_STATE_ACTIVE","name":"Acme","primaryDomain":"acme.example"},{"id":"20","details":{"sequence":"1","resourceOwner":"1"},"state":"ORGANIZATION_STATE_INACTIVE","name":"Globex","primaryDomain":"globex.example"}]}"#
            ),
            "\(all.text)"
        )
        let defaults = try await mock.send(
            "POST",
            "/v2/organizations/_search",
            headers: token,
            body: #"{"queries":[{"defaultQuery":{}}]}"#
        )
        #expect(defaults.text.contains(#""result":[{"id":"20""#) && !defaults.text.contains(#""id":"10""#))
        let general = try await mock.get("/v2/settings", headers: token)
        #expect(try general.json()["defaultOrgId"] == .string("20"))
    }

    @Test func aSecondDefaultIsRefusedWithItsPath() {
        let seed =
            #"{"zitadel":{"organizations":[{"id":"1","name":"A","primaryDomain":"a","isDefault":true},{"id":"2","name":"B","primaryDomain":"b","isDefault":true}]}}"#
        do {
            _ = try SeedParser.parse(Array(seed.utf8), file: "orgs.json")
            Issue.record("accepted two defaults")
        } catch {
            #expect(error.issues.map(\.path) == ["$.zitadel.organizations[1].isDefault"])
            #expect(error.issues.map(\.reason) == ["the default organization is already $.zitadel.organizations[0]"])
        }
    }
}

/// Seeded `zitadel.settings` and organizations' `settings`: each object merged over a new
/// instance's defaults, the organization's over the instance's, picked by `ctx` as ZITADEL does.
@Suite struct ZitadelSeededSettingsTests {
    static let seed = #"""
        {"zitadel":{"instanceId":"1",
         "tokens":[{"token":"t","userId":"u2","permissions":["policy.read","iam.policy.read","session.write"]}],
         "users":[{"userId":"u1","loginName":"one@acme.example","organizationId":"10","password":"Right1!"},
                  {"userId":"u2","loginName":"two@globex.example","organizationId":"20","password":"Right2!"}],
         "settings":{"login":{"allowRegister":false,"passkeysType":null},
                     "lockout":{"maxPasswordAttempts":"3"},
                     "general":{"defaultLanguage":"de","supportedLanguages":["de","en"]},
                     "security":{"enableImpersonation":true},
                     "identityProviders":[{"id":"g","name":"Google","type":"IDENTITY_PROVIDER_TYPE_GOOGLE","options":{"isCreationAllowed":true,"autoLinking":"AUTO_LINKING_OPTION_EMAIL"}},
                                          {"id":"l","name":"LDAP","type":"IDENTITY_PROVIDER_TYPE_LDAP","options":{"isLinkingAllowed":true}}]},
         "organizations":[{"id":"10","name":"Acme","primaryDomain":"acme.example","isDefault":true},
                          {"id":"20","name":"Globex","primaryDomain":"globex.example",
                           "settings":{"login":{"forceMfa":true},"lockout":{"maxPasswordAttempts":1},
                                       "identityProviders":[]}}]}}
        """#
    static let token = ["Authorization": "Bearer t"]
    static let lifetimes =
        #""passwordCheckLifetime":"864000s","externalLoginCheckLifetime":"864000s","mfaInitSkipLifetime":"2592000s","secondFactorCheckLifetime":"64800s","multiFactorCheckLifetime":"43200s","secondFactors":["SECOND_FACTOR_TYPE_OTP","SECOND_FACTOR_TYPE_U2F"],"multiFactors":["MULTI_FACTOR_TYPE_U2F_WITH_VERIFICATION"],"allowDomainDiscovery":true"#
    static let instanceLogin =
        #"{"details":{"sequence":"1","resourceOwner":"1"},"settings":{"allowUsernamePassword":true,"allowExternalIdp":true,\#(lifetimes),"resourceOwnerType":"RESOURCE_OWNER_TYPE_INSTANCE","allowLocalAuthentication":true}}"#
    static let globexLogin =
        #"{"details":{"sequence":"1","resourceOwner":"20"},"settings":{"allowUsernamePassword":true,"allowExternalIdp":true,"forceMfa":true,\#(lifetimes),"resourceOwnerType":"RESOURCE_OWNER_TYPE_ORG","allowLocalAuthentication":true}}"#

    @Test(arguments: TestingSetup.allCases)
    func layersArePickedByContextAsZitadelDoes(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["s": Self.seed], scenario: "s")
        defer { mock.stop() }
        let rows: [(path: String, body: String)] = [
            // No ctx: the caller's organization (the token's user is Globex's).
            ("/v2/settings/login", Self.globexLogin),
            ("/v2/settings/login?ctx.orgId=20", Self.globexLogin),
            ("/v2/settings/login?ctx.instance=true", Self.instanceLogin),
            // Acme has no login settings of its own: the instance's, owned by the instance.
            ("/v2/settings/login?ctx.orgId=10", Self.instanceLogin),
            (
                "/v2/settings/lockout?ctx.orgId=10",
                #"{"details":{"sequence":"1","resourceOwner":"1"},"settings":{"maxPasswordAttempts":"3","resourceOwnerType":"RESOURCE_OWNER_TYPE_INSTANCE"}}"#
            ),
            (
                "/v2/settings/lockout",
                #"{"details":{"sequence":"1","resourceOwner":"20"},"settings":{"maxPasswordAttempts":"1","resourceOwnerType":"RESOURCE_OWNER_TYPE_ORG"}}"#
            ),
            (
                "/v2/settings",
                #"{"defaultOrgId":"10","defaultLanguage":"de","supportedLanguages":["de","en"],"defaultOrganizationId":"10"}"#
            ),
            ("/v2/settings/security", #"{"settings":{"embeddedIframe":{},"enableImpersonation":true}}"#),
        ]
        for row in rows {
            let result = try await mock.get(row.path, headers: Self.token)
            #expect(result.status == 200 && result.text == row.body, "\(row.path): \(result.text)")
        }
        // The same on Connect, ctx in the body.
        let connect = try await mock.send(
            "POST",
            "/zitadel.settings.v2.SettingsService/GetLoginSettings",
            headers: Self.token.merging(["Content-Type": "application/json"]) { $1 },
            body: #"{"ctx":{"instance":true}}"#
        )
        #expect(connect.status == 200 && connect.text == Self.instanceLogin)
    }

    @Test(arguments: TestingSetup.allCases)
    func identityProvidersAreTheOrganizationsListElseTheInstancesFiltered(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["s": Self.seed], scenario: "s")
        defer { mock.stop() }
        let google =
            #"{"id":"g","name":"Google","type":"IDENTITY_PROVIDER_TYPE_GOOGLE","options":{"isCreationAllowed":true,"autoLinking":"AUTO_LINKING_OPTION_EMAIL"}}"#
        let ldap = #"{"id":"l","name":"LDAP","type":"IDENTITY_PROVIDER_TYPE_LDAP","options":{"isLinkingAllowed":true}}"#
        let rows: [(query: String, total: Int, providers: [String])] = [
            ("?ctx.orgId=10", 2, [google, ldap]),
            ("?ctx.orgId=10&creationAllowed=true", 1, [google]),
            ("?ctx.orgId=10&linkingAllowed=true&autoLinking=false", 1, [ldap]),
            ("?ctx.orgId=10&autoCreation=true", 0, []),
            // Globex seeds an empty list of its own.
            ("", 0, []),
        ]
        for row in rows {
            let result = try await mock.get("/v2/settings/login/idps\(row.query)", headers: Self.token)
            let json = try result.json()
            let total: JSONValue? = row.total == 0 ? nil : .string(String(row.total))
            #expect(result.status == 200 && json["details"]?["totalResult"] == total, "\(row.query)")
            let listed = try row.providers.map { try JSONParser.parse($0) }
            #expect(json["identityProviders"] == (listed.isEmpty ? nil : .array(listed)), "\(row.query)")
        }
    }

    /// `lockout.maxPasswordAttempts` locks the users of its organization, else of the instance.
    @Test(arguments: TestingSetup.allCases)
    func maxPasswordAttemptsIsTheUsersDefaultLockout(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["s": Self.seed], scenario: "s")
        defer { mock.stop() }
        func attempt(_ loginName: String, _ password: String) async throws -> HTTPResult {
            try await mock.send(
                "POST",
                "/v2/sessions",
                headers: Self.token,
                body: #"{"checks":{"user":{"loginName":"\#(loginName)"},"password":{"password":"\#(password)"}}}"#
            )
        }
        let notActive =
            #"{"code":9,"message":"Errors.User.NotActive (SESSION-Gj4ko)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"SESSION-Gj4ko","message":"Errors.User.NotActive"}]}"#
        // Globex: one attempt.
        #expect(try await attempt("two@globex.example", "wrong").text.hasSuffix(#""failedAttempts":1}]}"#))
        #expect(try await attempt("two@globex.example", "Right2!").text == notActive)
        // Acme: the instance's three; a right password in between starts the count again.
        #expect(try await attempt("one@acme.example", "wrong").status == 400)
        #expect(try await attempt("one@acme.example", "Right1!").status == 201)
        for _ in 1...2 { #expect(try await attempt("one@acme.example", "wrong").status == 400) }
        #expect(try await attempt("one@acme.example", "wrong").text.hasSuffix(#""failedAttempts":3}]}"#))
        #expect(try await attempt("one@acme.example", "Right1!").text == notActive)
    }

    @Test func seededSettingsAreCheckedAgainstTheirMessagesWithPaths() {
        let seed = #"""
            {"zitadel":{"settings":{"login":{"allowRegistr":false},"branding":[1],"colors":{},
                                    "identityProviders":[{"id":"a"},{"typo":1}]},
             "organizations":[{"id":"o","name":"O","primaryDomain":"o",
                               "settings":{"general":{},"lockout":{"maxPasswordAttempts":"x"}}}]}}
            """#
        do {
            _ = try SeedParser.parse(Array(seed.utf8), file: "s.json")
            Issue.record("accepted")
        } catch {
            #expect(
                error.issues.map(\.description) == [
                    "s.json: $.zitadel.settings.colors: unknown field 'colors' (known: branding, domain, general, identityProviders, legalAndSupport, lockout, login, passwordComplexity, passwordExpiry, security)",
                    "s.json: $.zitadel.settings.login.allowRegistr: unknown field of zitadel.settings.v2.LoginSettings",
                    "s.json: $.zitadel.settings.branding: expected an object, found array",
                    "s.json: $.zitadel.settings.identityProviders[1].typo: unknown field of zitadel.settings.v2.IdentityProvider",
                    "s.json: $.zitadel.organizations[0].settings.lockout: not a zitadel.settings.v2.LockoutSettings in proto3 JSON: malformedNumber",
                    "s.json: $.zitadel.organizations[0].settings.general: 'general' settings are the instance's only (seed them under zitadel.settings)",
                ]
            )
        }
    }
}

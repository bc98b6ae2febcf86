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

/// Edge inputs of seed parsing: each is refused with a reason or sent as docs/seeds.md#values says,
/// never a crash and never a silent pass.
@Suite struct SeedRegressionTests {
    @Test(arguments: ["200000000d", "999999999999d", "36600000h1h"])
    func hugeDurationsAreRefusedNotTrapped(text: String) {
        guard case .failure(let error) = SeedDuration.parse(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(error.description.contains("100 years"))
        guard case .failure = SeedTimestamp.parse("now+" + text) else {
            Issue.record("accepted now+\(text)")
            return
        }
    }

    @Test(arguments: [
        ("2025-03-06T14:42:07+00:00", "2025-03-06T14:42:07.000000Z"),
        ("2025-03-06t14:42:07z", "2025-03-06T14:42:07.000000Z"),
        ("2025-03-06T14:42:07Z", "2025-03-06T14:42:07Z"),
    ])
    func onlyCanonicalUTCIsKeptAsWritten(input: String, sent: String) throws {
        guard case .success(let timestamp) = SeedTimestamp.parse(input) else {
            Issue.record("refused \(input)")
            return
        }
        #expect(timestamp.text(now: 0) == sent)
    }

    @Test(arguments: ["0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"])
    func timestampsOutsideFourDigitYearsAreRefused(text: String) {
        guard case .failure(let error) = SeedTimestamp.parse(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(error.description.contains("0001-9999"))
    }

    @Test(arguments: [3, 15, 16, 17, 40])
    func duplicateKeysAreFoundInObjectsOfAnySize(size: Int) {
        let keys = (0..<size).map { "\"k\($0)\":\($0)" }
        for repeated in [0, size - 1] {
            let text = "{" + (keys + ["\"k\(repeated)\":0"]).joined(separator: ",") + "}"
            #expect(throws: JSONSyntaxError.self, "size \(size), repeating k\(repeated)") { try JSONParser.parse(text) }
        }
        #expect((try? JSONParser.parse("{" + keys.joined(separator: ",") + "}")) != nil)
    }

    @Test func signedSequenceIsRefused() {
        #expect(throws: SeedError.self) {
            try SeedParser.parse(
                Array(#"{"zitadel":{"sessions":[{"session":{"id":"1","sequence":"+5"}}]}}"#.utf8),
                file: "t"
            )
        }
    }

    @Test func nullDoesNotHideADuplicateAlias() throws {
        do {
            _ = try SeedParser.parse(
                Array(
                    #"{"zitadel":{"sessions":[{"session":{"id":"1","creationDate":null,"creation_date":"now"}}]}}"#.utf8
                ),
                file: "t"
            )
            Issue.record("accepted a field given twice")
        } catch {
            #expect(error.issues.first?.path == "$.zitadel.sessions[0].session.creation_date")
        }
    }

    @Test func resetOfACopyWithEmptyNameIsUnknown() {
        let registry = ScenarioRegistry(seeds: ["default": SeedDocument()], active: "default")
        guard case .failure(let unknown) = registry.reset("@default") else {
            Issue.record("reset an unnamed scenario")
            return
        }
        #expect(unknown.name == "")
    }
}

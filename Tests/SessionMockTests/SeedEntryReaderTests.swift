import Testing

@testable import JSON
@testable import Seeds

/// The large arrays' entries are read straight from the tape (`SeedEntryReader`) when they hold
/// nothing unusual; what it takes must be exactly what the validating parser makes of the entry.
@Suite struct SeedEntryReaderTests {
    /// Reads `text` as one entry both ways; the reader may decline (nil), but what it takes must
    /// be what the validating parser gives.
    static func compareSession(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let bytes = Array(text.utf8)
        guard let tape = try? JSONTape.parse(bytes) else { return false }
        let read = tape.withView { view in
            var reader = SeedEntryReader(view: view)
            return reader.sessionEntry(tape.root)
        }
        let validated = try? SeedParser.parseSessionEntry(bytes: bytes, file: "entry.json")
        guard let read else { return false }
        guard let validated else {
            Issue.record("the reader took an entry the parser refuses: \(text)", sourceLocation: sourceLocation)
            return true
        }
        #expect(read.session == validated.session, "\(text)", sourceLocation: sourceLocation)
        #expect(read.sessionToken == validated.sessionToken, "\(text)", sourceLocation: sourceLocation)
        #expect(read.creatorUserId == validated.creatorUserId, "\(text)", sourceLocation: sourceLocation)
        #expect(read.hasRelativeTimes == validated.hasRelativeTimes, "\(text)", sourceLocation: sourceLocation)
        #expect(read.id == validated.session.id, "\(text)", sourceLocation: sourceLocation)
        #expect(
            read.owner(.checkedUserId) == validated.owner(.checkedUserId),
            "\(text)",
            sourceLocation: sourceLocation
        )
        return true
    }

    static func compareChallenge(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let bytes = Array(text.utf8)
        guard let tape = try? JSONTape.parse(bytes) else { return false }
        let read = tape.withView { SeedEntryReader(view: $0).challengeEntry(tape.root) }
        let validated = try? SeedParser.parseChallengeEntry(tape.value(tape.root), file: "entry.json")
        guard let read else { return false }
        guard let validated else {
            Issue.record("the reader took an entry the parser refuses: \(text)", sourceLocation: sourceLocation)
            return true
        }
        #expect(read.project == validated.project, "\(text)", sourceLocation: sourceLocation)
        #expect(read.challenge == validated.challenge, "\(text)", sourceLocation: sourceLocation)
        #expect(read.timeline == validated.timeline, "\(text)", sourceLocation: sourceLocation)
        return true
    }

    static let fullSession = #"""
        {"sessionToken":"tok-1","creatorUserId":"800","session":{"id":"400000000000000001",
        "creationDate":"2025-03-06T14:00:01.000007Z","changeDate":"2025-03-06T15:00:01.5Z","sequence":"7",
        "factors":{"user":{"verifiedAt":"2025-03-06T14:00:01Z","id":"500","loginName":"u@example.com",
        "displayName":"Ü Ser","organizationId":"312"},"password":{"verifiedAt":"2025-03-06T15:00:01Z"},
        "webAuthN":{"verifiedAt":"2025-03-06T15:00:01Z","userVerified":true},"totp":{"verifiedAt":"now-5m"}},
        "metadata":{"tenant":"YWNtZQ==","other":"AAEC"},
        "userAgent":{"fingerprintId":"fp","ip":"203.0.113.1","description":"Chrome",
        "header":{"accept-language":{"values":["de-CH","en"]},"x-empty":{}}},
        "expirationDate":"2025-03-07T02:00:00.000000Z"}}
        """#

    @Test func plainEntriesAreReadInPlaceAsTheParserReadsThem() {
        #expect(Self.compareSession(Self.fullSession))
        #expect(Self.compareSession(#"{"session":{"id":"s"}}"#))
        #expect(Self.compareSession(#"{"session":{"id":"s","sequence":12,"userAgent":{}}}"#))
        #expect(
            Self.compareSession(
                #"{"session":{"id":"s","creation_date":"now","factors":{"web_auth_n":{"verified_at":"now+1h"},"otp_sms":{"verifiedAt":"2025-01-01T00:00:00Z"}}}}"#
            )
        )
        #expect(Self.compareSession(#"{"session":{"id":"s","factors":{"user":{"verifiedAt":"now","id":""}}}}"#))
        #expect(
            Self.compareChallenge(
                #"{"project":"p","challenge":{"id":"sc","code":"K7PX-22QA","expired":false,"completed":true}}"#
            )
        )
        #expect(
            Self.compareChallenge(
                #"{"challenge":{"id":"sc_a_long_identifier_here","code":"CODE","expired":true,"completed":false}}"#
            )
        )
    }

    @Test func unusualEntriesAreLeftToTheParser() {
        let declined = [
            #"{"session":{"id":"\u0073"}}"#,
            #"{"session":{"id":"s","creationDate":null}}"#,
            #"{"session":{"id":"s","creationDate":"2025-03-06T14:00:01+01:00"}}"#,
            #"{"session":{"id":"s","creationDate":"2025-03-06t14:00:01z"}}"#,
            #"{"session":{"id":"s","changeDate":"2025-03-06T14:00:01Z","change_date":"2025-03-06T14:00:01Z"}}"#,
            #"{"session":{"id":""}}"#,
            #"{"session":{"id":"s","sequence":"-1"}}"#,
            #"{"session":{"id":"s","sequence":"18446744073709551616"}}"#,
            #"{"session":{"id":"s","metadata":{"k":"not base64!"}}}"#,
            #"{"session":{"id":"s","factors":{"password":{}}}}"#,
            #"{"session":{"id":"s","factors":{"webAuthN":{"verifiedAt":"now","userVerified":1}}}}"#,
            #"{"session":{"id":"s","userAgent":{"header":{"a":{"values":[1]}}}}}"#,
            #"{"session":{"id":"s","bogus":1}}"#,
            #"{"sessionToken":"","session":{"id":"s"}}"#,
            #"{"session":{"id":"s","creationDate":"now+1y"}}"#,
            #"{"session":{"id":"s","creationDate":"0000-01-01T00:00:00Z"}}"#,
            #"{"creatorUserId":"c"}"#,
            #"[]"#,
            #"{"challenge":{"id":"sc","code":"C","expired":false,"completed":false},"timeline":[]}"#,
            #"{"project":"","challenge":{"id":"sc","code":"C","expired":false,"completed":false}}"#,
            #"{"challenge":{"id":"sc","code":"C","expired":"no","completed":false}}"#,
            #"{"challenge":{"id":"sc","code":"C","expired":false}}"#,
        ]
        for text in declined {
            #expect(!Self.compareSession(text), "\(text)")
            #expect(!Self.compareChallenge(text), "\(text)")
        }
        // ZITADEL's limit counts characters, not bytes.
        #expect(Self.compareSession(#"{"session":{"id":"\#(String(repeating: "é", count: 200))"}}"#))
        #expect(!Self.compareSession(#"{"session":{"id":"\#(String(repeating: "é", count: 201))"}}"#))
    }

    /// Entries put together from valid, invalid and unusual variants of every field: whatever the
    /// reader takes, the parser gives the same.
    @Test func generatedEntriesReadInPlaceMatchTheParser() {
        // Each field: variants the reader takes (nil: absent), then variants it leaves to the parser.
        let timestamps: ([String?], [String?]) = (
            [nil, #""2025-03-06T14:00:01Z""#, #""2025-03-06T14:00:01.123456789Z""#, #""now-2h""#, #""now""#],
            [#""now+""#, #""2025-02-30T00:00:00Z""#, #""2025-03-06T14:00:01+00:00""#, "5", "null", #""x""#]
        )
        let strings: ([String?], [String?]) = (
            [nil, #""a""#, #""ü-long-enough-for-the-heap""#],
            [#""""#, #""ab\"c""#, "1", "null"]
        )
        let sequences: ([String?], [String?]) = (
            [nil, #""4""#, "4", #""18446744073709551615""#, "007"],
            [#""""#, "4.5", "-1", #""0x1""#, "1e2"]
        )
        let metadata: ([String?], [String?]) = (
            [nil, "{}", #"{"k":"YWNtZQ==","l":""}"#, #"{"k":"YWNtZQ"}"#],
            [#"{"k":"%%"}"#, "[]", #"{"k":1}"#, #"{"\u006b":"YQ=="}"#]
        )
        let agents: ([String?], [String?]) = (
            [
                nil, "{}", #"{"ip":"1.2.3.4"}"#, #"{"header":{}}"#, #"{"header":{"h":{}}}"#,
                #"{"header":{"h":{"values":["a","b"]},"i":{"values":[]}},"fingerprint_id":"f","description":""}"#,
            ],
            [#"{"header":[]}"#, #"{"description":null}"#, #"{"header":{"h":{"values":"a"}}}"#]
        )
        let users: ([String?], [String?]) = (
            [
                nil, #"{"verifiedAt":"2025-03-06T14:00:01Z","id":"u1","login_name":"l"}"#,
                #"{"verified_at":"now","organizationId":"o","id":""}"#,
            ],
            [#"{"id":"u1"}"#, #"{"verifiedAt":"now","displayName":2}"#]
        )
        var generator = SplitMix(seed: 20_261_206)
        var taken = 0
        for _ in 0..<3000 {
            func pick<T>(_ options: [T]) -> T { options[Int(generator.next() % UInt64(options.count))] }
            func pick<T>(_ variants: ([T], [T])) -> T {
                generator.next() % 8 == 0 ? pick(variants.1) : pick(variants.0)
            }
            var session: [String] = []
            func add(_ key: String, _ value: String?) { if let value { session.append(#""\#(key)":\#(value)"#) } }
            add("id", pick(([#""s1""#, #""400000000000000001""#], [#""""#, "1", #""\u0073""#])))
            add(pick(["creationDate", "creation_date"]), pick(timestamps))
            add("changeDate", pick(timestamps))
            add("expirationDate", pick(timestamps))
            add("sequence", pick(sequences))
            var factors: [String] = []
            if let user = pick(users) { factors.append(#""user":\#(user)"#) }
            for name in ["password", "totp", "otpEmail", "otp_sms", "intent", "recoveryCode"]
            where generator.next() % 3 == 0 {
                let time = pick(timestamps) ?? #""now""#
                factors.append(#""\#(name)":{"verifiedAt":\#(time)}"#)
            }
            if generator.next() % 2 == 0 {
                let verified = pick(
                    (["", #","userVerified":true"#, #","user_verified":false"#], [#","userVerified":"yes""#])
                )
                factors.append(#""webAuthN":{"verifiedAt":"now"\#(verified)}"#)
            }
            add("factors", generator.next() % 4 == 0 ? nil : "{\(factors.joined(separator: ","))}")
            add("metadata", pick(metadata))
            add(pick(["userAgent", "user_agent"]), pick(agents))
            if generator.next() % 20 == 0 { add("unknown", "1") }
            var entry: [String] = []
            if let token = pick(strings) { entry.append(#""sessionToken":\#(token)"#) }
            if let creator = pick(strings) { entry.append(#""creatorUserId":\#(creator)"#) }
            entry.append(#""session":{\#(session.joined(separator: ","))}"#)
            if Self.compareSession("{\(entry.joined(separator: ","))}") { taken += 1 }
        }
        #expect(taken > 100, "the reader took \(taken) of 3000 generated entries")
    }
}

/// A small deterministic generator, so a failing generated entry comes back on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

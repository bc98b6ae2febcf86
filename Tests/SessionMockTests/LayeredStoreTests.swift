import Synchronization
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

/// Seed records shared by scenario copies (`LayeredRecords`, `ScenarioBase`) and the JSON tape
/// the seed parser reads.
@Suite struct LayeredStoreTests {
    static func layered(_ keys: [String]) -> LayeredRecords<Int> {
        LayeredRecords(keys.enumerated().map { (key: $1, value: $0) }, count: keys.count)
    }

    @Test func changesStayInTheCopyThatMadeThem() {
        let seed = Self.layered(["a", "b", "c"])
        var first = seed
        var second = seed
        first.set(10, for: "a")
        first.remove("b")
        first.set(4, for: "d")
        #expect(first.all == [10, 2, 4])
        #expect(first.count == 3)
        #expect(first["b"] == nil)
        // The other copy, and the seed itself, see none of it.
        #expect(second.all == [0, 1, 2])
        #expect(seed.all == [0, 1, 2])
        second.removeAll()
        #expect(second.all.isEmpty && second.count == 0 && second["a"] == nil)
        #expect(first["a"] == 10)
        second.set(7, for: "b")
        #expect(second.all == [7])
        #expect(second.count == 1)
    }

    @Test func aKeyGivenTwiceKeepsItsFirstPlaceAndItsLastValue() {
        let seed = Self.layered(["a", "b", "a", "c", "b"])
        #expect(seed.all == [2, 4, 3])
        #expect(seed.count == 3)
        #expect(seed["a"] == 2 && seed["b"] == 4 && seed["c"] == 3 && seed["d"] == nil)
        var copy = seed
        copy.removeAll()
        copy.revert()
        #expect(copy.all == [2, 4, 3] && copy.count == 3)
    }

    @Test func listingOrderMatchesAPlainStore() {
        var records = Self.layered(["a", "b", "c"])
        records.set(11, for: "b")  // replaced in place
        #expect(records.all == [0, 11, 2])
        records.remove("a")
        records.set(20, for: "a")  // removed and put again: now last, as a new record
        #expect(records.all == [11, 2, 20])
        records.set(30, for: "x")
        records.remove("x")
        records.set(31, for: "x")
        #expect(records.all == [11, 2, 20, 31])
        #expect(records.count == 4)
        #expect(records.set(21, for: "a") == true)
        #expect(records.remove("nope") == false)
        #expect(records.count == 4)
    }

    @Test func revertGoesBackToTheSeed() {
        var records = Self.layered(["a", "b"])
        records.set(5, for: "a")
        records.remove("b")
        records.set(6, for: "z")
        records.revert()
        #expect(records.all == [0, 1])
        #expect(records.count == 2)
        records.removeAll()
        records.revert()
        #expect(records.all == [0, 1])
    }

    @Test func scenarioCopiesShareTheSeedButNotTheirChanges() throws {
        var seed = SeedDocument()
        seed.walletKit.sessionChallenges = [StoreTests.entry("CODE", project: nil)]
        seed.zitadel.sessions = [StoreTests.sessionEntry("S")]
        let base = ScenarioBase(seed: seed)
        let one = ScenarioState(name: "x@1", base: base)
        let two = ScenarioState(name: "x@2", base: base)
        _ = one.withSessions { $0.remove(id: "S") }
        _ = one.withChallenges { $0.poll(code: "CODE", project: "p", elapsedMicros: 0) }
        one.withChallenges { $0.put(StoreTests.entry("NEW", project: nil)) }
        #expect(one.withSessions { $0.count } == 0)
        #expect(two.withSessions { $0.record(id: "S") } != nil)
        #expect(two.withChallenges { $0.all.map(\.challenge.code) } == ["CODE"])
        #expect(one.withChallenges { $0.all.map(\.challenge.code) } == ["CODE", "NEW"])
        // A fresh copy starts from the seed again.
        let three = ScenarioState(name: "x", base: base)
        #expect(three.withSessions { $0.count } == 1)
        #expect(three.withChallenges { $0.count } == 1)
    }

    @Test func relativeTimesAreResolvedPerCopy() throws {
        var session = ZitadelSession()
        session.id = "rel"
        session.creationDate = .relative(offsetMicros: 0)
        var seed = SeedDocument()
        seed.zitadel.sessions = [ZitadelSessionSeed(sessionToken: nil, creatorUserId: nil, session: session)]
        let base = ScenarioBase(seed: seed)
        let before = WallClock.nowMicros()
        let copy = ScenarioState(name: "c", base: base)
        let record = try #require(copy.withSessions { $0.record(id: "rel") })
        guard case .absolute(let text)? = record.session.creationDate, let parsed = RFC3339.parse(text) else {
            Issue.record("creationDate not absolute: \(String(describing: record.session.creationDate))")
            return
        }
        #expect(parsed.micros >= before)
    }

    @Test func storedSessionReadsBackFromItsBody() throws {
        let entry = try SeedParser.parseSessionEntry(try JSONParser.parse(EncoderTests.documentedExample))
        let store = ZitadelSessionStore(seed: ZitadelSeed(tokens: [], sessions: [entry]), now: StoreTests.now)
        let record = try #require(store.record(id: entry.session.id))
        #expect(record.session == entry.session)
        #expect(record.checkedUserId == entry.session.checkedUserId)
    }

    // MARK: - JSONTape

    @Test func tapeFindsPathsAndKeys() throws {
        let tape = try JSONTape.parse(Array(#"{"a":[1,{"b\u0063":true,"d":null}],"e":"x\ty"}"#.utf8))
        let members = Array(tape.members(tape.root))
        #expect(members.map { tape.key($0) } == ["a", "e"])
        let items = Array(tape.items(members[0]))
        #expect(items.count == 2)
        let inner = Array(tape.members(items[1]))
        #expect(tape.key(inner[0]) == "bc")
        #expect(tape.keyEquals(inner[0], Array("bc".utf8)))
        #expect(!tape.keyEquals(inner[1], Array("dd".utf8)))
        #expect(tape.steps(to: inner[1]) == [.key("a"), .index(1), .key("d")])
        #expect(tape.steps(to: tape.root) == [])
        #expect(tape.string(members[1]) == "x\ty")
        #expect(tape.kind(inner[0]) == .true)
        #expect(
            tape.value(tape.root)
                == .object([
                    ("a", .array([.number("1"), .object([("bc", .bool(true)), ("d", .null)])])), ("e", .string("x\ty")),
                ])
        )
    }

    @Test func escapedKeysAreStillDuplicates() {
        #expect(EncoderTests.syntaxError(#"{"id":1,"\u0069d":2}"#)?.reason == "duplicate key 'id'")
        #expect(EncoderTests.syntaxError(#"{"é":1,"\u00e9":2}"#)?.reason == "duplicate key 'é'")
    }

    @Test func seedKeysMayBeWrittenWithEscapes() throws {
        let seed = try SeedParser.parse(
            Array(
                #"{"walletkit":{"sessionChallenges":[{"\u0063hallenge":{"id":"i","code":"C","expired":false,"completed":false}}]}}"#
                    .utf8
            ),
            file: "t.json"
        )
        #expect(seed.walletKit.sessionChallenges.first?.challenge.code == "C")
    }

    @Test func errorPathsInLargeArraysPointAtTheEntry() {
        var entries: [String] = []
        for i in 0..<2000 {
            entries.append(#"{"challenge":{"id":"i\#(i)","code":"C\#(i)","expired":false,"completed":false}}"#)
        }
        entries[1234] = #"{"challenge":{"id":"x","code":"C1234","expired":"no","completed":false}}"#
        let text = #"{"walletkit":{"sessionChallenges":[\#(entries.joined(separator: ","))]}}"#
        #expect(throws: SeedError.self) { try SeedParser.parse(Array(text.utf8), file: "big.json") }
        do {
            _ = try SeedParser.parse(Array(text.utf8), file: "big.json")
        } catch {
            #expect(error.issues.map(\.path) == ["$.walletkit.sessionChallenges[1234].challenge.expired"])
        }
    }

    /// Arrays this large are parsed in parts on several threads: issues must still come in
    /// document order, and duplicates across parts must still be found.
    @Test func largeArraysParsedInPartsKeepOrderAndFindDuplicates() throws {
        let count = 20_000
        var entries: [String] = []
        for i in 0..<count {
            entries.append(#"{"challenge":{"id":"i\#(i)","code":"C\#(i)","expired":false,"completed":false}}"#)
        }
        entries[15_000] = #"{"challenge":{"id":"x","code":"C3","expired":false,"completed":false}}"#
        entries[19_999] = #"{"challenge":{"id":"x","code":"C19999","expired":1,"completed":false}}"#
        entries[10] = #"{"challenge":{"id":"","code":"C10","expired":false,"completed":false}}"#
        let text = #"{"walletkit":{"sessionChallenges":[\#(entries.joined(separator: ","))]}}"#
        do {
            _ = try SeedParser.parse(Array(text.utf8), file: "big.json")
            Issue.record("expected the seed to be refused")
        } catch {
            #expect(
                error.issues.map(\.path) == [
                    "$.walletkit.sessionChallenges[10].challenge.id",
                    "$.walletkit.sessionChallenges[19999].challenge.expired",
                    "$.walletkit.sessionChallenges[15000].challenge.code",
                ]
            )
            #expect(error.issues.last?.reason == "code 'C3' is already used at $.walletkit.sessionChallenges[3]")
        }
        entries[15_000] = #"{"challenge":{"id":"x","code":"C15000","expired":false,"completed":false}}"#
        entries[19_999] = #"{"challenge":{"id":"x","code":"C19999","expired":true,"completed":false}}"#
        entries[10] = #"{"challenge":{"id":"y","code":"C10","expired":false,"completed":false}}"#
        let good = try SeedParser.parse(
            Array(#"{"walletkit":{"sessionChallenges":[\#(entries.joined(separator: ","))]}}"#.utf8),
            file: "big.json"
        )
        #expect(good.walletKit.sessionChallenges.map(\.challenge.code) == (0..<count).map { "C\($0)" })
        #expect(good.walletKit.sessionChallenges[19_999].challenge.expired)
    }

    @Test func largeSessionStoresAreBuiltInOrder() throws {
        let ids = (0..<12_000).map { "session-number-\($0)" }
        let store = ZitadelSessionStore(
            seed: ZitadelSeed(tokens: [], sessions: ids.map { StoreTests.sessionEntry($0, token: "token-of-\($0)") }),
            now: StoreTests.now
        )
        #expect(store.count == ids.count)
        #expect(store.all.map { $0.sessionToken } == ids.map { "token-of-\($0)" })
        let last = try #require(store.record(id: "session-number-11999"))
        #expect(String(decoding: last.responseBody, as: UTF8.self) == #"{"session":{"id":"session-number-11999"}}"#)
    }

    /// A seed with thousands of both records builds its two stores side by side: each holds all
    /// its records, in seed order, and the lone challenge and session read as seeded.
    @Test func largeStoresBuiltSideBySideHoldEveryRecord() throws {
        let count = 5_000
        var seed = SeedDocument()
        seed.walletKit.sessionChallenges = (0..<count).map { StoreTests.entry("C\($0)") }
        seed.zitadel.sessions = (0..<count).map { StoreTests.sessionEntry("S\($0)", token: "t\($0)") }
        let base = ScenarioBase(seed: seed)
        #expect(base.challenges.all.map(\.challenge.code) == (0..<count).map { "C\($0)" })
        #expect(base.sessions.all.map(\.id) == (0..<count).map { "S\($0)" })
        #expect(base.sessions.record(id: "S4999")?.sessionToken == "t4999")
        var challenges = base.challenges
        #expect(
            challenges.poll(code: "C4999", project: "p1", elapsedMicros: 0) == .found(StoreTests.challenge("C4999"))
        )
    }

    @Test func bothRunsEachBodyOnceAndReturnsBothResults() {
        for concurrently in [false, true] {
            let calls = CallCount()
            let (first, second) = Parallel.both(
                concurrently: concurrently,
                {
                    calls.value.withLock { $0 += 1 }
                    return (0..<1000).reduce(0, +)
                },
                { "second" }
            )
            #expect(first == 499_500)
            #expect(second == "second")
            #expect(calls.value.withLock { $0 } == 1)
        }
    }

    @Test func everyFieldSurvivesTheStoredBody() throws {
        let text =
            #"{"sessionToken":"t","session":{"id":"all","creationDate":"now-5m","changeDate":"2025-03-06T16:42:07+02:00","sequence":"18446744073709551615","factors":{"user":{"verifiedAt":"now","id":"u","loginName":"","displayName":"D \"q\"","organizationId":"o"},"password":{"verifiedAt":"now"},"webAuthN":{"verifiedAt":"now","userVerified":false},"intent":{"verifiedAt":"now"},"totp":{"verifiedAt":"now"},"otpSms":{"verifiedAt":"now"},"otpEmail":{"verifiedAt":"now"},"recoveryCode":{"verifiedAt":"now"}},"metadata":{"b":"","a":"AAEC/w=="},"userAgent":{"fingerprintId":"","header":{"x":{"values":[]},"a":{"values":["1","é"]}}},"expirationDate":"9999-12-31T23:59:59.999999Z"}}"#
        let entry = try SeedParser.parseSessionEntry(try JSONParser.parse(text))
        let store = ZitadelSessionStore(seed: ZitadelSeed(tokens: [], sessions: [entry]), now: StoreTests.now)
        let record = try #require(store.record(id: "all"))
        #expect(record.session == entry.session.resolved(now: StoreTests.now))
        #expect(record.session.factors[.recoveryCode] != nil && record.session.userAgent?.header["x"] == [])
    }
}

/// A stored record keeps its session packed (`PackedZitadelSession`): unpacking gives back exactly
/// the session it was made from, every field, for every shape a seed or the lifecycle makes.
@Suite struct PackedSessionTests {
    @Test func everySeededSessionUnpacksToItself() throws {
        let seeds = SeedLoader.bundledDefault()
        let sessions = try #require(seeds["default"]).zitadel.sessions.map(\.session)
        #expect(!sessions.isEmpty)
        for session in sessions {
            #expect(
                PackedZitadelSession.unpack(PackedZitadelSession.pack(session, owners: []).bytes) == session,
                "\(session.id)"
            )
        }
    }

    @Test func everyFieldAndTheEmptySessionRoundTrip() {
        var full = ZitadelSession()
        full.id = "312909075212468632"
        full.creationDate = .absolute("2025-03-06T14:42:07.731226Z")
        full.changeDate = .relative(offsetMicros: -3_600_000_000)
        full.expirationDate = .relative(offsetMicros: Int64.max)
        full.sequence = UInt64.max
        full.factors.user = .init(
            verifiedAt: .absolute("2025-03-06T14:42:07Z"),
            id: "u1",
            loginName: "ä@例え.jp",
            displayName: String(repeating: "long name ", count: 40),
            organizationId: ""
        )
        full.factors.webAuthN = .init(verifiedAt: nil, userVerified: true)
        for factor in Factor.allCases where factor.holdsOnlyATime {
            full.factors[factor] = .init(verifiedAt: .relative(offsetMicros: Int64.min))
        }
        full.metadata = ["tenant": Array("acme".utf8), "empty": [], "binary": [0, 255, 128]]
        full.userAgent = .init(
            fingerprintId: "fp",
            ip: nil,
            description: "",
            header: ["accept-language": ["de-CH", "en"], "x-none": []]
        )
        #expect(PackedZitadelSession.unpack(PackedZitadelSession.pack(full, owners: ["t", nil, "u1"]).bytes) == full)
        var partial = ZitadelSession()
        partial.factors[.totp] = .init(verifiedAt: nil)
        partial.userAgent = .init()
        #expect(PackedZitadelSession.unpack(PackedZitadelSession.pack(partial, owners: [nil]).bytes) == partial)
        #expect(
            PackedZitadelSession.unpack(PackedZitadelSession.pack(ZitadelSession(), owners: []).bytes)
                == ZitadelSession()
        )
        #expect(PackedZitadelSession.unpack([]) == ZitadelSession(), "no bytes: the empty session, no trap")
    }

    /// The record's token, creator and checked user live behind the packed session.
    @Test func theRecordsOwnStringsAreKeptBehindTheSession() {
        var session = ZitadelSession()
        session.id = "400000000000000004"
        session.factors.user = .init(
            verifiedAt: nil,
            id: "500000000000000004",
            loginName: "a@b",
            displayName: "A",
            organizationId: "o"
        )
        let record = ZitadelSessionStore.Record(
            sessionToken: "tok-bench-000004",
            creatorUserId: "800000000000000004",
            session: session
        )
        #expect(record.session == session)
        #expect(record.sessionToken == "tok-bench-000004" && record.creatorUserId == "800000000000000004")
        #expect(record.checkedUserId == "500000000000000004")
        #expect(
            record.hasSessionToken("tok-bench-000004") && !record.hasSessionToken("tok-bench-00000")
                && !record.hasSessionToken("")
        )
        #expect(
            record.belongs(to: "800000000000000004") && record.belongs(to: "500000000000000004")
                && !record.belongs(to: "8")
        )
        #expect(record.isCreated(by: "800000000000000004") && !record.isChecked(for: "800000000000000004"))

        let bare = ZitadelSessionStore.Record(sessionToken: nil, creatorUserId: "", session: ZitadelSession())
        #expect(bare.sessionToken == nil && bare.creatorUserId == "" && bare.checkedUserId == nil)
        #expect(!bare.hasSessionToken("") && bare.isCreated(by: "") && !bare.isChecked(for: ""))
    }
}

private final class CallCount: Sendable {
    let value = Mutex(0)
}

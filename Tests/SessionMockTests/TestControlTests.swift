import Foundation
import SessionMockTesting
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

/// The test controls: isolation, timelines, faults, test headers, journal, store API, scenarios,
/// hot reload, admin token. In process and live, but for what only a socket or a file shows.
@Suite struct TestControlTests {
    let challenge = "/users/session-challenge"

    func completed(_ result: HTTPResult) throws -> Bool {
        guard case .bool(let value)? = try result.json()["completed"] else { throw RawConnection.RawError.closed }
        return value
    }

    @Test(arguments: TestingSetup.allCases)
    func pollUntilCompletedWithAfterPolls(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        var seen: [Bool] = []
        for _ in 0..<5 {
            let result = try await mock.get("\(challenge)?code=SLOW", headers: Harness.project)
            #expect(result.status == 200)
            seen.append(try completed(result))
        }
        #expect(seen == [false, false, false, true, true], "afterPolls: 3 → polls 1..3 old, poll 4 new")
    }

    @Test(arguments: TestingSetup.allCases)
    func eightIsolatedWorkersNeverSeeEachOthersPolls(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let results = try await withThrowingTaskGroup(of: (Int, [Bool]).self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var seen: [Bool] = []
                    // Worker k polls k+1 times: only its own polls may count.
                    for _ in 0...worker {
                        let result = try await mock.get(
                            "\(challenge)?code=SLOW",
                            headers: [
                                "X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@worker-\(worker)",
                            ]
                        )
                        seen.append(try completed(result))
                    }
                    return (worker, seen)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for worker in 0..<8 {
            let expected = (0...worker).map { $0 >= 3 }
            #expect(results[worker] == expected, "worker \(worker)")
        }
        // The shared scenario was not touched by any worker.
        let shared = try await mock.get("\(challenge)?code=SLOW", headers: Harness.project)
        #expect(try completed(shared) == false)
        #expect(mock.app.registry.isolatedCopyCount == 8)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownScenarioIs400InEachAPIsShape(setup: TestingSetup) async throws {
        let mock = try Harness(setup, seeds: ["default": "{}", "other": "{}"])
        defer { mock.stop() }
        let wallet = try await mock.get(
            "\(challenge)?code=X",
            headers: ["X-WalletKit-Project-ID": "p", "X-Mock-Scenario": "nope"]
        )
        #expect(wallet.status == 400)
        #expect(
            wallet.text
                == #"{"code":"unknown_scenario","error":"unknown scenario 'nope'; known scenarios: default, other"}"#
        )
        let zitadel = try await mock.get(
            "/v2/sessions/1",
            headers: ["Authorization": "Bearer x", "X-Mock-Scenario": "nope@k"]
        )
        #expect(zitadel.status == 400)
        #expect(zitadel.text == #"{"code":3,"message":"unknown scenario 'nope'; known scenarios: default, other"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func timesOneFaultAnswers500ThenSucceeds(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let first = try await mock.get("\(challenge)?code=FLAKY", headers: Harness.project)
        #expect(first.status == 500)
        #expect(first.text == #"{"code":null,"error":"Internal server error"}"#)
        let second = try await mock.get("\(challenge)?code=FLAKY", headers: Harness.project)
        #expect(second.status == 200)
        // reset re-arms the rule
        _ = try await mock.send("POST", "/__admin/reset")
        let third = try await mock.get("\(challenge)?code=FLAKY", headers: Harness.project)
        #expect(third.status == 500)
    }

    /// Rules that all name a code (or session, or RPC) let other requests past with one comparison
    /// per value; a rule that names none of them still sees every request.
    @Test func faultGateRulesOutOnlyWhatNoRuleNames() throws {
        func gate(_ rules: String, _ api: MockedAPI) throws -> FaultGate {
            ScenarioBase(seed: try SeedParser.parse(Array(#"{"faults":[\#(rules)]}"#.utf8), file: "t")).faultGate(
                for: api
            )
        }
        let coded = try gate(
            #"{"match":{"code":"BOOM"},"status":500},{"match":{"code":"LAG"},"delayMs":1}"#,
            .walletKit
        )
        #expect(coded.admits(code: "BOOM", sessionId: nil, rpc: nil))
        #expect(coded.admits(code: "LAG", sessionId: nil, rpc: nil))
        #expect(!coded.admits(code: "OK", sessionId: nil, rpc: nil))
        #expect(!coded.admits(code: "boom", sessionId: nil, rpc: nil))
        #expect(!coded.admits(code: nil, sessionId: nil, rpc: nil))
        let mixed = try gate(
            #"{"match":{"code":"BOOM"},"status":500},{"match":{"path":"/users/x"},"status":500}"#,
            .walletKit
        )
        #expect(mixed.admits(code: nil, sessionId: nil, rpc: nil))
        #expect(mixed.admits(code: "OK", sessionId: nil, rpc: nil))
        let zitadel = try gate(
            #"{"match":{"sessionId":"s1","rpc":"GetSession"},"status":500},{"match":{"sessionId":"s2"},"status":500}"#,
            .zitadel
        )
        #expect(zitadel.admits(code: nil, sessionId: "s2", rpc: "DeleteSession"))
        #expect(zitadel.admits(code: nil, sessionId: "s1", rpc: "ListSessions"))
        #expect(!zitadel.admits(code: nil, sessionId: "s3", rpc: "GetSession"))
        // A WalletKit rule is not among ZITADEL's, so it gates nothing there.
        let other = try gate(#"{"match":{"code":"BOOM"},"status":500}"#, .zitadel)
        #expect(other.codes == nil || other.codes == [])
    }

    /// Through the whole pipeline: requests the gate lets through meet the rules as before.
    @Test(arguments: TestingSetup.allCases)
    func gatedAndUngatedRulesBothFire(setup: TestingSetup) async throws {
        let seed = #"""
            {"walletkit":{"sessionChallenges":[{"challenge":{"id":"a","code":"OK","expired":false,"completed":false}}]},
             "faults":[{"match":{"api":"walletkit","code":"BOOM"},"status":500},
                       {"match":{"api":"walletkit","query":{"code":"OK"},"headers":{"X-Break":"yes"}},"status":403}]}
            """#
        let mock = try Harness(setup, seeds: ["default": seed])
        defer { mock.stop() }
        let boom = try await mock.get("\(challenge)?code=BOOM", headers: Harness.project)
        #expect(boom.status == 500)
        #expect(boom.text == #"{"code":null,"error":"Internal server error"}"#)
        let ok = try await mock.get("\(challenge)?code=OK", headers: Harness.project)
        #expect(ok.status == 200)
        #expect(ok.text == #"{"id":"a","code":"OK","expired":false,"completed":false}"#)
        let broken = try await mock.get(
            "\(challenge)?code=OK",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Break": "yes"]
        )
        #expect(broken.status == 403)
        #expect(broken.text == #"{"code":"forbidden","error":"Session challenge belongs to another project"}"#)
    }

    @Test(
        arguments: TestingSetup.allCases,
        [(400, "missing_code"), (401, "missing_project_id"), (403, "forbidden"), (500, "null")]
    )
    func mockStatusHeaderForcesWalletKitErrors(setup: TestingSetup, row: (Int, String)) async throws {
        let (status, code) = row
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(
            "\(challenge)?code=K7PX-22QA",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Status": String(status)]
        )
        #expect(result.status == status)
        #expect(result.text.contains(code == "null" ? #""code":null"# : "\"\(code)\""))
    }

    /// Fields that take more room than the server copies them through in one pass (1 KB) are all kept:
    /// the header after a 3 KB one still forces its status, and the journal holds both whole.
    @Test(arguments: TestingSetup.allCases)
    func headersPastTheCopyBufferAreAllRead(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let big = String(repeating: "b", count: 3000)
        let result = try await mock.get(
            "\(challenge)?code=K7PX-22QA&pad=\(big)",
            headers: ["X-Big": big, "X-WalletKit-Project-ID": "proj_demo", "X-Mock-Status": "403"]
        )
        #expect(result.status == 403)
        let entry = try #require(mock.app.journal.entries().last)
        #expect(entry.headers.first(named: "x-big", caseInsensitive: true) == big)
        #expect(entry.headers.first(named: "x-mock-status", caseInsensitive: true) == "403")
        #expect(
            Array(entry.query) == [HTTPField(name: "code", value: "K7PX-22QA"), HTTPField(name: "pad", value: big)]
        )
    }

    @Test(arguments: TestingSetup.allCases, [(400, 3), (401, 16), (403, 7), (404, 5), (500, 13)])
    func mockStatusHeaderForcesZitadelErrors(setup: TestingSetup, row: (Int, Int)) async throws {
        let (status, grpc) = row
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(
            "/v2/sessions/312909075212468632",
            headers: ["Authorization": "Bearer admin-pat", "X-Mock-Status": String(status)]
        )
        #expect(result.status == status)
        #expect(try result.json()["code"] == .number(String(grpc)))
    }

    @Test(arguments: TestingSetup.allCases)
    func undocumentedMockStatusIsRefused(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.get(
            "/v2/sessions/312909075212468632",
            headers: ["Authorization": "Bearer admin-pat", "X-Mock-Status": "418"]
        )
        #expect(result.status == 400)
        #expect(result.text.contains("X-Mock-Status"))
    }

    @Test(arguments: TestingSetup.allCases)
    func testHeadersCanBeSwitchedOff(setup: TestingSetup) async throws {
        let mock = try Harness(setup) { $0.app.testHeaders = false }
        defer { mock.stop() }
        let result = try await mock.get(
            "\(challenge)?code=K7PX-22QA",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Status": "500"]
        )
        #expect(result.status == 200)
    }

    @Test func delaysAndDropsAreValuesInProcess() async throws {
        let seed =
            #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"a","code":"OK","expired":false,"completed":false}}]},"faults":[{"match":{"path":"/users/session-challenge","query":{"code":"DROP"}},"drop":true,"delayMs":40}]}"#
        let mock = try Harness(.router, seeds: ["default": seed])
        defer { mock.stop() }
        let delayed = try await mock.get(
            "\(challenge)?code=DROP",
            headers: ["X-WalletKit-Project-ID": "p", "X-Mock-Delay-Ms": "500"]
        )
        #expect(delayed.dropped)
        #expect(delayed.delayMilliseconds == 540, "the header's delay and the rule's add up")
        let plain = try await mock.get(
            "\(challenge)?code=OK",
            headers: ["X-WalletKit-Project-ID": "p", "X-Mock-Delay-Ms": "250"]
        )
        #expect(plain.status == 200 && !plain.dropped)
        #expect(plain.delayMilliseconds == 250)
        #expect(mock.app.journal.entries().map(\.dropped) == [true, false])
    }

    @Test func aDelayedAnswerDoesNotBlockOthers() async throws {
        // One worker thread: a sleeping handler would stall every other request.
        let mock = try Harness(.live) { $0.http.threadCount = 1 }
        defer { mock.stop() }
        // Far longer than the test: it is answered when the server stops, not by the clock.
        async let slow = mock.get(
            "\(challenge)?code=K7PX-22QA",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Delay-Ms": "20000"]
        )
        while mock.server.http.parkedConnectionCount == 0 { await Task.yield() }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask { try await mock.get("/__admin/health").status }
            }
            var answered = 0
            for try await status in group where status == 200 { answered += 1 }
            #expect(answered == 50)
        }
        #expect(mock.server.http.parkedConnectionCount == 1, "the delayed answer is still waiting")
        mock.stop()
        let slowResult = try await slow
        #expect(slowResult.status == 200, "stopping answers a parked connection at once")
        #expect(slowResult.text == #"{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}"#)
    }

    @Test func dropFaultClosesWithoutReply() throws {
        let mock = try Harness(seeds: [
            "default":
                #"{"faults":[{"match":{"path":"/users/session-challenge","query":{"code":"DROP"}},"drop":true}]}"#
        ])
        defer { mock.stop() }
        let connection = try RawConnection(port: mock.server.port)
        try connection.send(
            "GET /users/session-challenge?code=DROP HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: p\r\n\r\n"
        )
        #expect(try connection.readResponse() == nil)
        #expect(mock.server.app.journal.entries().last?.dropped == true)
    }

    @Test(arguments: TestingSetup.allCases)
    func faultRuleMatchesHeadersAndMethodAndCustomBody(setup: TestingSetup) async throws {
        let seed =
            #"{"faults":[{"match":{"api":"zitadel","headers":{"X-Test":"yes"}},"status":503,"body":{"code":14,"message":"unavailable"}}]}"#
        let mock = try Harness(setup, seeds: ["default": seed])
        defer { mock.stop() }
        let hit = try await mock.get("/v2/sessions/1", headers: ["X-Test": "yes"])
        #expect(hit.status == 503)
        #expect(hit.text == #"{"code":14,"message":"unavailable"}"#)
        let miss = try await mock.get("/v2/sessions/1", headers: ["X-Test": "no"])
        #expect(miss.status == 401)
    }

    @Test(arguments: TestingSetup.allCases)
    func journalRecordsFiltersCountsAndClears(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        _ = try await mock.get("\(challenge)?code=PENDING", headers: Harness.project)
        _ = try await mock.get("\(challenge)?code=NOPE", headers: Harness.project)
        _ = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        let count = try await mock.get("/__admin/requests/count?path=/users/session-challenge")
        #expect(count.text == #"{"count":2}"#)
        let all = try await mock.get("/__admin/requests?method=GET")
        guard case .array(let entries)? = try all.json()["requests"] else {
            Issue.record("no requests")
            return
        }
        #expect(entries.count == 3)
        #expect(entries.map { $0["status"] } == [.number("200"), .number("400"), .number("200")])
        #expect(entries.first?["scenario"] == .string("default"))
        _ = try await mock.send("DELETE", "/__admin/requests")
        let after = try await mock.get("/__admin/requests/count")
        #expect(after.text == #"{"count":0}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func resetOfOneCopyKeepsTheOtherWorkersJournalAndState(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        for worker in ["a", "b"] {
            for _ in 0..<4 {
                _ = try await mock.get(
                    "\(challenge)?code=SLOW",
                    headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@\(worker)"]
                )
            }
        }
        let reset = try await mock.send("POST", "/__admin/reset?scenario=default@a")
        #expect(reset.status == 200)
        #expect(try await mock.get("/__admin/requests/count?scenario=default@a").text == #"{"count":0}"#)
        #expect(try await mock.get("/__admin/requests/count?scenario=default@b").text == #"{"count":4}"#)
        let a = try await mock.get(
            "\(challenge)?code=SLOW",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@a"]
        )
        #expect(try completed(a) == false, "copy a starts over")
        let b = try await mock.get(
            "\(challenge)?code=SLOW",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@b"]
        )
        #expect(try completed(b) == true, "copy b is untouched")
    }

    @Test(arguments: TestingSetup.allCases)
    func journalIsBounded(setup: TestingSetup) async throws {
        let mock = try Harness(setup) { $0.app.journalSize = 3 }
        defer { mock.stop() }
        for code in ["A", "B", "C", "D", "E"] {
            _ = try await mock.get("\(challenge)?code=\(code)", headers: Harness.project)
        }
        let entries = mock.app.journal.entries()
        #expect(entries.map { $0.query.first?.value } == ["C", "D", "E"])
    }

    @Test(arguments: TestingSetup.allCases)
    func storeAPIPutPatchDeleteChallenge(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let put = try await mock.send(
            "PUT",
            "/__admin/walletkit/session-challenges/NEW",
            body: #"{"project":"proj_demo","challenge":{"id":"sc_new","code":"NEW","expired":false,"completed":false}}"#
        )
        #expect(put.status == 201)
        let patch = try await mock.send(
            "PATCH",
            "/__admin/walletkit/session-challenges/NEW",
            body: #"{"completed":true}"#
        )
        #expect(patch.status == 200)
        let served = try await mock.get("\(challenge)?code=NEW", headers: Harness.project)
        #expect(served.text == #"{"id":"sc_new","code":"NEW","expired":false,"completed":true}"#)
        let bad = try await mock.send(
            "PATCH",
            "/__admin/walletkit/session-challenges/NEW",
            body: #"{"completed":"yes"}"#
        )
        #expect(bad.status == 400)
        #expect(try bad.json()["issues"] != nil)
        let deleted = try await mock.send("DELETE", "/__admin/walletkit/session-challenges/NEW")
        #expect(deleted.status == 200)
        let gone = try await mock.get("\(challenge)?code=NEW", headers: Harness.project)
        #expect(gone.status == 400)
    }

    @Test(arguments: TestingSetup.allCases)
    func storeAPIAcceptsBareWireObjectsArraysAndEntryPatches(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let bare = try await mock.send(
            "PUT",
            "/__admin/walletkit/session-challenges/BARE",
            body: #"{"id":"sc_bare","code":"BARE","expired":false,"completed":false}"#
        )
        #expect(bare.status == 201)
        #expect(
            try await mock.get("\(challenge)?code=BARE", headers: ["X-WalletKit-Project-ID": "proj_other"]).status
                == 200,
            "no project: every project"
        )
        let moved = try await mock.send(
            "PATCH",
            "/__admin/walletkit/session-challenges/BARE",
            body: #"{"project":"proj_demo"}"#
        )
        #expect(moved.status == 200)
        #expect(
            try await mock.get("\(challenge)?code=BARE", headers: ["X-WalletKit-Project-ID": "proj_other"]).status
                == 403
        )
        let badProject = try await mock.send(
            "PATCH",
            "/__admin/walletkit/session-challenges/BARE",
            body: #"{"project":"proj_nope"}"#
        )
        #expect(badProject.status == 400)
        let list = try await mock.send(
            "PUT",
            "/__admin/zitadel/sessions",
            body: #"[{"session":{"id":"only","sequence":"1"}}]"#
        )
        #expect(list.status == 200)
        #expect(try await mock.get("/v2/sessions/bare-1", headers: Harness.admin).status == 404)
        #expect(
            try await mock.get("/v2/sessions/only", headers: Harness.admin).text
                == #"{"session":{"id":"only","sequence":"1"}}"#
        )
        let token = try await mock.send(
            "PATCH",
            "/__admin/zitadel/sessions/only",
            body: #"{"sessionToken":"tok-only"}"#
        )
        #expect(token.status == 200)
        #expect(
            try await mock.get(
                "/v2/sessions/only?sessionToken=tok-only",
                headers: ["Authorization": "Bearer stranger-pat"]
            ).status == 200
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func storeAPIWorksOnAPrivateCopyOnly(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let patch = try await mock.send(
            "PATCH",
            "/__admin/walletkit/session-challenges/PENDING?scenario=default@w1",
            body: #"{"completed":true}"#
        )
        #expect(patch.status == 200)
        let mine = try await mock.get(
            "\(challenge)?code=PENDING",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@w1"]
        )
        #expect(try completed(mine) == true)
        let shared = try await mock.get("\(challenge)?code=PENDING", headers: Harness.project)
        #expect(try completed(shared) == false)
    }

    @Test(arguments: TestingSetup.allCases)
    func patchAddingAFactorMovesChangeDateAndSequence(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let before = WallClock.nowMicros()
        let patch = try await mock.send(
            "PATCH",
            "/__admin/zitadel/sessions/bare-1",
            body: #"{"factors":{"password":{"verifiedAt":"now"}}}"#
        )
        #expect(patch.status == 200)
        let result = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        let session = try #require(try result.json()["session"])
        #expect(session["sequence"] == .string("2"))
        guard case .string(let changeDate)? = session["changeDate"], let parsed = RFC3339.parse(changeDate) else {
            Issue.record("no changeDate")
            return
        }
        #expect(parsed.micros >= before)
        #expect(session["factors"]?["password"] != nil)
        // A patch that adds no factor leaves both alone.
        _ = try await mock.send("PATCH", "/__admin/zitadel/sessions/bare-1", body: #"{"metadata":{"k":"dg=="}}"#)
        let again = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        #expect(try again.json()["session"]?["sequence"] == .string("2"))
    }

    @Test(arguments: TestingSetup.allCases)
    func storeAPIPutSessionIsValidatedLikeASeed(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let bad = try await mock.send(
            "PUT",
            "/__admin/zitadel/sessions/s1",
            body: #"{"session":{"id":"s1","creationDate":"yesterday"}}"#
        )
        #expect(bad.status == 400)
        guard case .array(let issues)? = try bad.json()["issues"] else {
            Issue.record("no issues")
            return
        }
        #expect(issues.first?["path"] == .string("$.session.creationDate"))
        let good = try await mock.send(
            "PUT",
            "/__admin/zitadel/sessions/s1",
            body: #"{"creatorUserId":"9001","session":{"id":"s1","sequence":"7"}}"#
        )
        #expect(good.status == 201)
        let served = try await mock.get("/v2/sessions/s1", headers: Harness.admin)
        #expect(served.text == #"{"session":{"id":"s1","sequence":"7"}}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func scenariosCanBeAddedAndSwitched(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let bad = try await mock.send(
            "POST",
            "/__admin/scenarios/extra",
            body: #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"x"}}]}}"#
        )
        #expect(bad.status == 400)
        #expect(!mock.app.registry.names.contains("extra"), "a bad seed changes nothing")
        let good = try await mock.send(
            "POST",
            "/__admin/scenarios/extra",
            body:
                #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"x","code":"X","expired":false,"completed":true}}]}}"#
        )
        #expect(good.status == 201)
        let byHeader = try await mock.get(
            "\(challenge)?code=X",
            headers: ["X-WalletKit-Project-ID": "p", "X-Mock-Scenario": "extra"]
        )
        #expect(byHeader.status == 200)
        let switched = try await mock.send("PUT", "/__admin/scenario", body: #"{"name":"extra"}"#)
        #expect(switched.status == 200)
        let active = try await mock.get("\(challenge)?code=X", headers: ["X-WalletKit-Project-ID": "p"])
        #expect(active.status == 200)
        let health = try await mock.get("/__admin/health")
        #expect(try health.json()["scenarios"] == .array([.string("default"), .string("extra")]))
    }

    @Test(arguments: TestingSetup.allCases)
    func adminTokenIsRequiredButNotForHealth(setup: TestingSetup) async throws {
        let mock = try Harness(setup) { $0.app.adminToken = "s3cret" }
        defer { mock.stop() }
        #expect(try await mock.get("/__admin/health").status == 200)
        #expect(try await mock.send("POST", "/__admin/reset").status == 401)
        #expect(try await mock.send("POST", "/__admin/reset", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(
            try await mock.send("POST", "/__admin/reset", headers: ["Authorization": "Bearer s3cret"]).status == 200
        )
        #expect(try await mock.get("/__admin/requests", headers: ["Authorization": "Bearer s3cret"]).status == 200)
        // The mocked endpoints never need it.
        #expect(try await mock.get("\(challenge)?code=PENDING", headers: Harness.project).status == 200)
    }

    @Test func badReloadKeepsServingTheOldState() async throws {
        let folder = NSTemporaryDirectory() + "session-mock-watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/default.json"
        func seed(_ completed: Bool) -> String {
            #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"w","code":"W","expired":false,"completed":\#(completed)}}]}}"#
        }
        try seed(false).write(toFile: file, atomically: true, encoding: .utf8)
        let mock = try Harness(.live) {
            $0.seedsPath = folder
            $0.watch = true
            $0.watchInterval = 0.05
        }
        defer { mock.stop() }
        var outcomes = try #require(mock.server.watcher).outcomes.makeAsyncIterator()
        let headers = ["X-WalletKit-Project-ID": "p"]
        #expect(try completed(try await mock.get("\(challenge)?code=W", headers: headers)) == false)

        try #"{"walletkit": {"sessionChallenges": [ BROKEN"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(await outcomes.next() == .rejected(file: file))
        let during = try await mock.get("\(challenge)?code=W", headers: headers)
        #expect(during.status == 200, "old state keeps serving")
        #expect(try completed(during) == false)

        try seed(true).write(toFile: file, atomically: true, encoding: .utf8)
        #expect(await outcomes.next() == .reloaded(scenario: "default"))
        #expect(
            try completed(try await mock.get("\(challenge)?code=W", headers: headers)),
            "a valid change is picked up"
        )
    }
}

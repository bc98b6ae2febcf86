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

/// Issue 4's features over real sockets: isolation, timelines, faults, test headers, journal,
/// store API, scenarios, hot reload, admin token.
@Suite struct TestControlTests {
    let challenge = "/users/session-challenge"

    func completed(_ result: HTTPResult) throws -> Bool {
        guard case .bool(let value)? = try result.json()["completed"] else { throw RawConnection.RawError.closed }
        return value
    }

    @Test func pollUntilCompletedWithAfterPolls() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        var seen: [Bool] = []
        for _ in 0..<5 {
            let result = try await mock.get("\(challenge)?code=SLOW", headers: Harness.project)
            #expect(result.status == 200)
            seen.append(try completed(result))
        }
        #expect(seen == [false, false, false, true, true], "afterPolls: 3 → polls 1..3 old, poll 4 new")
    }

    @Test func eightIsolatedWorkersNeverSeeEachOthersPolls() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let results = try await withThrowingTaskGroup(of: (Int, [Bool]).self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var seen: [Bool] = []
                    // Worker k polls k+1 times: only its own polls may count.
                    for _ in 0...worker {
                        let result = try await mock.get("\(challenge)?code=SLOW",
                            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@worker-\(worker)"])
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
        #expect(mock.server.app.registry.isolatedCopyCount == 8)
    }

    @Test func unknownScenarioIs400InEachAPIsShape() async throws {
        let mock = try Harness(seeds: ["default": "{}", "other": "{}"])
        defer { mock.stop() }
        let wallet = try await mock.get("\(challenge)?code=X", headers: ["X-WalletKit-Project-ID": "p", "X-Mock-Scenario": "nope"])
        #expect(wallet.status == 400)
        #expect(wallet.text == #"{"code":"unknown_scenario","error":"unknown scenario 'nope'; known scenarios: default, other"}"#)
        let zitadel = try await mock.get("/v2/sessions/1", headers: ["Authorization": "Bearer x", "X-Mock-Scenario": "nope@k"])
        #expect(zitadel.status == 400)
        #expect(zitadel.text == #"{"code":3,"message":"unknown scenario 'nope'; known scenarios: default, other"}"#)
    }

    @Test func timesOneFaultAnswers500ThenSucceeds() async throws {
        let mock = try Harness()
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

    @Test(arguments: [(400, "missing_code"), (401, "missing_project_id"), (403, "forbidden"), (500, "null")])
    func mockStatusHeaderForcesWalletKitErrors(status: Int, code: String) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("\(challenge)?code=K7PX-22QA", headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Status": String(status)])
        #expect(result.status == status)
        #expect(result.text.contains(code == "null" ? #""code":null"# : "\"\(code)\""))
    }

    @Test(arguments: [(400, 3), (401, 16), (403, 7), (404, 5), (500, 13)])
    func mockStatusHeaderForcesZitadelErrors(status: Int, grpc: Int) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/312909075212468632", headers: ["Authorization": "Bearer admin-pat", "X-Mock-Status": String(status)])
        #expect(result.status == status)
        #expect(try result.json()["code"] == .number(String(grpc)))
    }

    @Test func undocumentedMockStatusIsRefused() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await mock.get("/v2/sessions/312909075212468632", headers: ["Authorization": "Bearer admin-pat", "X-Mock-Status": "418"])
        #expect(result.status == 400)
        #expect(result.text.contains("X-Mock-Status"))
    }

    @Test func testHeadersCanBeSwitchedOff() async throws {
        let mock = try Harness { $0.app.testHeaders = false }
        defer { mock.stop() }
        let result = try await mock.get("\(challenge)?code=K7PX-22QA", headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Status": "500"])
        #expect(result.status == 200)
    }

    @Test func aDelayedAnswerDoesNotBlockOthers() async throws {
        // One worker thread: a sleeping handler would stall every other request.
        let mock = try Harness { $0.http.threadCount = 1 }
        defer { mock.stop() }
        let started = Date()
        async let slow = mock.get("\(challenge)?code=K7PX-22QA", headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Delay-Ms": "500"])
        try await Task.sleep(for: .milliseconds(20))
        var finishedWithin: [Double] = []
        try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let result = try await mock.get("/__admin/health")
                    #expect(result.status == 200)
                    return Date().timeIntervalSince(started)
                }
            }
            for try await time in group { finishedWithin.append(time) }
        }
        let slowResult = try await slow
        let slowTime = Date().timeIntervalSince(started)
        #expect(slowResult.status == 200)
        #expect(slowTime >= 0.5)
        #expect(finishedWithin.count == 50)
        // Compared with the delayed answer, not a fixed clock: other tests share these 2 cores.
        #expect(finishedWithin.allSatisfy { $0 < slowTime }, "all 50 answered while the delayed one waited: \(finishedWithin.max() ?? 0) vs \(slowTime)")
    }

    @Test func dropFaultClosesWithoutReply() throws {
        let mock = try Harness(seeds: ["default": #"{"faults":[{"match":{"path":"/users/session-challenge","query":{"code":"DROP"}},"drop":true}]}"#])
        defer { mock.stop() }
        let connection = try RawConnection(port: mock.server.port)
        try connection.send("GET /users/session-challenge?code=DROP HTTP/1.1\r\nHost: x\r\nX-WalletKit-Project-ID: p\r\n\r\n")
        #expect(try connection.readResponse() == nil)
        #expect(mock.server.app.journal.entries().last?.dropped == true)
    }

    @Test func faultRuleMatchesHeadersAndMethodAndCustomBody() async throws {
        let seed = #"{"faults":[{"match":{"api":"zitadel","headers":{"X-Test":"yes"}},"status":503,"body":{"code":14,"message":"unavailable"}}]}"#
        let mock = try Harness(seeds: ["default": seed])
        defer { mock.stop() }
        let hit = try await mock.get("/v2/sessions/1", headers: ["X-Test": "yes"])
        #expect(hit.status == 503)
        #expect(hit.text == #"{"code":14,"message":"unavailable"}"#)
        let miss = try await mock.get("/v2/sessions/1", headers: ["X-Test": "no"])
        #expect(miss.status == 401)
    }

    @Test func journalRecordsFiltersCountsAndClears() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        _ = try await mock.get("\(challenge)?code=PENDING", headers: Harness.project)
        _ = try await mock.get("\(challenge)?code=NOPE", headers: Harness.project)
        _ = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        let count = try await mock.get("/__admin/requests/count?path=/users/session-challenge")
        #expect(count.text == #"{"count":2}"#)
        let all = try await mock.get("/__admin/requests?method=GET")
        guard case .array(let entries)? = try all.json()["requests"] else { Issue.record("no requests"); return }
        #expect(entries.count == 3)
        #expect(entries.map { $0["status"] } == [.number("200"), .number("400"), .number("200")])
        #expect(entries.first?["scenario"] == .string("default"))
        _ = try await mock.send("DELETE", "/__admin/requests")
        let after = try await mock.get("/__admin/requests/count")
        #expect(after.text == #"{"count":0}"#)
    }

    @Test func resetOfOneCopyKeepsTheOtherWorkersJournalAndState() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        for worker in ["a", "b"] {
            for _ in 0..<4 {
                _ = try await mock.get("\(challenge)?code=SLOW", headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@\(worker)"])
            }
        }
        let reset = try await mock.send("POST", "/__admin/reset?scenario=default@a")
        #expect(reset.status == 200)
        #expect(try await mock.get("/__admin/requests/count?scenario=default@a").text == #"{"count":0}"#)
        #expect(try await mock.get("/__admin/requests/count?scenario=default@b").text == #"{"count":4}"#)
        let a = try await mock.get("\(challenge)?code=SLOW", headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@a"])
        #expect(try completed(a) == false, "copy a starts over")
        let b = try await mock.get("\(challenge)?code=SLOW", headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@b"])
        #expect(try completed(b) == true, "copy b is untouched")
    }

    @Test func journalIsBounded() async throws {
        let mock = try Harness { $0.app.journalSize = 3 }
        defer { mock.stop() }
        for code in ["A", "B", "C", "D", "E"] {
            _ = try await mock.get("\(challenge)?code=\(code)", headers: Harness.project)
        }
        let entries = mock.server.app.journal.entries()
        #expect(entries.map { $0.query.first?.value } == ["C", "D", "E"])
    }

    @Test func storeAPIPutPatchDeleteChallenge() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let put = try await mock.send("PUT", "/__admin/walletkit/session-challenges/NEW", body: #"{"project":"proj_demo","challenge":{"id":"sc_new","code":"NEW","expired":false,"completed":false}}"#)
        #expect(put.status == 201)
        let patch = try await mock.send("PATCH", "/__admin/walletkit/session-challenges/NEW", body: #"{"completed":true}"#)
        #expect(patch.status == 200)
        let served = try await mock.get("\(challenge)?code=NEW", headers: Harness.project)
        #expect(served.text == #"{"id":"sc_new","code":"NEW","expired":false,"completed":true}"#)
        let bad = try await mock.send("PATCH", "/__admin/walletkit/session-challenges/NEW", body: #"{"completed":"yes"}"#)
        #expect(bad.status == 400)
        #expect(try bad.json()["issues"] != nil)
        let deleted = try await mock.send("DELETE", "/__admin/walletkit/session-challenges/NEW")
        #expect(deleted.status == 200)
        let gone = try await mock.get("\(challenge)?code=NEW", headers: Harness.project)
        #expect(gone.status == 400)
    }

    @Test func storeAPIAcceptsBareWireObjectsArraysAndEntryPatches() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let bare = try await mock.send("PUT", "/__admin/walletkit/session-challenges/BARE", body: #"{"id":"sc_bare","code":"BARE","expired":false,"completed":false}"#)
        #expect(bare.status == 201)
        #expect(try await mock.get("\(challenge)?code=BARE", headers: ["X-WalletKit-Project-ID": "proj_other"]).status == 200, "no project: every project")
        let moved = try await mock.send("PATCH", "/__admin/walletkit/session-challenges/BARE", body: #"{"project":"proj_demo"}"#)
        #expect(moved.status == 200)
        #expect(try await mock.get("\(challenge)?code=BARE", headers: ["X-WalletKit-Project-ID": "proj_other"]).status == 403)
        let badProject = try await mock.send("PATCH", "/__admin/walletkit/session-challenges/BARE", body: #"{"project":"proj_nope"}"#)
        #expect(badProject.status == 400)
        let list = try await mock.send("PUT", "/__admin/zitadel/sessions", body: #"[{"session":{"id":"only","sequence":"1"}}]"#)
        #expect(list.status == 200)
        #expect(try await mock.get("/v2/sessions/bare-1", headers: Harness.admin).status == 404)
        #expect(try await mock.get("/v2/sessions/only", headers: Harness.admin).text == #"{"session":{"id":"only","sequence":"1"}}"#)
        let token = try await mock.send("PATCH", "/__admin/zitadel/sessions/only", body: #"{"sessionToken":"tok-only"}"#)
        #expect(token.status == 200)
        #expect(try await mock.get("/v2/sessions/only?sessionToken=tok-only", headers: ["Authorization": "Bearer stranger-pat"]).status == 200)
    }

    @Test func storeAPIWorksOnAPrivateCopyOnly() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let patch = try await mock.send("PATCH", "/__admin/walletkit/session-challenges/PENDING?scenario=default@w1", body: #"{"completed":true}"#)
        #expect(patch.status == 200)
        let mine = try await mock.get("\(challenge)?code=PENDING", headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Scenario": "default@w1"])
        #expect(try completed(mine) == true)
        let shared = try await mock.get("\(challenge)?code=PENDING", headers: Harness.project)
        #expect(try completed(shared) == false)
    }

    @Test func patchAddingAFactorMovesChangeDateAndSequence() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let before = WallClock.nowMicros()
        let patch = try await mock.send("PATCH", "/__admin/zitadel/sessions/bare-1", body: #"{"factors":{"password":{"verifiedAt":"now"}}}"#)
        #expect(patch.status == 200)
        let result = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        let session = try #require(try result.json()["session"])
        #expect(session["sequence"] == .string("2"))
        guard case .string(let changeDate)? = session["changeDate"], let parsed = RFC3339.parse(changeDate) else {
            Issue.record("no changeDate"); return
        }
        #expect(parsed.micros >= before)
        #expect(session["factors"]?["password"] != nil)
        // A patch that adds no factor leaves both alone.
        _ = try await mock.send("PATCH", "/__admin/zitadel/sessions/bare-1", body: #"{"metadata":{"k":"dg=="}}"#)
        let again = try await mock.get("/v2/sessions/bare-1", headers: Harness.admin)
        #expect(try again.json()["session"]?["sequence"] == .string("2"))
    }

    @Test func storeAPIPutSessionIsValidatedLikeASeed() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let bad = try await mock.send("PUT", "/__admin/zitadel/sessions/s1", body: #"{"session":{"id":"s1","creationDate":"yesterday"}}"#)
        #expect(bad.status == 400)
        guard case .array(let issues)? = try bad.json()["issues"] else { Issue.record("no issues"); return }
        #expect(issues.first?["path"] == .string("$.session.creationDate"))
        let good = try await mock.send("PUT", "/__admin/zitadel/sessions/s1", body: #"{"creatorUserId":"9001","session":{"id":"s1","sequence":"7"}}"#)
        #expect(good.status == 201)
        let served = try await mock.get("/v2/sessions/s1", headers: Harness.admin)
        #expect(served.text == #"{"session":{"id":"s1","sequence":"7"}}"#)
    }

    @Test func scenariosCanBeAddedAndSwitched() async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let bad = try await mock.send("POST", "/__admin/scenarios/extra", body: #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"x"}}]}}"#)
        #expect(bad.status == 400)
        #expect(!mock.server.app.registry.names.contains("extra"), "a bad seed changes nothing")
        let good = try await mock.send("POST", "/__admin/scenarios/extra", body: #"{"walletkit":{"sessionChallenges":[{"challenge":{"id":"x","code":"X","expired":false,"completed":true}}]}}"#)
        #expect(good.status == 201)
        let byHeader = try await mock.get("\(challenge)?code=X", headers: ["X-WalletKit-Project-ID": "p", "X-Mock-Scenario": "extra"])
        #expect(byHeader.status == 200)
        let switched = try await mock.send("PUT", "/__admin/scenario", body: #"{"name":"extra"}"#)
        #expect(switched.status == 200)
        let active = try await mock.get("\(challenge)?code=X", headers: ["X-WalletKit-Project-ID": "p"])
        #expect(active.status == 200)
        let health = try await mock.get("/__admin/health")
        #expect(try health.json()["scenarios"] == .array([.string("default"), .string("extra")]))
    }

    @Test func adminTokenIsRequiredButNotForHealth() async throws {
        let mock = try Harness { $0.app.adminToken = "s3cret" }
        defer { mock.stop() }
        #expect(try await mock.get("/__admin/health").status == 200)
        #expect(try await mock.send("POST", "/__admin/reset").status == 401)
        #expect(try await mock.send("POST", "/__admin/reset", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await mock.send("POST", "/__admin/reset", headers: ["Authorization": "Bearer s3cret"]).status == 200)
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
        let mock = try Harness { $0.seedsPath = folder; $0.watch = true; $0.watchInterval = 0.1 }
        defer { mock.stop() }
        let headers = ["X-WalletKit-Project-ID": "p"]
        #expect(try completed(try await mock.get("\(challenge)?code=W", headers: headers)) == false)

        try #"{"walletkit": {"sessionChallenges": [ BROKEN"#.write(toFile: file, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(400))
        let during = try await mock.get("\(challenge)?code=W", headers: headers)
        #expect(during.status == 200, "old state keeps serving")
        #expect(try completed(during) == false)

        try seed(true).write(toFile: file, atomically: true, encoding: .utf8)
        var reloaded = false
        for _ in 0..<30 where !reloaded {
            try await Task.sleep(for: .milliseconds(100))
            reloaded = try completed(try await mock.get("\(challenge)?code=W", headers: headers))
        }
        #expect(reloaded, "a valid change is picked up")
    }
}

// libFuzzer target: seed parser/validator and what a valid seed feeds.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - `SeedParser.parse` never traps on any bytes; throwing `SeedError` is fine, but a thrown error
//   lists at least one issue.
// - A seed it accepts can be turned into live state (`ScenarioState`, `SessionMockApp`) without
//   trapping, and every session's `GetSessionResponse` (`ZitadelJSON.getSessionResponse`) and every
//   challenge's WalletKit JSON re-parse with `JSONParser`.
// - The app built from the seed answers a GET for each of its challenges and sessions, and the
//   store API listings, with a status in 100...599 (or a drop) and JSON that parses.
// - Each seeded session and challenge is what the validating parser makes of its entry alone
//   (a whole seed's plain entries are read straight from the tape instead).

import JSON
import MicroHTTP
import Platform
import Seeds
import SessionMock
import Store
import WalletKitAPI
import ZitadelAPI

@inline(never)
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}

func checkJSON(_ bytes: [UInt8], _ what: @autoclosure () -> String) {
    do {
        _ = try JSONParser.parse(bytes)
    } catch {
        fatalError("\(what()) is not valid JSON (\(error)): \(String(decoding: bytes, as: UTF8.self))")
    }
}

func checkResponse(_ response: HTTPResponse, _ what: String) {
    if response.dropsConnection { return }
    check((100...599).contains(response.status), "\(what): status \(response.status)")
    if let type = response.header("Content-Type"), type.hasPrefix("application/json") {
        checkJSON(response.body, "\(what): response body")
    }
}

/// Percent-free paths only: ids go into the path as the server would see them after decoding.
func get(_ app: SessionMockApp, _ path: String, query: [HTTPField] = [], headers: [HTTPField] = []) {
    let request = HTTPRequest(method: "GET", path: path, query: query, headers: headers)
    checkResponse(app.handle(request), "GET \(path)")
}

/// The seed's sessions and challenges against each entry parsed on its own.
func checkEntriesReadAlone(_ bytes: [UInt8], _ seed: SeedDocument) {
    guard let root = try? JSONParser.parse(bytes) else { fatalError("an accepted seed is not JSON") }
    if case .array(let entries)? = root["zitadel"]?["sessions"] {
        check(entries.count == seed.zitadel.sessions.count, "session count")
        for (entry, parsed) in zip(entries, seed.zitadel.sessions) {
            guard let alone = try? SeedParser.parseSessionEntry(entry) else {
                fatalError("session entry refused alone")
            }
            check(
                alone.session == parsed.session && alone.sessionToken == parsed.sessionToken
                    && alone.creatorUserId == parsed.creatorUserId,
                "session '\(alone.session.id)' differs from its entry read alone"
            )
        }
    }
    if case .array(let entries)? = root["walletkit"]?["sessionChallenges"] {
        check(entries.count == seed.walletKit.sessionChallenges.count, "challenge count")
        for (entry, parsed) in zip(entries, seed.walletKit.sessionChallenges) {
            guard let alone = try? SeedParser.parseChallengeEntry(entry) else {
                fatalError("challenge entry refused alone")
            }
            check(
                alone.project == parsed.project && alone.challenge == parsed.challenge
                    && alone.timeline == parsed.timeline,
                "challenge '\(alone.challenge.code)' differs from its entry read alone"
            )
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    let seed: SeedDocument
    do {
        seed = try SeedParser.parse(bytes, file: "fuzz.json", vocabulary: SessionMockApp.seedVocabulary)
    } catch {
        check(!error.issues.isEmpty, "SeedError without issues")
        _ = error.description
        return 0
    }

    checkEntriesReadAlone(bytes, seed)

    // The stores encode every session when they are built.
    let state = ScenarioState(name: "fuzz", seed: seed)
    state.withSessions { store in
        for record in store.all {
            checkJSON(record.responseBody, "stored GetSessionResponse of '\(record.session.id)'")
        }
    }
    state.withChallenges { store in
        for (_, challenge) in store.all {
            checkJSON(SessionChallengeAPI.json(challenge), "challenge JSON of '\(challenge.code)'")
        }
    }
    // A store resolves relative times as it takes a session in, against its copy's clock; the
    // same done here for every seeded session, whatever the store kept.
    for entry in seed.zitadel.sessions {
        let resolved = entry.session.resolved(now: state.clock.nowMicros())
        checkJSON(ZitadelJSON.getSessionResponse(resolved), "GetSessionResponse of '\(entry.session.id)'")
    }

    // The same seed served: a few requests that reach stores, timelines and fault rules.
    var options = SessionMockApp.Options()
    options.journalSize = 16
    let app = SessionMockApp(seeds: ["fuzz": seed], activeScenario: "fuzz", options: options)
    let projects = (seed.walletKit.projects ?? []) + seed.walletKit.sessionChallenges.compactMap(\.project) + ["p"]
    for entry in seed.walletKit.sessionChallenges.prefix(8) {
        for project in [entry.project ?? projects[0], projects[0]] {
            get(
                app,
                "/users/session-challenge",
                query: [HTTPField(name: "code", value: entry.challenge.code)],
                headers: [HTTPField(name: "X-WalletKit-Project-ID", value: project)]
            )
        }
    }
    let bearer = seed.zitadel.tokens.first.map { "Bearer \($0.token)" } ?? "Bearer none"
    for entry in seed.zitadel.sessions.prefix(8) {
        var query: [HTTPField] = []
        if let token = entry.sessionToken { query.append(HTTPField(name: "sessionToken", value: token)) }
        get(
            app,
            "/v2/sessions/\(entry.session.id)",
            query: query,
            headers: [HTTPField(name: "Authorization", value: bearer)]
        )
        get(app, "/__admin/zitadel/sessions/\(entry.session.id)")
    }
    get(app, "/__admin/walletkit/session-challenges")
    get(app, "/__admin/zitadel/sessions")
    get(app, "/__admin/requests")
    get(app, "/__admin/health")
    return 0
}

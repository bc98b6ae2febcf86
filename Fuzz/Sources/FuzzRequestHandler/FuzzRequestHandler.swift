// libFuzzer target: `SessionMockApp.handle`, the whole mock as a Request -> Response function.
//
// Input encoding (see Fuzz/corpus/request for examples). Up to 4 requests, separated by a line
// `~~~` (the bytes `\n~~~\n`), are sent in order to one app, so one input can build state (PUT,
// POST scenario) and read it back; bodies may hold any bytes (gRPC-Web frames, gzip). Each is
//
//     METHOD \n PATH[?QUERY] \n Header-Name: value \n ... \n \n BODY
//
// QUERY is `name=value&name&...` (no percent decoding: the server hands the handler decoded
// text). Bytes become Strings with `String(decoding:as: UTF8.self)`, and `invalidUTF8` is set when
// the path, query or headers were not UTF-8, as the server does. A body whose first byte is 0xFF
// stands for one over the server's size limit (`bodyTooLarge`, body dropped).
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - handle() never traps;
// - the status is in 100...599 unless the connection is dropped; the delay is not negative;
// - a body sent with `Content-Type: application/json` parses with `JSONParser`;
// - a path no route knows is never a success: it is 404, or a refusal (400/413/414/431);
// - a known path with a method it does not take is 405 (or a refusal) with an `Allow` header.
//
// The app is built once. After each input that reached a handler its scenarios are reset, the
// journal cleared and `default` made active again, so every input starts from the same state and a
// crash reproduces from its input alone; an input that installed or replaced a scenario gets a
// fresh app. (Inputs that only hit 404/405 skip the reset, which re-encodes every seed session.)

import JSON
import MicroHTTP
import Seeds
import SessionMock

#if canImport(Glibc)
import Glibc
#endif

/// `FUZZ_VERBOSE=1` prints each request and its status (to check what a corpus file reaches).
let verbose = getenv("FUZZ_VERBOSE") != nil

/// A second scenario next to the bundled default: fault rules (drop, delay, custom body,
/// forced status, `times`), timelines, and a session with relative timestamps.
let altScenarioJSON = #"""
    {
      "description": "fuzz: faults and timelines",
      "walletkit": {
        "projects": ["p1"],
        "sessionChallenges": [
          {"project": "p1", "challenge": {"id": "c1", "code": "C1", "expired": false, "completed": false},
           "timeline": [{"afterPolls": 1, "set": {"completed": true}}, {"after": "1ms", "set": {"expired": true}}]},
          {"challenge": {"id": "c2", "code": "DROP", "expired": false, "completed": false}},
          {"challenge": {"id": "c3", "code": "SLOW", "expired": false, "completed": true}}
        ]
      },
      "zitadel": {
        "tokens": [{"token": "t1", "userId": "u1", "permissions": ["session.read", "policy.read", "iam.policy.read"]},
                   {"token": "t2", "userId": "u2", "permissions": []}],
        "users": [{"userId": "u1", "loginName": "a@b", "organizationId": "o2", "password": "p"}],
        "settings": {"login": {"allowRegister": false, "passkeysType": null}, "lockout": {"maxPasswordAttempts": "2"},
                     "general": {"supportedLanguages": ["de"]}, "security": {"enableImpersonation": true},
                     "identityProviders": [{"id": "g", "type": "IDENTITY_PROVIDER_TYPE_GOOGLE",
                                            "options": {"isCreationAllowed": true, "autoLinking": "AUTO_LINKING_OPTION_EMAIL"}}]},
        "organizations": [{"id": "o1", "name": "O1", "primaryDomain": "o1.test", "isDefault": true},
                          {"id": "o2", "name": "O2", "primaryDomain": "o2.test",
                           "settings": {"login": {"forceMfa": true}, "branding": {"lightTheme": {"primaryColor": "#000"}},
                                        "identityProviders": []}}],
        "sessions": [
          {"sessionToken": "st", "creatorUserId": "u2",
           "session": {"id": "s1", "creationDate": "now-1h", "changeDate": "now", "sequence": "3",
                       "factors": {"user": {"verifiedAt": "now-1m", "id": "u1", "loginName": "a@b"},
                                   "totp": {"verifiedAt": "2024-01-01T00:00:00Z"}},
                       "metadata": {"k": "AAEC"},
                       "userAgent": {"ip": "::1", "header": {"x": {"values": ["1", "2"]}}},
                       "expirationDate": "now+1d"}}
        ]
      },
      "faults": [
        {"match": {"api": "walletkit", "code": "DROP"}, "drop": true, "delayMs": 5},
        {"match": {"api": "walletkit", "code": "SLOW"}, "delayMs": 100, "times": 2},
        {"match": {"path": "/v2/sessions/teapot*"}, "status": 418, "body": {"teapot": [1, 2.5e3, null, "\u00e9"]}},
        {"match": {"api": "zitadel", "sessionId": "boom", "method": "get", "headers": {"X-Boom": "1"}}, "status": 500, "times": 1},
        {"match": {"api": "walletkit", "query": {"fail": "yes"}}, "status": 403}
      ]
    }
    """#

let baseSeeds: [String: SeedDocument] = {
    var seeds = SeedLoader.bundledDefault(vocabulary: SessionMockApp.seedVocabulary)
    do {
        seeds["alt"] = try SeedParser.parse(
            Array(altScenarioJSON.utf8),
            file: "fuzz alt.json",
            vocabulary: SessionMockApp.seedVocabulary
        )
    } catch {
        fatalError("fuzz alt scenario is invalid: \(error)")
    }
    return seeds
}()

func makeApp() -> SessionMockApp {
    var options = SessionMockApp.Options()
    options.journalSize = 64
    options.maxIsolatedCopies = 4
    return SessionMockApp(seeds: baseSeeds, activeScenario: "default", options: options)
}

nonisolated(unsafe) var app = makeApp()

// MARK: - Known routes (the app's own route table, matched here independently of its Router)

let routes: [(method: String, pattern: [Substring])] = app.routes.map { entry in
    (entry.method, entry.pattern.split(separator: "/", omittingEmptySubsequences: false))
}

/// Methods the path is routed for, nil when no route knows it (same String semantics as Router).
func methods(for path: String) -> Set<String>? {
    // `/__scenario/NAME[@KEY]/<API path>` routes as its API path does; the control API is not
    // served under it.
    if path.hasPrefix("/__scenario/") {
        let rest = path.dropFirst("/__scenario/".count)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else { return nil }
        let inner = String(rest[slash...])
        return inner.hasPrefix("/__admin") || inner.hasPrefix("/__scenario/") ? nil : methods(for: inner)
    }
    let segments = path.split(separator: "/", omittingEmptySubsequences: false)
    var found: Set<String>? = nil
    for route in routes where route.pattern.count == segments.count {
        let matches = zip(route.pattern, segments).allSatisfy { pattern, actual in
            pattern.hasPrefix(":") ? !actual.isEmpty : pattern == actual
        }
        if matches {
            found = (found ?? []).union(route.method == "GET" ? ["GET", "HEAD"] : [route.method])
        }
    }
    return found
}

// MARK: - Decoding

func text(_ bytes: ArraySlice<UInt8>, invalid: inout Bool) -> String {
    let string = String(decoding: bytes, as: UTF8.self)
    if !invalid && !string.utf8.elementsEqual(bytes) { invalid = true }
    return string
}

func decodeRequest(_ bytes: ArraySlice<UInt8>) -> HTTPRequest {
    let newline = UInt8(ascii: "\n")
    var lines: [ArraySlice<UInt8>] = []
    var rest = bytes[...]
    var body: ArraySlice<UInt8> = []
    // Method, target, then headers up to the first empty line; what follows is the body.
    while true {
        guard let end = rest.firstIndex(of: newline) else {
            lines.append(rest)
            rest = []
            break
        }
        let line = rest[rest.startIndex..<end]
        rest = rest[(end + 1)...]
        if lines.count >= 2 && line.isEmpty {
            body = rest
            break
        }
        lines.append(line)
    }
    var invalid = false
    let method = String(decoding: lines.first ?? [], as: UTF8.self)
    var path = "/"
    var query: [HTTPField] = []
    if lines.count > 1 {
        let target = lines[1]
        let mark = target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex
        path = text(target[..<mark], invalid: &invalid)
        if mark < target.endIndex {
            for part in target[(mark + 1)...].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
                let equals = part.firstIndex(of: UInt8(ascii: "=")) ?? part.endIndex
                let value = equals < part.endIndex ? part[(equals + 1)...] : []
                query.append(
                    HTTPField(name: text(part[..<equals], invalid: &invalid), value: text(value, invalid: &invalid))
                )
            }
        }
    }
    var headers: [HTTPField] = []
    for line in lines.dropFirst(2) {
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        var value = colon < line.endIndex ? line[(colon + 1)...] : []
        while value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        headers.append(HTTPField(name: text(line[..<colon], invalid: &invalid), value: text(value, invalid: &invalid)))
    }
    var request = HTTPRequest(method: method, path: path, query: query, headers: headers)
    if body.first == 0xFF {
        request.bodyTooLarge = true
    } else {
        request.body = Array(body)
    }
    request.invalidUTF8 = invalid
    return request
}

// MARK: - Invariants

func fail(_ request: HTTPRequest, _ response: HTTPResponse, _ why: String) -> Never {
    fatalError(
        """
        invariant violated: \(why)
        request: \(request.method) \(request.path) query=\(request.query) headers=\(request.headers) body=\(String(decoding: request.body, as: UTF8.self))
        response: \(response.status) \(response.headers) \(String(decoding: response.body, as: UTF8.self))
        """
    )
}

func check(_ request: HTTPRequest, _ response: HTTPResponse) {
    if response.delayMilliseconds < 0 { fail(request, response, "negative delay") }
    if response.dropsConnection { return }
    if !(100...599).contains(response.status) { fail(request, response, "status out of 100...599") }
    if let type = response.header("Content-Type"), type.hasPrefix("application/json") {
        do {
            _ = try JSONParser.parse(response.body)
        } catch {
            fail(request, response, "application/json body does not parse: \(error)")
        }
    }
    let refusals: Set<Int> = [400, 413, 414, 431]
    // gRPC-Web refuses in its trailers, with HTTP 200.
    if isGRPCWebError(response) { return }
    guard let allowed = methods(for: request.path) else {
        if response.status != 404 && !refusals.contains(response.status) {
            fail(request, response, "unknown path answered \(response.status)")
        }
        return
    }
    if !allowed.contains(request.method) {
        if refusals.contains(response.status) { return }
        if response.status != 405 || response.header("Allow") == nil {
            fail(
                request,
                response,
                "method not routed for this path, but answered \(response.status) without 405 + Allow"
            )
        }
    }
}

/// A gRPC-Web answer whose trailers carry a non-zero `grpc-status`.
func isGRPCWebError(_ response: HTTPResponse) -> Bool {
    guard response.status == 200, let type = response.header("Content-Type"), type.hasPrefix("application/grpc-web")
    else { return false }
    var body = response.body
    if type.hasPrefix("application/grpc-web-text") {
        guard let decoded = Base64Text.decode(String(decoding: body, as: UTF8.self)) else { return false }
        body = decoded
    }
    guard let range = body.firstRange(of: Array("grpc-status:".utf8)) else { return false }
    return !body[range.upperBound...].starts(with: Array("0\r\n".utf8))
}

// MARK: - Entry point

let separator: [UInt8] = Array("\n~~~\n".utf8)

/// The input cut at each separator, at most 4 pieces (the last keeps any further separators).
func requests(in bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var parts: [ArraySlice<UInt8>] = []
    var start = 0
    var i = 0
    while i + separator.count <= bytes.count && parts.count < 3 {
        if bytes[i] == separator[0] && bytes[i..<(i + separator.count)].elementsEqual(separator) {
            parts.append(bytes[start..<i])
            i += separator.count
            start = i
        } else {
            i += 1
        }
    }
    parts.append(bytes[start...])
    return parts
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    var replacedScenario = false
    var reachedHandler = false
    for part in requests(in: bytes) {
        let request = decodeRequest(part)
        let response = app.handle(request)
        if methods(for: request.path)?.contains(request.method) == true { reachedHandler = true }
        if verbose {
            print(
                "\(request.method) \(request.path) \(request.query.map { "\($0.name)=\($0.value)" }) -> "
                    + "\(response.dropsConnection ? "drop" : String(response.status)) \(String(decoding: response.body.prefix(160), as: UTF8.self))"
            )
        }
        check(request, response)
        if request.method == "POST", request.path.hasPrefix("/__admin/scenarios/"), response.status < 300 {
            replacedScenario = true
        }
    }
    if replacedScenario {
        app = makeApp()
    } else if reachedHandler {
        _ = app.registry.activate("default")
        _ = app.registry.reset(nil)
        app.journal.clear()
    }
    return 0
}

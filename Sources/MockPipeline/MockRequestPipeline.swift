import JSON
import MicroHTTP
import Seeds
import Store

/// The error shape of a mocked endpoint, as the pipeline needs it: besides the router's refusals,
/// a 400 for a bad `X-Mock-*` header or unknown scenario, and the API's answer for each status a
/// test may force (`X-Mock-Status`, fault rules), all in the endpoint's own transport.
package protocol MockErrorShape: ErrorShape {
    var api: MockedAPI { get }
    func badRequest(code: String, _ text: String) -> HTTPResponse
    /// The first documented error row with `status`; nil when the API documents none.
    func forced(status: Int) -> HTTPResponse?
}

/// What every request to a mocked endpoint goes through before the endpoint's own checks:
/// scenario choice (`X-Mock-Scenario`), per-request test headers, and seed fault rules.
package struct MockRequestPipeline: Sendable {
    package let registry: ScenarioRegistry
    package let testHeadersEnabled: Bool

    package init(registry: ScenarioRegistry, testHeadersEnabled: Bool) {
        self.registry = registry
        self.testHeadersEnabled = testHeadersEnabled
    }

    /// Runs `endpoint` for `request` unless a test header or fault rule answers first; applies any
    /// delay asked for. Returns the answer and the scenario it was served from (for the journal).
    // An existential, not a generic: called from the API modules, a generic would run
    // unspecialised there and look up type metadata on every request.
    /// `subject` tells fault rules what the request names (its endpoint, challenge code, session,
    /// login name); it is asked only when the scenario has a rule for this API.
    /// A client's deadline (gRPC's `grpc-timeout`, Connect's `Connect-Timeout-Ms`) and the answer
    /// its wire gives when the deadline passes, in milliseconds after the request.
    package struct Deadline {
        package var micros: Int64
        package var exceeded: (_ milliseconds: Int) -> HTTPResponse

        package init(micros: Int64, exceeded: @escaping (_ milliseconds: Int) -> HTTPResponse) {
            self.micros = micros
            self.exceeded = exceeded
        }
    }

    package func run(
        _ request: HTTPRequest,
        shape: any MockErrorShape,
        subject: () -> FaultSubject,
        deadline: Deadline? = nil,
        endpoint: (HTTPRequest, ScenarioState) -> HTTPResponse
    ) -> (HTTPResponse, scenario: String?) {
        let test = TestHeaders(request)
        // The header wins over a `/__scenario/NAME[@KEY]/` base URL
        // (docs/testing.md#isolation-by-base-url-__scenarionamekey).
        var selector = test.scenario?.trimmingSpaces
        if selector == nil, !request.pathParameters.isEmpty,
            let prefixed = request.pathParameters[Self.prefixScenarioParameter]
        {
            guard !prefixed.hasSuffix("@") else {
                return (
                    shape.badRequest(
                        code: "unknown_scenario",
                        "'\(prefixed)' has no key after '@': use /__scenario/NAME/ or /__scenario/NAME@KEY/"
                    ), nil
                )
            }
            selector = prefixed
        }
        let state: ScenarioState
        switch registry.scenario(selector) {
        case .success(let found): state = found
        case .failure(let unknown): return (shape.badRequest(code: "unknown_scenario", unknown.message), nil)
        }

        var delay = 0
        if testHeadersEnabled {
            if let text = test.delay {
                guard let ms = Int(text.trimmingSpaces), (0...600_000).contains(ms) else {
                    return (
                        shape.badRequest(
                            code: "invalid_mock_header",
                            "X-Mock-Delay-Ms must be a whole number of milliseconds from 0 to 600000"
                        ), state.name
                    )
                }
                delay = ms
            }
            if let text = test.status {
                guard let status = Int(text.trimmingSpaces), status == 200 || shape.forced(status: status) != nil else {
                    let documented = shape.api.documentedErrorStatuses.map(String.init).joined(separator: ", ")
                    return (
                        shape.badRequest(
                            code: "invalid_mock_header",
                            "X-Mock-Status must be 200 or a documented error status of this endpoint: \(documented)"
                        ), state.name
                    )
                }
                if status != 200, var forced = shape.forced(status: status) {
                    forced.delayMilliseconds = delay
                    return (forced, state.name)
                }
            }
        }

        // Most requests meet no rule that could apply to their API: no matching at all then.
        if state.hasFaults(for: shape.api),
            let rule = takeFault(state, request, api: shape.api, subject: subject())
        {
            delay += rule.delayMs ?? 0
            if rule.drop {
                var drop = HTTPResponse.drop
                drop.delayMilliseconds = delay
                return (drop, state.name)
            }
            if let status = rule.status, rule.body != nil || !(200...299).contains(status) {
                var response: HTTPResponse
                if let body = rule.body {
                    response = .json(status, body.serialized)
                } else {
                    response =
                        shape.forced(status: status)
                        ?? .json(status, JSONValue.object([("error", .string("fault status \(status)"))]).serialized)
                }
                response.delayMilliseconds = delay
                return (response, state.name)
            }
        }

        // An answer due after the client's deadline is never made: the deadline's answer comes
        // when it passes, and the endpoint changes nothing.
        if let deadline, Int64(delay) * 1000 > deadline.micros {
            let milliseconds = Int((deadline.micros + 999) / 1000)
            var response = deadline.exceeded(milliseconds)
            response.delayMilliseconds = milliseconds
            return (response, state.name)
        }
        var response = endpoint(request, state)
        response.delayMilliseconds = delay
        return (response, state.name)
    }

    /// The first value of each `X-Mock-*` header.
    package struct TestHeaders {
        var scenario: String?
        var delay: String?
        var status: String?

        init(_ request: HTTPRequest) {
            // Every name wanted starts "X-Mock-" and is 13 or 15 bytes long: a length and a
            // first-letter check rule out almost every other header without reading it.
            request.headers.forEachRaw { name, _ in
                if (name.count == 13 || name.count == 15) && name[0] | 0x20 == UInt8(ascii: "x") {
                    scenario = request.header("X-Mock-Scenario")
                    delay = request.header("X-Mock-Delay-Ms")
                    status = request.header("X-Mock-Status")
                    return false
                }
                return true
            }
        }
    }

    /// The first fault rule of `state` for `request` that fires.
    private func takeFault(
        _ state: ScenarioState,
        _ request: HTTPRequest,
        api: MockedAPI,
        subject: FaultSubject
    ) -> FaultRule? {
        guard state.base.faultGateAdmits(api, code: subject.code, sessionId: subject.sessionId, rpc: subject.rpc) else {
            return nil
        }
        return state.takeFault(for: api) { Self.matches($0, request, api: api, subject: subject) }
    }

    /// Reads each condition from the shared matcher: copying its `Match` would retain every
    /// string and list in it for every request.
    package static func matches(
        _ matcher: FaultMatcher,
        _ request: HTTPRequest,
        api: MockedAPI,
        subject: FaultSubject
    ) -> Bool {
        if let wanted = matcher.match.api, wanted != api { return false }
        if let path = matcher.match.path {
            if path.hasSuffix("*") {
                if !request.path.hasPrefix(path.dropLast()) { return false }
            } else if request.path != path {
                return false
            }
        }
        if let method = matcher.match.method, method != request.method { return false }
        for (name, value) in matcher.match.query where request.queryValue(name) != value { return false }
        for (name, value) in matcher.match.headers where request.header(name) != value { return false }
        if let code = matcher.match.code {
            guard api == .walletKit, subject.code == code else { return false }
        }
        if let sessionId = matcher.match.sessionId {
            guard api == .zitadel, subject.sessionId == sessionId else { return false }
        }
        if let rpc = matcher.match.rpc {
            guard api == .zitadel, subject.rpc == rpc else { return false }
        }
        if let loginName = matcher.match.loginName {
            guard api == .zitadel, let named = subject.loginName, named.lowercased() == loginName.lowercased() else {
                return false
            }
        }
        return true
    }

    /// Where the router puts the scenario a `/__scenario/NAME[@KEY]/…` path names.
    package static let prefixScenarioParameter = "__scenario"
}

/// What a request names that a fault rule may match (`match.rpc`, `code`, `sessionId`,
/// `loginName`), as the endpoint's declaration reads it from the request.
package struct FaultSubject: Sendable {
    /// The ZITADEL RPC's method name, e.g. `GetSession`, on every transport.
    package var rpc: String?
    /// The WalletKit session challenge's code (query `code`, or verify-login's body).
    package var code: String?
    /// The ZITADEL session the request names.
    package var sessionId: String?
    /// The login name a ZITADEL user check names.
    package var loginName: String?

    // Inlinable: made on every request that meets a fault rule, and out of line the call moves
    // and releases four optionals.
    @inlinable
    package init(rpc: String? = nil, code: String? = nil, sessionId: String? = nil, loginName: String? = nil) {
        self.rpc = rpc
        self.code = code
        self.sessionId = sessionId
        self.loginName = loginName
    }
}

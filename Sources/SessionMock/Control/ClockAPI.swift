import JSON
import MicroHTTP
import Seeds
import Store

/// `/__admin/clock?scenario=NAME[@KEY]`: the copy's clock (docs/control-api.md#clock). GET reads
/// it, POST moves it (`set`, then `advance`, then `freeze`, in one step), DELETE puts it back on
/// the wall clock. A body that does not parse answers 400 and moves nothing.
struct ClockAPI: Sendable {
    let registry: ScenarioRegistry
    static let path = "/__admin/clock"

    func register(on router: inout Router) {
        router.addScenarioRoute("GET", Self.path, registry: registry) { _, state in
            Self.answer(state.clock.read(), of: state)
        }
        router.addScenarioRoute("POST", Self.path, registry: registry) { request, state in
            switch Self.move(from: request.body) {
            case .success(let move):
                guard let reading = state.clock.apply(move) else {
                    return AdminAPI.error(400, "the move would take the clock outside \(SeedClock.rangeText)")
                }
                return Self.answer(reading, of: state)
            case .failure(let refusal): return AdminAPI.error(400, refusal.reason)
            }
        }
        router.addScenarioRoute("DELETE", Self.path, registry: registry) { _, state in
            Self.answer(state.clock.useWallClock(), of: state)
        }
    }

    /// `{"scenario","now","offsetMs","frozen"}`.
    static func answer(_ reading: ScenarioClock.Reading, of state: ScenarioState) -> HTTPResponse {
        .json(
            200,
            JSONValue.object([
                ("scenario", .string(state.name)),
                ("now", .string(RFC3339.formatProtoJSON(micros: reading.nowMicros))),
                ("offsetMs", .number(String(reading.offsetMicros / 1000))),
                ("frozen", .bool(reading.frozen)),
            ]).serialized
        )
    }

    struct Refusal: Error {
        var reason: String
    }

    /// The POST body: an object with any of `set` (RFC 3339), `advance` (a duration as seeds
    /// write them, `-` in front to go back) and `freeze` (a boolean).
    static func move(from body: [UInt8]) -> Result<ScenarioClock.Move, Refusal> {
        guard case .object(let members)? = try? JSONParser.parse(body) else {
            return .failure(Refusal(reason: "expected a JSON object with set, advance or freeze"))
        }
        var move = ScenarioClock.Move()
        for (key, value) in members {
            switch (key, value) {
            case ("set", .string(let text)):
                guard let parsed = RFC3339.parse(text) else {
                    return .failure(Refusal(reason: "set: '\(text)' is not an RFC 3339 time like 2026-01-01T00:00:00Z"))
                }
                move.setMicros = parsed.micros
            case ("advance", .string(let text)):
                let back = text.hasPrefix("-")
                let magnitude = back ? String(text.dropFirst()) : text
                switch SeedDuration.parse(magnitude) {
                case .success(let duration): move.advanceMicros = back ? -duration.micros : duration.micros
                case .failure(let error):
                    // The reason quotes the text as the client sent it, sign included.
                    let reason = error.description.replacing("'\(magnitude)'", with: "'\(text)'")
                    return .failure(Refusal(reason: "advance: \(reason)"))
                }
            case ("freeze", .bool(let frozen)):
                move.freeze = frozen
            case ("set", _), ("advance", _):
                return .failure(Refusal(reason: "\(key): expected a string, found \(value.typeName)"))
            case ("freeze", _):
                return .failure(Refusal(reason: "freeze: expected true or false, found \(value.typeName)"))
            default:
                return .failure(Refusal(reason: "unknown field '\(key)' (known: advance, freeze, set)"))
            }
        }
        return .success(move)
    }
}

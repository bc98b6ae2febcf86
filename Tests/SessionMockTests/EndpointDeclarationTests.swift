import Foundation
import SessionMockTesting
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import MockPipeline
@testable import Seeds
@testable import SessionMock
@testable import WalletKitAPI
@testable import ZitadelAPI

/// What the endpoint declarations promise: every declared route reaches its endpoint on every
/// transport, is in the OpenAPI document and the fuzz dictionary, and its RPC name is what seeds
/// may match on.
@Suite struct EndpointDeclarationTests {
    /// Every declared route with its path parameters filled in.
    static let routes: [DeclaredRoute] = SessionMockApp.endpoints.flatMap { endpoint in
        endpoint.routes.map { DeclaredRoute(endpoint: endpoint.name, api: endpoint.api, route: $0) }
    }

    /// A call without credentials reaches the endpoint's own first row (not a 404, 405 or 415),
    /// in the exact shape of its API and transport.
    @Test(arguments: TestingSetup.allCases, routes)
    func everyDeclaredRouteAnswersOnEveryTransport(setup: TestingSetup, declared: DeclaredRoute) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let path = declared.concretePath
        if !declared.route.requiresCredentials {
            // Its first row is its own parameter check: anything but the router's 404 and 405.
            let result = try await mock.send(declared.route.method, path)
            #expect(![404, 405].contains(result.status), "\(result.status) \(result.text)")
            #expect((try? result.json()["error"]) != nil, "\(result.text)")
            return
        }
        switch (declared.api, declared.route.transport) {
        case (.walletKit, _):
            let body = declared.route.method == "GET" ? nil : "{}"
            let result = try await mock.send(declared.route.method, path, body: body)
            #expect(result.status == 401)
            #expect(
                result.text == #"{"code":"missing_project_id","error":"X-WalletKit-Project-ID header is required"}"#
            )
        case (.zitadel, .rest):
            let body = declared.route.method == "GET" ? nil : "{}"
            let result = try await mock.send(declared.route.method, path, body: body)
            #expect(result.status == 401)
            #expect(result.text == #"{"code":16,"message":"auth header missing"}"#)
        case (.zitadel, .rpc):
            let connectError = #"{"code":"unauthenticated","message":"auth header missing"}"#
            let trailer = GRPCFraming.frame(
                0x80,
                Array("grpc-status:16\r\ngrpc-message:auth header missing\r\n".utf8)
            )
            let emptyFrame = GRPCFraming.frame(0x00, [])
            let calls: [(contentType: String, body: [UInt8], status: Int, answer: [UInt8])] = [
                ("application/json", Array("{}".utf8), 401, Array(connectError.utf8)),
                ("application/proto", [], 401, Array(connectError.utf8)),
                ("application/grpc-web+proto", emptyFrame, 200, trailer),
                (
                    "application/grpc-web-text", Array(Data(emptyFrame).base64EncodedString().utf8), 200,
                    Array(Data(trailer).base64EncodedString().utf8)
                ),
            ]
            for call in calls {
                let result = try await mock.send(
                    "POST",
                    path,
                    headers: ["Content-Type": call.contentType],
                    bytes: call.body
                )
                #expect(result.status == call.status, "\(call.contentType)")
                #expect([UInt8](result.body) == call.answer, "\(call.contentType): \(result.text)")
            }
            // Native gRPC (over HTTP/2 in every setup): trailers-only, the status in one HEADERS frame.
            let grpc = try await mock.send(
                "POST",
                path,
                fields: [("Content-Type", "application/grpc")],
                bytes: emptyFrame
            )
            #expect(grpc.status == 200 && grpc.body.isEmpty && grpc.header("Content-Type") == "application/grpc")
            #expect(
                grpc.grpcStatusFields.filter { $0.name == "grpc-status" || $0.name == "grpc-message" } == [
                    HTTPField(name: "grpc-status", value: "16"),
                    HTTPField(name: "grpc-message", value: "auth header missing"),
                ],
                "\(grpc.grpcStatusFields)"
            )
        }
    }

    /// The control API's OpenAPI document (served at `/__admin/openapi.yaml`) describes every
    /// declared route with its method.
    @Test(arguments: routes)
    func everyDeclaredRouteIsInTheOpenAPIDocument(declared: DeclaredRoute) throws {
        let lines = BundledOpenAPI.yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let pathLine = "  \(declared.route.openAPIPath):"
        let start = try #require(lines.firstIndex { $0 == pathLine }, "\(pathLine) is not in openapi/openapi.yaml")
        let operations = lines[(start + 1)...].prefix { !$0.hasPrefix("  /") && $0 != "components:" }
        #expect(
            operations.contains { $0 == "    \(declared.route.method.lowercased()):" },
            "openapi/openapi.yaml has no \(declared.route.method) under \(declared.route.openAPIPath)"
        )
    }

    /// The fuzz dictionary names every declared path (up to its first parameter).
    @Test(arguments: routes)
    func everyDeclaredRouteIsInTheFuzzDictionary(declared: DeclaredRoute) throws {
        let dictionary = try String(contentsOfFile: Self.repositoryFile("Fuzz/request.dict"), encoding: .utf8)
        let literal = declared.route.pattern.components(separatedBy: ":").first ?? declared.route.pattern
        #expect(
            dictionary.split(separator: "\n").contains { $0 == "\"\(literal)\"" },
            "Fuzz/request.dict lacks \"\(literal)\""
        )
    }

    /// A seed's `match.rpc` takes exactly the declared RPC names.
    @Test func seedsMayMatchEveryDeclaredRPCAndNothingElse() throws {
        for name in ZitadelEndpoints.rpcNames {
            let seed = try SeedParser.parse(
                Array(#"{"faults":[{"match":{"rpc":"\#(name)"},"status":500}]}"#.utf8),
                file: "t.json"
            )
            #expect(seed.faults.first?.match.rpc == name)
        }
        #expect(throws: SeedError.self) {
            try SeedParser.parse(Array(#"{"faults":[{"match":{"rpc":"GetUser"},"status":500}]}"#.utf8), file: "t.json")
        }
        do {
            _ = try SeedParser.parse(
                Array(#"{"faults":[{"match":{"rpc":"GetUser"},"status":500}]}"#.utf8),
                file: "t.json"
            )
        } catch {
            #expect(error.issues.map(\.path) == ["$.faults[0].match.rpc"])
            #expect(
                error.issues.first?.reason
                    == "unknown rpc 'GetUser' (known: \(ZitadelEndpoints.rpcNames.joined(separator: ", ")))"
            )
        }
    }

    /// One method and pattern per route, no two declarations claiming the same one.
    @Test func declaredRoutesAreUnique() {
        let keys = Self.routes.map { "\($0.route.method) \($0.route.pattern)" }
        #expect(Set(keys).count == keys.count, "\(keys)")
        #expect(Set(SessionMockApp.endpoints.map(\.name)).count == SessionMockApp.endpoints.count)
    }

    static func repositoryFile(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }
}

struct DeclaredRoute: Sendable, CustomTestStringConvertible {
    var endpoint: String
    var api: MockedAPI
    var route: MockRoute

    var testDescription: String { "\(route.method) \(route.pattern) (\(route.transport.rawValue))" }

    /// The pattern with each `:parameter` as a value.
    var concretePath: String {
        route.pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "p1" : String($0) }
            .joined(separator: "/")
    }
}

@Suite struct ConstantTimeTests {
    @Test func lengthsThatDifferByMultiplesOf256AreNotEqual() {
        let short = Array("token".utf8)
        #expect(!ConstantTime.equals(short, short + [UInt8](repeating: 0, count: 256)))
        #expect(!ConstantTime.equals([], [UInt8](repeating: 0, count: 512)))
        #expect(!ConstantTime.equals(short, Array("tokeN".utf8)))
        #expect(ConstantTime.equals(short, Array("token".utf8)))
        #expect(ConstantTime.equals([], []))
    }
}

import Foundation
import SessionMockTesting
import SwiftProtobuf
import Testing

@testable import GRPCServices
@testable import MicroHTTP
@testable import MockPipeline
@testable import SessionMock
@testable import ZitadelAPI

/// gRPC's own services over native gRPC: health (Check, List) in process and over HTTP/2, and
/// server reflection over HTTP/2 (a stream of requests in one body, each answered in order).
@Suite struct GRPCServicesTests {
    static let grpc = [("Content-Type", "application/grpc"), ("te", "trailers")]

    static func call(
        _ mock: Harness,
        _ path: String,
        _ messages: [some SwiftProtobuf.Message]
    ) async throws -> HTTPResult {
        let body = try messages.flatMap { GRPCFraming.frame(0, try $0.serializedBytes()) }
        return try await mock.send("POST", path, fields: Self.grpc, bytes: body)
    }

    static func messages<M: SwiftProtobuf.Message>(_ type: M.Type, in result: HTTPResult) throws -> [M] {
        let (frames, consumed) = GRPCFraming.frames(in: [UInt8](result.body))
        #expect(consumed == result.body.count)
        return try frames.map { try M(serializedBytes: $0.message) }
    }

    @Test(arguments: TestingSetup.allCases)
    func healthCheckAnswersForTheServerAndEachServedService(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        for service in ["", "zitadel.session.v2.SessionService", "grpc.health.v1.Health"] {
            let result = try await Self.call(
                mock,
                "/grpc.health.v1.Health/Check",
                [Grpc_Health_V1_HealthCheckRequest.with { $0.service = service }]
            )
            #expect(result.status == 200 && result.header("Content-Type") == "application/grpc")
            #expect(HeaderFields(result.grpcStatusFields)["grpc-status"] == "0", "\(service)")
            #expect(try Self.messages(Grpc_Health_V1_HealthCheckResponse.self, in: result).map(\.status) == [.serving])
        }
        let unknown = try await Self.call(
            mock,
            "/grpc.health.v1.Health/Check",
            [Grpc_Health_V1_HealthCheckRequest.with { $0.service = "nope.Service" }]
        )
        #expect(unknown.body.isEmpty)
        #expect(
            unknown.grpcStatusFields.filter {
                ["grpc-status", "grpc-message", "grpc-status-details-bin"].contains($0.name)
            } == [
                HTTPField(name: "grpc-status", value: "5"),
                HTTPField(name: "grpc-message", value: "unknown service nope.Service"),
            ]
        )
        let list = try await Self.call(mock, "/grpc.health.v1.Health/List", [Grpc_Health_V1_HealthListRequest()])
        let statuses = try Self.messages(Grpc_Health_V1_HealthListResponse.self, in: list).first?.statuses ?? [:]
        #expect(statuses.keys.sorted() == ([""] + mock.app.grpcServices.services).sorted())
        #expect(statuses.values.allSatisfy { $0.status == .serving })
    }

    /// Reflection as grpcurl and Postman use it: list the services, then the file of a service
    /// and of a method, then an unknown file; one stream, answered in order, then grpc-status 0.
    @Test func reflectionListsAndDescribesOverHTTP2() async throws {
        let mock = try Harness(.liveHTTP2)
        defer { mock.stop() }
        for version in ["v1", "v1alpha"] {
            let requests: [Grpc_Reflection_V1_ServerReflectionRequest] = [
                .with {
                    $0.host = "localhost"
                    $0.listServices = ""
                },
                .with { $0.fileContainingSymbol = "zitadel.session.v2.SessionService" },
                .with { $0.fileContainingSymbol = "zitadel.session.v2.SessionService.GetSession" },
                .with { $0.fileByFilename = "nope.proto" },
            ]
            let result = try await Self.call(
                mock,
                "/grpc.reflection.\(version).ServerReflection/ServerReflectionInfo",
                requests
            )
            #expect(result.status == 200 && result.trailers["grpc-status"] == "0", "\(version)")
            let answers = try Self.messages(Grpc_Reflection_V1_ServerReflectionResponse.self, in: result)
            try #require(answers.count == 4)
            #expect(answers[0].validHost == "localhost" && answers[0].originalRequest == requests[0])
            #expect(
                answers[0].listServicesResponse.service.map(\.name) == [
                    "zitadel.session.v2.SessionService", "zitadel.user.v2.UserService",
                    "zitadel.settings.v2.SettingsService", "zitadel.org.v2.OrganizationService",
                    "zitadel.oidc.v2.OIDCService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                    "grpc.reflection.v1alpha.ServerReflection",
                ]
            )
            for answer in answers[1...2] {
                let files = try answer.fileDescriptorResponse.fileDescriptorProto.map {
                    try Google_Protobuf_FileDescriptorProto(serializedBytes: $0)
                }
                // The file first, then everything it imports, each once.
                #expect(files.first?.name == "zitadel/session_service.proto")
                #expect(files.first?.service.first?.method.map(\.name).contains("GetSession") == true)
                let names = Set(files.map(\.name))
                #expect(names.count == files.count)
                for file in files { #expect(Set(file.dependency).isSubset(of: names), "\(file.name)") }
            }
            #expect(answers[3].errorResponse.errorCode == 5)
            #expect(answers[3].errorResponse.errorMessage == "file not found: nope.proto")
        }
    }

    /// Every served service, method and message type can be found by reflection.
    @Test func everyDeclaredRPCIsFoundBySymbol() {
        let services = GRPCServices(
            vendorServices: ZitadelEndpoints.services,
            descriptorSets: [ZitadelDescriptors.fileDescriptorSet]
        )
        for endpoint in ZitadelEndpoints.all {
            for symbol in [
                endpoint.service, "\(endpoint.service).\(endpoint.method)", endpoint.requestMessage,
                endpoint.responseMessage,
            ] {
                let answer = services.reflect(.with { $0.fileContainingSymbol = symbol })
                #expect(!answer.fileDescriptorResponse.fileDescriptorProto.isEmpty, "\(symbol)")
            }
        }
    }
}

/// Native gRPC's own limits over HTTP/2.
@Suite struct NativeGRPCLimitTests {
    /// A message over 4 MiB is RESOURCE_EXHAUSTED (8), trailers-only, and the server goes on.
    @Test func aMessageOver4MiBIsResourceExhausted() async throws {
        let mock = try Harness(.liveHTTP2)
        defer { mock.stop() }
        let big = GRPCFraming.frame(0, [UInt8](repeating: 0x41, count: 4 * 1024 * 1024 + 1))
        let result = try await mock.send(
            "POST",
            "/zitadel.session.v2.SessionService/GetSession",
            fields: [("Content-Type", "application/grpc"), ("Authorization", "Bearer admin-pat")],
            bytes: big
        )
        #expect(result.status == 200 && result.body.isEmpty)
        #expect(HeaderFields(result.grpcStatusFields)["grpc-status"] == "8", "\(result.grpcStatusFields)")
        let health = try await mock.get("/__admin/health")
        #expect(health.status == 200)
    }
}

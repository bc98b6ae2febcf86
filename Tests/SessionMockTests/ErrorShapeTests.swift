import Foundation
import SessionMockTesting
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import ZitadelAPI

/// Every refusal answers in the shape of the API its route belongs to: Connect's error JSON and
/// gRPC-Web trailers on the RPC paths, `ErrorResponse` under /users, ZITADEL's REST error under
/// /v2, `{"error","path"}` for the control API and everything else.
@Suite struct ErrorShapeTests {
    static let service = "/zitadel.session.v2.SessionService"

    static func trailers(_ result: HTTPResult) throws -> [String: String] {
        let frames = try #require(
            GRPCWebFrames.parse([UInt8](result.body)),
            "not gRPC-Web frames: \(Array(result.body))"
        )
        #expect(frames.data == nil, "an error has no data frame")
        return GRPCWebFrames.trailers(frames.trailer)
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownProcedureIsConnectUnimplemented404(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.send(
            "POST",
            "\(Self.service)/Nope",
            headers: ["Content-Type": "application/json"],
            body: "{}"
        )
        #expect(result.status == 404)
        #expect(result.header("Content-Type") == "application/json")
        #expect(
            result.text
                == #"{"code":"unimplemented","message":"unknown procedure /zitadel.session.v2.SessionService/Nope"}"#
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownProcedureIsGRPCWebStatus12InTrailers(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.send(
            "POST",
            "\(Self.service)/Nope",
            headers: ["Content-Type": "application/grpc-web+proto"],
            bytes: [0, 0, 0, 0, 0]
        )
        #expect(result.status == 200)
        #expect(result.header("Content-Type") == "application/grpc-web+proto")
        let trailers = try Self.trailers(result)
        #expect(trailers["grpc-status"] == "12")
        #expect(trailers["grpc-message"] == "unknown procedure /zitadel.session.v2.SessionService/Nope")
    }

    @Test(arguments: TestingSetup.allCases)
    func wrongMethodOnAProcedureIs405WithAllowInEachTransport(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let connect = try await mock.get("\(Self.service)/GetSession")
        #expect(connect.status == 405)
        #expect(connect.header("Allow") == "POST")
        #expect(
            connect.text
                == #"{"code":"unimplemented","message":"/zitadel.session.v2.SessionService/GetSession is called with POST"}"#
        )
        let grpcWeb = try await mock.get(
            "\(Self.service)/GetSession",
            headers: ["Content-Type": "application/grpc-web-text"]
        )
        #expect(grpcWeb.status == 200)
        #expect(grpcWeb.header("Allow") == "POST")
        #expect(grpcWeb.header("Content-Type") == "application/grpc-web-text+proto")
        let decoded = try #require(Data(base64Encoded: grpcWeb.body))
        let trailers = GRPCWebFrames.trailers(try #require(GRPCWebFrames.parse([UInt8](decoded))).trailer)
        #expect(trailers["grpc-status"] == "12")
    }

    @Test(arguments: TestingSetup.allCases)
    func badMockHeaderOnAProcedureIsInvalidArgumentInItsTransport(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let headers = ["Authorization": "Bearer admin-pat", "X-Mock-Status": "418"]
        let connect = try await mock.send(
            "POST",
            "\(Self.service)/GetSession",
            headers: headers.merging(["Content-Type": "application/json"]) { $1 },
            body: #"{"sessionId":"1"}"#
        )
        #expect(connect.status == 400)
        #expect(
            connect.text
                == #"{"code":"invalid_argument","message":"X-Mock-Status must be 200 or a documented error status of this endpoint: 400, 401, 403, 404, 500"}"#
        )
        let grpcWeb = try await mock.send(
            "POST",
            "\(Self.service)/GetSession",
            headers: ["X-Mock-Delay-Ms": "x", "Content-Type": "application/grpc-web+proto"],
            bytes: [0, 0, 0, 0, 0]
        )
        #expect(grpcWeb.status == 200)
        let trailers = try Self.trailers(grpcWeb)
        #expect(trailers["grpc-status"] == "3")
        #expect(trailers["grpc-message"] == "X-Mock-Delay-Ms must be a whole number of milliseconds from 0 to 600000")
    }

    @Test(arguments: TestingSetup.allCases)
    func badMockHeaderElsewhereUsesThatAPIsShape(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let walletKit = try await mock.get(
            "/users/session-challenge?code=K7PX-22QA",
            headers: ["X-WalletKit-Project-ID": "proj_demo", "X-Mock-Delay-Ms": "-1"]
        )
        #expect(walletKit.status == 400)
        #expect(
            walletKit.text
                == #"{"code":"invalid_mock_header","error":"X-Mock-Delay-Ms must be a whole number of milliseconds from 0 to 600000"}"#
        )
        let rest = try await mock.get(
            "/v2/sessions/1",
            headers: ["Authorization": "Bearer admin-pat", "X-Mock-Delay-Ms": "-1"]
        )
        #expect(rest.status == 400)
        #expect(
            rest.text
                == #"{"code":3,"message":"X-Mock-Delay-Ms must be a whole number of milliseconds from 0 to 600000"}"#
        )
    }

    // MARK: - Limits the HTTP layer enforces: only a socket shows them

    @Test func oversizedBodyOnAProcedureIsResourceExhaustedInEachTransport() async throws {
        let mock = try Harness(.live)
        defer { mock.stop() }
        let body = [UInt8](repeating: 0, count: 5 << 20)  // over the 4 MiB default
        let connect = try await mock.send(
            "POST",
            "\(Self.service)/GetSession",
            headers: ["Content-Type": "application/json"],
            bytes: body
        )
        #expect(connect.status == 413)
        #expect(connect.text == #"{"code":"resource_exhausted","message":"request body too large"}"#)
        let grpcWeb = try await mock.send(
            "POST",
            "\(Self.service)/GetSession",
            headers: ["Content-Type": "application/grpc-web+proto"],
            bytes: body
        )
        #expect(grpcWeb.status == 200)
        let trailers = try Self.trailers(grpcWeb)
        #expect(trailers["grpc-status"] == "8")
        #expect(trailers["grpc-message"] == "request body too large")
    }

    @Test func overlongTargetUsesTheShapeOfItsRoute() async throws {
        let mock = try Harness(.live)
        defer { mock.stop() }
        let query = "?" + String(repeating: "a", count: 9000)
        let connect = try await mock.send(
            "POST",
            "\(Self.service)/GetSession\(query)",
            headers: ["Content-Type": "application/json"],
            body: "{}"
        )
        #expect(connect.status == 414)
        #expect(
            connect.text
                == #"{"code":"resource_exhausted","message":"request path and query are longer than 8192 bytes"}"#
        )
        let admin = try await mock.get("/__admin/health\(query)")
        #expect(admin.status == 414)
        #expect(try admin.json()["path"] == .string("/__admin/health"))
        let walletKit = try await mock.get("/users/session-challenge\(query)")
        #expect(walletKit.status == 414)
        #expect(try walletKit.json()["code"] == .string("uri_too_long"))
    }
}

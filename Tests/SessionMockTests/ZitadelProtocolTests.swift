import Foundation
import SessionMockTesting
import SwiftProtobuf
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

/// `POST /zitadel.session.v2.SessionService/GetSession` over Connect (JSON and binary protobuf) and
/// gRPC-Web (binary and text), in process and live against the bundled default scenario: every row
/// of GetSession's table (docs/zitadel.md) in every encoding, answers decoded with the generated
/// `zitadel.session.v2` types.
@Suite struct ZitadelProtocolTests {
    static let path = "/zitadel.session.v2.SessionService/GetSession"
    static let fullId = "312909075212468632"

    // MARK: - Every GetSession row, every encoding

    @Test(
        arguments: TestingSetup.allCases,
        RPCEncoding.allCases.flatMap { encoding in GetSessionRPCRow.all.map { RPCCase(encoding: encoding, row: $0) } }
    )
    func getSessionRow(setup: TestingSetup, call: RPCCase) async throws {
        let (encoding, row) = (call.encoding, call.row)
        let mock = try Harness(setup)
        defer { mock.stop() }
        let answer = try await encoding.call(mock, row.request, headers: row.headers)
        switch row.expected {
        case .session(let id):
            let response = try answer.session()
            #expect(response.session.id == id)
            // The same session REST answers, field for field.
            let rest = try await mock.get("/v2/sessions/\(id)", headers: ["Authorization": "Bearer admin-pat"])
            let restResponse = try Zitadel_Session_V2_GetSessionResponse(jsonUTF8Data: rest.body)
            #expect(response == restResponse)
        case .error(let code, let message, let detailId):
            let error = try answer.error()
            #expect(error.code == code, "\(row)")
            #expect(error.message == message, "\(row)")
            if let detailId {
                let detail = try #require(error.detail, "\(row): no ErrorDetail")
                #expect(detail.id == detailId)
                #expect(message == "\(detail.message) (\(detailId))")
            } else {
                #expect(error.detail == nil, "\(row): errors without an ID carry no detail")
            }
        }
        encoding.checkTransport(answer.http, expectedCode: row.expected.grpcCode)
    }

    // MARK: - Exact wire bytes

    @Test(arguments: TestingSetup.allCases)
    func connectJSONSuccessIsTheRESTBodyByteForByte(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await post(
            mock,
            contentType: "application/json",
            body: Data(#"{"sessionId":"312909075212468632"}"#.utf8),
            headers: ["Authorization": "Bearer admin-pat", "Connect-Protocol-Version": "1"]
        )
        #expect(result.status == 200)
        #expect(result.text == ZitadelContractTests.documentedExample)
        #expect(result.header("Content-Type") == "application/json")
        #expect(result.header("Cache-Control") == "no-store")
        #expect(result.header("Pragma") == "no-cache")
    }

    @Test(arguments: TestingSetup.allCases)
    func connectNotFoundBodyIsExact(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await post(
            mock,
            contentType: "application/json",
            body: Data(#"{"sessionId":"nope"}"#.utf8),
            headers: Harness.admin
        )
        #expect(result.status == 404)
        #expect(
            result.text
                == #"{"code":"not_found","message":"Session does not exist (QUERY-SFeaa)","details":[{"type":"zitadel.v1.ErrorDetail","value":"CgtRVUVSWS1TRmVhYRIWU2Vzc2lvbiBkb2VzIG5vdCBleGlzdA","debug":{"id":"QUERY-SFeaa","message":"Session does not exist"}}]}"#
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func connectErrorWithoutIdHasNoDetails(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await post(mock, contentType: "application/proto", body: Data(), headers: [:])
        #expect(result.status == 401)
        #expect(result.header("Content-Type") == "application/json", "Connect errors are JSON whatever the codec")
        #expect(result.text == #"{"code":"unauthenticated","message":"auth header missing"}"#)
    }

    @Test(arguments: TestingSetup.allCases)
    func grpcWebTrailersAreExact(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        var request = Zitadel_Session_V2_GetSessionRequest()
        request.sessionID = "nope"
        let result = try await post(
            mock,
            contentType: "application/grpc-web+proto",
            body: Data(GRPCFraming.frame(0, try request.serializedBytes())),
            headers: Harness.admin
        )
        #expect(result.status == 200)
        #expect(result.header("Content-Type") == "application/grpc-web+proto")
        let frames = try #require(GRPCWebFrames.parse([UInt8](result.body)))
        #expect(frames.data == nil)
        let trailer = String(decoding: frames.trailer, as: UTF8.self)
        #expect(
            trailer.hasPrefix(
                "grpc-status:5\r\ngrpc-message:Session does not exist (QUERY-SFeaa)\r\ngrpc-status-details-bin:"
            )
        )
        #expect(trailer.hasSuffix("\r\n"))
    }

    @Test func grpcMessageIsPercentEncoded() {
        #expect(GRPCFraming.percentEncode("100% sure: ü\n") == "100%25 sure: %C3%BC%0A")
    }

    // MARK: - Protobuf and JSON are the same session

    @Test(arguments: TestingSetup.allCases, ["312909075212468632", "all-factors-1", "bare-1", "expired-1"])
    func protobufAndJSONAreTheSameSession(setup: TestingSetup, id: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        var request = Zitadel_Session_V2_GetSessionRequest()
        request.sessionID = id
        let json = try await RPCEncoding.connectJSON.call(mock, request, headers: Harness.admin).session()
        let proto = try await RPCEncoding.connectProto.call(mock, request, headers: Harness.admin).session()
        let web = try await RPCEncoding.grpcWeb.call(mock, request, headers: Harness.admin).session()
        let text = try await RPCEncoding.grpcWebText.call(mock, request, headers: Harness.admin).session()
        #expect(json == proto)
        #expect(web == proto)
        #expect(text == proto)
        // And back: the protobuf message written as proto3 JSON reads as the same message.
        let again = try Zitadel_Session_V2_GetSessionResponse(jsonString: try proto.jsonString())
        #expect(again == proto)
    }

    @Test(arguments: TestingSetup.allCases)
    func converterKeepsEveryField(setup: TestingSetup) async throws {
        let seed = try SeedParser.parse(
            Array(
                #"""
                {"zitadel":{"sessions":[{"session":{"id":"s","creationDate":"2025-03-06T14:42:07.123456789Z","sequence":"18446744073709551615",
                 "factors":{"webAuthN":{"verifiedAt":"1969-12-31T23:59:59.5Z"},"otpEmail":{"verifiedAt":"2025-03-06T14:42:07Z"}},
                 "metadata":{"k":"AAH/"},"userAgent":{"ip":""}}}]}}
                """#.utf8
            ),
            file: "test"
        )
        let session = try #require(seed.zitadel.sessions.first?.session)
        let message = ZitadelProtoConverter.session(session)
        #expect(message.creationDate == Google_Protobuf_Timestamp(seconds: 1_741_272_127, nanos: 123_456_789))
        #expect(!message.hasChangeDate)
        #expect(message.sequence == UInt64.max)
        #expect(message.factors.webAuthN.verifiedAt == Google_Protobuf_Timestamp(seconds: -1, nanos: 500_000_000))
        #expect(!message.factors.webAuthN.userVerified)
        #expect(message.factors.hasOtpEmail && !message.factors.hasUser && !message.factors.hasPassword)
        #expect(message.metadata["k"] == Data([0, 1, 255]))
        #expect(message.userAgent.hasIp && message.userAgent.ip.isEmpty, "optional string set to empty stays set")
        #expect(!message.userAgent.hasFingerprintID)
        #expect(!message.hasExpirationDate)
        // The converter and the REST encoder say the same.
        let rest = try Zitadel_Session_V2_GetSessionResponse(jsonUTF8Bytes: ZitadelJSON.getSessionResponse(session))
        #expect(rest.session == message)
    }

    // MARK: - Test headers and fault rules apply to these protocols too

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func seedFaultRuleMatchesTheSessionIdInTheBody(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let error = try await encoding.call(mock, .init(id: "boom-1"), headers: Harness.admin).error()
        #expect(error.code == 13)
        #expect(error.message == "An internal error occurred (QUERY-SAder)")
        #expect(error.detail?.id == "QUERY-SAder")
    }

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func mockStatusHeaderForcesTheDocumentedError(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let error = try await encoding.call(
            mock,
            .init(id: Self.fullId),
            headers: ["Authorization": "Bearer admin-pat", "X-Mock-Status": "404"]
        ).error()
        #expect(error.code == 5)
        #expect(error.detail?.id == "QUERY-SFeaa")
    }

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func unknownScenarioIsInvalidArgument(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let error = try await encoding.call(
            mock,
            .init(id: Self.fullId),
            headers: ["Authorization": "Bearer admin-pat", "X-Mock-Scenario": "nope"]
        ).error()
        #expect(error.code == 3)
        #expect(error.message.contains("nope"))
    }

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func isolatedScenarioCopiesWork(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let answer = try await encoding.call(
            mock,
            .init(id: Self.fullId),
            headers: ["Authorization": "Bearer admin-pat", "X-Mock-Scenario": "default@worker-1"]
        )
        #expect(try answer.session().session.id == Self.fullId)
    }

    @Test(arguments: TestingSetup.allCases)
    func callsAreJournaled(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        for encoding in RPCEncoding.allCases {
            _ = try await encoding.call(mock, .init(id: Self.fullId), headers: Harness.admin)
        }
        let count = try await mock.get("/__admin/requests/count?path=\(Self.path)&method=POST")
        #expect(try count.json()["count"] == .number(String(RPCEncoding.allCases.count)))
    }

    // MARK: - Deadlines

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func deadlineShorterThanTheDelayIsDeadlineExceeded(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        // Without the deadline this would wait 10 minutes (and the live client give up after 30 s).
        let headers = ["Authorization": "Bearer admin-pat", "X-Mock-Delay-Ms": "600000"].merging(
            encoding.timeoutHeader(milliseconds: 200)
        ) { $1 }
        let answer = try await encoding.call(mock, .init(id: Self.fullId), headers: headers)
        let error = try answer.error()
        #expect(error.code == 4)
        #expect(error.message.contains("200 ms"))
        if setup == .router {
            #expect(answer.http.delayMilliseconds == 200, "answered at the deadline, not after the delay")
        }
        if encoding.isConnect { #expect(answer.http.status == 504) }
    }

    /// An RPC whose answer would come after the client's deadline is not run: nothing changes.
    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func aCallCutByItsDeadlineChangesNothing(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let before = try await mock.get("/__admin/zitadel/sessions").json()["sessions"]
        var headers = [
            "Content-Type": encoding.contentType, "Authorization": "Bearer login-pat", "X-Mock-Delay-Ms": "600000",
        ]
        headers.merge(encoding.timeoutHeader(milliseconds: 100)) { $1 }
        let message = Zitadel_Session_V2_CreateSessionRequest.with { $0.checks.user.loginName = "minnie@example.com" }
        let body: [UInt8] =
            switch encoding {
            case .connectJSON: try message.jsonUTF8Bytes()
            case .connectProto: try message.serializedBytes()
            case .grpcWeb, .grpc: GRPCFraming.frame(0, try message.serializedBytes())
            case .grpcWebText:
                Array(Data(GRPCFraming.frame(0, try message.serializedBytes())).base64EncodedString().utf8)
            }
        let http = try await mock.send(
            "POST",
            "/zitadel.session.v2.SessionService/CreateSession",
            headers: headers,
            bytes: body
        )
        #expect(try RPCAnswer(encoding: encoding, http: http).error().code == 4)
        let after = try await mock.get("/__admin/zitadel/sessions").json()["sessions"]
        #expect(after == before, "no session was created")
    }

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func deadlineAlsoCutsFaultRuleDelays(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        // slow-1 has a 1500 ms fault delay in the default seed.
        let answer = try await encoding.call(
            mock,
            .init(id: "slow-1"),
            headers: Harness.admin.merging(encoding.timeoutHeader(milliseconds: 100)) { $1 }
        )
        #expect(try answer.error().code == 4)
    }

    @Test(arguments: TestingSetup.allCases, RPCEncoding.allCases)
    func deadlineLongerThanTheDelayAnswersNormally(setup: TestingSetup, encoding: RPCEncoding) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let headers = ["Authorization": "Bearer admin-pat", "X-Mock-Delay-Ms": "50"].merging(
            encoding.timeoutHeader(milliseconds: 5000)
        ) { $1 }
        let answer = try await encoding.call(mock, .init(id: Self.fullId), headers: headers)
        #expect(try answer.session().session.id == Self.fullId)
    }

    @Test(arguments: TestingSetup.allCases, ["abc", "-1", "12345678901", ""])
    func malformedConnectTimeoutIsInvalidArgument(setup: TestingSetup, value: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let answer = try await RPCEncoding.connectJSON.call(
            mock,
            .init(id: Self.fullId),
            headers: ["Authorization": "Bearer admin-pat", "Connect-Timeout-Ms": value]
        )
        #expect(try answer.error().code == 3)
        #expect(answer.http.status == 400)
    }

    @Test(arguments: TestingSetup.allCases)
    func malformedGRPCTimeoutIsInvalidArgument(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let answer = try await RPCEncoding.grpcWeb.call(
            mock,
            .init(id: Self.fullId),
            headers: ["Authorization": "Bearer admin-pat", "grpc-timeout": "5x"]
        )
        #expect(try answer.error().code == 3)
    }

    @Test func grpcTimeoutUnits() {
        #expect(GRPCFraming.parseTimeout("1H") == 3_600_000_000)
        #expect(GRPCFraming.parseTimeout("2M") == 120_000_000)
        #expect(GRPCFraming.parseTimeout("3S") == 3_000_000)
        #expect(GRPCFraming.parseTimeout("300m") == 300_000)
        #expect(GRPCFraming.parseTimeout("7u") == 7)
        #expect(GRPCFraming.parseTimeout("1n") == 1)
        #expect(GRPCFraming.parseTimeout("123456789S") == nil, "at most 8 digits")
        #expect(GRPCFraming.parseTimeout("S") == nil)
    }

    // MARK: - Connect headers

    @Test(arguments: TestingSetup.allCases)
    func connectProtocolVersionOtherThan1IsRefused(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let answer = try await RPCEncoding.connectProto.call(
            mock,
            .init(id: Self.fullId),
            headers: ["Authorization": "Bearer admin-pat", "Connect-Protocol-Version": "2"]
        )
        #expect(answer.http.status == 400)
        #expect(try answer.error().message == #"Connect-Protocol-Version must be "1": got "2""#)
    }

    // MARK: - Content types, methods, bad bodies

    /// Over HTTP/1.1 only: HTTP/2 serves native gRPC (NativeGRPCTests).
    @Test(
        arguments: [TestingSetup.router, .live],
        ["application/grpc", "application/grpc+proto", "application/grpc+json"]
    )
    func nativeGRPCOverHTTP1Is415ThatSaysWhy(setup: TestingSetup, contentType: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.send(
            "POST",
            Self.path,
            fields: [("Authorization", "Bearer admin-pat"), ("Content-Type", contentType)],
            bytes: GRPCFraming.frame(0, []),
            httpVersion: .http1
        )
        #expect(result.status == 415)
        #expect(result.header("Content-Type") == "application/json")
        guard case .string(let message)? = try result.json()["message"] else {
            Issue.record("no message")
            return
        }
        #expect(message.contains("HTTP/2"))
        #expect(message.contains("Connect") && message.contains("gRPC-Web"))
        #expect(try result.json()["protocols"] == .array([.string("connect"), .string("grpc-web"), .string("grpc")]))
        #expect(result.header("Accept-Post")?.contains("application/grpc-web+proto") == true)
    }

    @Test(
        arguments: ["text/plain", "application/x-www-form-urlencoded", "application/grpc-web+json", nil] as [String?]
    )
    func otherContentTypesAre415(contentType: String?) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        var headers = Harness.admin
        if let contentType { headers["Content-Type"] = contentType }
        let result = try await HTTPResult.fetch(
            "POST",
            URL(string: mock.baseURL + Self.path)!,
            headers: headers,
            body: contentType == nil ? nil : Data("x".utf8)
        )
        #expect(result.status == 415)
        #expect(try result.json()["code"] == .string("unimplemented"))
    }

    @Test(arguments: TestingSetup.allCases)
    func contentTypeParametersAndCaseAreIgnored(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await post(
            mock,
            contentType: "Application/JSON; charset=utf-8",
            body: Data(#"{"session_id":"312909075212468632"}"#.utf8),
            headers: Harness.admin
        )
        #expect(result.status == 200, "proto field names are accepted in JSON as well")
    }

    @Test(arguments: TestingSetup.allCases, ["GET", "PUT", "DELETE"])
    func otherMethodsAre405(setup: TestingSetup, method: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await mock.send(method, Self.path, headers: Harness.admin)
        #expect(result.status == 405)
        #expect(result.header("Allow") == "POST")
    }

    @Test(arguments: [
        ("application/json", Data("{not json".utf8)),
        ("application/json", Data(#"{"sessionId":5}"#.utf8)),
        ("application/proto", Data([0x0A, 0x10, 0x41])),
        ("application/proto", Data([0xFF, 0xFF, 0xFF])),
        ("application/grpc-web+proto", Data([0, 0, 0])),
        ("application/grpc-web+proto", Data([0, 0, 0, 0, 9, 1])),
        ("application/grpc-web+proto", Data([0x80, 0, 0, 0, 0])),
        ("application/grpc-web+proto", Data([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
        ("application/grpc-web+proto", Data([0, 0, 0, 0, 2, 0xFF, 0xFF])),
        ("application/grpc-web-text", Data("!!not base64!!".utf8)),
        ("application/grpc-web-text", Data("AAAA".utf8)),
    ])
    func badBodiesAreInvalidArgument(contentType: String, body: Data) async throws {
        let mock = try Harness()
        defer { mock.stop() }
        let result = try await post(mock, contentType: contentType, body: body, headers: Harness.admin)
        let encoding: RPCEncoding =
            switch contentType {
            case "application/json": .connectJSON
            case "application/proto": .connectProto
            case "application/grpc-web+proto": .grpcWeb
            default: .grpcWebText
            }
        let error = try RPCAnswer(encoding: encoding, http: result).error()
        #expect(error.code == 3, "\(contentType) \(Array(body))")
        if encoding.isConnect { #expect(result.status == 400) } else { #expect(result.status == 200) }
    }

    @Test(arguments: TestingSetup.allCases)
    func emptyConnectBodyIsTheEmptyMessage(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await post(mock, contentType: "application/json", body: Data(), headers: Harness.admin)
        #expect(result.status == 400)
        #expect(
            try RPCAnswer(encoding: .connectJSON, http: result).error().message.contains("GetSessionRequest.SessionId")
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func grpcWebTextAcceptsSeveralPaddedPieces(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        var request = Zitadel_Session_V2_GetSessionRequest()
        request.sessionID = Self.fullId
        let frame = GRPCFraming.frame(0, try request.serializedBytes())
        let text = Data(frame[..<4]).base64EncodedString() + Data(frame[4...]).base64EncodedString()
        let result = try await post(
            mock,
            contentType: "application/grpc-web-text",
            body: Data(text.utf8),
            headers: Harness.admin
        )
        #expect(try RPCAnswer(encoding: .grpcWebText, http: result).session().session.id == Self.fullId)
    }

    // MARK: - Compressed requests (connectrpc for Python gzips by default)

    @Test(arguments: TestingSetup.allCases, [GzipVectors.fixed, GzipVectors.stored, GzipVectors.dynamic])
    func gzipConnectBodies(setup: TestingSetup, vector: String) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let body = try #require(Data(base64Encoded: vector))
        let result = try await post(
            mock,
            contentType: "application/json",
            body: body,
            headers: ["Authorization": "Bearer admin-pat", "Content-Encoding": "gzip"]
        )
        #expect(try RPCAnswer(encoding: .connectJSON, http: result).session().session.id == Self.fullId)
    }

    @Test(arguments: TestingSetup.allCases)
    func gzipGRPCWebFrame(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let payload = try #require(Data(base64Encoded: GzipVectors.protoNope))
        let result = try await post(
            mock,
            contentType: "application/grpc-web+proto",
            body: Data(GRPCFraming.frame(1, [UInt8](payload))),
            headers: ["Authorization": "Bearer admin-pat", "grpc-encoding": "gzip"]
        )
        let error = try RPCAnswer(encoding: .grpcWeb, http: result).error()
        #expect(error.code == 5, "the compressed message named session \"nope\"")
    }

    @Test(arguments: TestingSetup.allCases)
    func unknownContentEncodingIsUnimplemented(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let result = try await post(
            mock,
            contentType: "application/json",
            body: Data("{}".utf8),
            headers: ["Authorization": "Bearer admin-pat", "Content-Encoding": "br"]
        )
        #expect(result.status == 501)
        #expect(try RPCAnswer(encoding: .connectJSON, http: result).error().code == 12)
    }

    @Test(arguments: TestingSetup.allCases)
    func corruptGzipIsInvalidArgument(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        var body = [UInt8](try #require(Data(base64Encoded: GzipVectors.fixed)))
        body[body.count - 6] ^= 0xFF  // CRC
        let result = try await post(
            mock,
            contentType: "application/json",
            body: Data(body),
            headers: ["Authorization": "Bearer admin-pat", "Content-Encoding": "gzip"]
        )
        #expect(result.status == 400)
        #expect(try RPCAnswer(encoding: .connectJSON, http: result).error().message.contains("CRC"))
    }

    @Test(arguments: TestingSetup.allCases)
    func gzipDecoder(setup: TestingSetup) async throws {
        let expected = Array(#"{"sessionId":"312909075212468632"}"#.utf8)
        for vector in [GzipVectors.fixed, GzipVectors.stored] {
            let bytes = [UInt8](try #require(Data(base64Encoded: vector)))
            #expect(try Gzip.decompress(bytes, maxBytes: 1 << 20).get() == expected)
        }
        let dynamic = try Gzip.decompress(
            [UInt8](try #require(Data(base64Encoded: GzipVectors.dynamic))),
            maxBytes: 1 << 20
        ).get()
        #expect(dynamic.count == 2537)
        #expect(dynamic.starts(with: Array(#"{"sessionId":"312909075212468632","note":"#.utf8)))
        // The output cap holds.
        let capped = Gzip.decompress([UInt8](try #require(Data(base64Encoded: GzipVectors.dynamic))), maxBytes: 1000)
        #expect(throws: Gzip.Failure.self) { try capped.get() }
    }

    @Test(arguments: TestingSetup.allCases)
    func gzipDecoderSurvivesGarbage(setup: TestingSetup) async throws {
        var generator = SystemRandomNumberGenerator()
        let valid = [UInt8](try #require(Data(base64Encoded: GzipVectors.dynamic)))
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // A valid stream with a few bytes flipped or cut.
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let i = Int.random(in: 10..<bytes.count, using: &generator)
                    bytes[i] = UInt8.random(in: 0...255, using: &generator)
                }
                bytes = Array(bytes[..<Int.random(in: 10...bytes.count, using: &generator)])
            } else {
                bytes = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
                bytes += (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            }
            _ = Gzip.decompress(bytes, maxBytes: 1 << 16)
        }
    }

    // MARK: - Helpers

    func post(_ mock: Harness, contentType: String, body: Data, headers: [String: String]) async throws -> HTTPResult {
        var all = headers
        all["Content-Type"] = contentType
        return try await mock.send("POST", Self.path, headers: all, bytes: Array(body))
    }
}

// MARK: - The four encodings, as a client would speak them

/// One GetSession row in one encoding.
struct RPCCase: Sendable, CustomTestStringConvertible {
    let encoding: RPCEncoding
    let row: GetSessionRPCRow
    var testDescription: String { "\(encoding.rawValue): \(row)" }
}

enum RPCEncoding: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case connectJSON = "Connect JSON"
    case connectProto = "Connect proto"
    case grpcWeb = "gRPC-Web"
    case grpcWebText = "gRPC-Web text"
    /// Native gRPC (over HTTP/2 in every live setup, as gRPC clients send it).
    case grpc = "gRPC"

    var testDescription: String { rawValue }
    var isConnect: Bool { self == .connectJSON || self == .connectProto }

    var contentType: String {
        switch self {
        case .connectJSON: "application/json"
        case .connectProto: "application/proto"
        case .grpcWeb: "application/grpc-web+proto"
        case .grpcWebText: "application/grpc-web-text"
        case .grpc: "application/grpc"
        }
    }

    func timeoutHeader(milliseconds: Int) -> [String: String] {
        isConnect ? ["Connect-Timeout-Ms": String(milliseconds)] : ["grpc-timeout": "\(milliseconds)m"]
    }

    func encode(_ request: Zitadel_Session_V2_GetSessionRequest) throws -> Data {
        switch self {
        case .connectJSON: return try request.jsonUTF8Data()
        case .connectProto: return try request.serializedData()
        case .grpcWeb: return Data(GRPCFraming.frame(0, try request.serializedBytes()))
        case .grpcWebText:
            return Data(Data(GRPCFraming.frame(0, try request.serializedBytes())).base64EncodedString().utf8)
        case .grpc: return Data(GRPCFraming.frame(0, try request.serializedBytes()))
        }
    }

    func call(
        _ mock: Harness,
        _ request: Zitadel_Session_V2_GetSessionRequest,
        headers: [String: String]
    ) async throws -> RPCAnswer {
        var all = headers
        all["Content-Type"] = contentType
        if isConnect, all["Connect-Protocol-Version"] == nil { all["Connect-Protocol-Version"] = "1" }
        let http = try await mock.send(
            "POST",
            ZitadelProtocolTests.path,
            headers: all,
            bytes: Array(try encode(request))
        )
        return RPCAnswer(encoding: self, http: http)
    }

    /// What the transport shows besides the message: Connect's HTTP status and content types, gRPC-Web's 200.
    func checkTransport(_ http: HTTPResult, expectedCode: Int) {
        switch self {
        case .connectJSON, .connectProto:
            #expect(http.status == (expectedCode == 0 ? 200 : ConnectProtocol.httpStatus(expectedCode)))
            #expect(http.header("Content-Type") == (expectedCode == 0 ? contentType : "application/json"))
        case .grpcWeb:
            #expect(http.status == 200)
            #expect(http.header("Content-Type") == "application/grpc-web+proto")
        case .grpcWebText:
            #expect(http.status == 200)
            #expect(http.header("Content-Type") == "application/grpc-web-text+proto")
        case .grpc:
            #expect(http.status == 200)
            #expect(http.header("Content-Type") == "application/grpc")
            #expect(http.header("grpc-accept-encoding") == "identity,gzip")
            #expect(HeaderFields(http.grpcStatusFields)["grpc-status"] == String(expectedCode))
        }
        if expectedCode == 0 { #expect(http.header("Cache-Control") == "no-store") }
    }
}

struct RPCError: Error, Equatable {
    var code: Int
    var message: String
    /// The detail's id and message, whichever of ZITADEL's detail types carried them.
    var detail: Zitadel_V1_ErrorDetail?
    /// Set when the detail is a `zitadel.v1.CredentialsCheckError`.
    var failedAttempts: Int?
}

struct RPCProtocolFailure: Error, CustomStringConvertible {
    var description: String
}

/// One answer, decoded the way a client of that encoding would.
struct RPCAnswer {
    var encoding: RPCEncoding
    var http: HTTPResult

    func session() throws -> Zitadel_Session_V2_GetSessionResponse {
        switch encoding {
        case .connectJSON:
            guard http.status == 200 else { throw RPCProtocolFailure(description: "HTTP \(http.status): \(http.text)") }
            return try Zitadel_Session_V2_GetSessionResponse(jsonUTF8Data: http.body)
        case .connectProto:
            guard http.status == 200 else { throw RPCProtocolFailure(description: "HTTP \(http.status): \(http.text)") }
            return try Zitadel_Session_V2_GetSessionResponse(serializedBytes: http.body)
        case .grpcWeb, .grpcWebText:
            let frames = try grpcFrames()
            let trailers = GRPCWebFrames.trailers(frames.trailer)
            guard trailers["grpc-status"] == "0" else { throw RPCProtocolFailure(description: "trailers: \(trailers)") }
            guard let data = frames.data else { throw RPCProtocolFailure(description: "no data frame") }
            return try Zitadel_Session_V2_GetSessionResponse(serializedBytes: data)
        case .grpc:
            guard http.status == 200, http.trailers["grpc-status"] == "0" else {
                throw RPCProtocolFailure(description: "HTTP \(http.status), trailers: \(http.trailers)")
            }
            let (frames, consumed) = GRPCFraming.frames(in: [UInt8](http.body))
            guard frames.count == 1, consumed == http.body.count, frames[0].flags == 0 else {
                throw RPCProtocolFailure(description: "not one message frame: \(http.body.count) bytes")
            }
            return try Zitadel_Session_V2_GetSessionResponse(serializedBytes: frames[0].message)
        }
    }

    func error() throws -> RPCError {
        switch encoding {
        case .connectJSON, .connectProto:
            let json = try http.json()
            guard case .string(let name)? = json["code"], case .string(let message)? = json["message"] else {
                throw RPCProtocolFailure(description: "not a Connect error: HTTP \(http.status) \(http.text)")
            }
            let code = (0...16).first { ConnectProtocol.codeName($0) == name } ?? -1
            var detail: Zitadel_V1_ErrorDetail?
            var failedAttempts: Int?
            if case .array(let details)? = json["details"] {
                guard details.count == 1, case .string(let type)? = details[0]["type"],
                    case .string(let value)? = details[0]["value"]
                else {
                    throw RPCProtocolFailure(description: "bad details: \(http.text)")
                }
                #expect(type == "zitadel.v1.ErrorDetail" || type == "zitadel.v1.CredentialsCheckError")
                #expect(!value.hasSuffix("="), "Connect sends base64 without padding")
                let padded = value + String(repeating: "=", count: (4 - value.count % 4) % 4)
                let bytes = try #require(Data(base64Encoded: padded))
                var decoded = Zitadel_V1_ErrorDetail()
                if type == "zitadel.v1.CredentialsCheckError" {
                    let credentials = try Zitadel_V1_CredentialsCheckError(serializedBytes: bytes)
                    (decoded.id, decoded.message) = (credentials.id, credentials.message)
                    failedAttempts = Int(credentials.failedAttempts)
                    #expect(details[0]["debug"]?["failedAttempts"] == .number(String(credentials.failedAttempts)))
                } else {
                    decoded = try Zitadel_V1_ErrorDetail(serializedBytes: bytes)
                    #expect(details[0]["debug"]?["failedAttempts"] == nil)
                }
                #expect(details[0]["debug"]?["id"] == .string(decoded.id))
                #expect(details[0]["debug"]?["message"] == .string(decoded.message))
                detail = decoded
            }
            return RPCError(code: code, message: message, detail: detail, failedAttempts: failedAttempts)
        case .grpcWeb, .grpcWebText, .grpc:
            let trailers: [String: String]
            if encoding == .grpc {
                // Trailers-only: no body, the status in the one HEADERS frame.
                #expect(http.body.isEmpty, "an error has no message")
                trailers = Dictionary(
                    http.grpcStatusFields.map { ($0.name, $0.value) },
                    uniquingKeysWith: { first, _ in first }
                )
            } else {
                let frames = try grpcFrames()
                #expect(frames.data == nil, "an error has no data frame")
                trailers = GRPCWebFrames.trailers(frames.trailer)
            }
            guard let status = trailers["grpc-status"].flatMap({ Int($0) }), status != 0 else {
                throw RPCProtocolFailure(description: "not a gRPC error: \(trailers)")
            }
            let message = trailers["grpc-message"]?.removingPercentEncoding ?? ""
            var detail: Zitadel_V1_ErrorDetail?
            var failedAttempts: Int?
            if let bin = trailers["grpc-status-details-bin"] {
                let padded = bin + String(repeating: "=", count: (4 - bin.count % 4) % 4)
                let rpcStatus = try Google_Rpc_Status(serializedBytes: try #require(Data(base64Encoded: padded)))
                #expect(Int(rpcStatus.code) == status)
                #expect(rpcStatus.message == message)
                #expect(rpcStatus.details.count == 1)
                let any = try #require(rpcStatus.details.first)
                if any.typeURL == "type.googleapis.com/zitadel.v1.CredentialsCheckError" {
                    let credentials = try Zitadel_V1_CredentialsCheckError(unpackingAny: any)
                    detail = .with {
                        $0.id = credentials.id
                        $0.message = credentials.message
                    }
                    failedAttempts = Int(credentials.failedAttempts)
                } else {
                    #expect(any.typeURL == "type.googleapis.com/zitadel.v1.ErrorDetail")
                    detail = try Zitadel_V1_ErrorDetail(unpackingAny: any)
                }
            }
            return RPCError(code: status, message: message, detail: detail, failedAttempts: failedAttempts)
        }
    }

    func grpcFrames() throws -> GRPCWebFrames {
        var body = [UInt8](http.body)
        if encoding == .grpcWebText {
            guard let decoded = Data(base64Encoded: http.body) else {
                throw RPCProtocolFailure(description: "gRPC-Web text body is not base64")
            }
            body = [UInt8](decoded)
        }
        guard http.status == 200, let frames = GRPCWebFrames.parse(body) else {
            throw RPCProtocolFailure(description: "HTTP \(http.status), not gRPC-Web frames: \(http.text)")
        }
        return frames
    }
}

/// A gRPC-Web answer: at most one data frame, then exactly one trailer frame, nothing after.
struct GRPCWebFrames {
    var data: [UInt8]?
    var trailer: [UInt8]

    static func parse(_ bytes: [UInt8]) -> GRPCWebFrames? {
        var data: [UInt8]?
        var offset = 0
        while offset + 5 <= bytes.count {
            let flags = bytes[offset]
            let length =
                Int(bytes[offset + 1]) << 24 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 8
                | Int(bytes[offset + 4])
            guard offset + 5 + length <= bytes.count else { return nil }
            let payload = Array(bytes[offset + 5..<offset + 5 + length])
            offset += 5 + length
            if flags == 0x80 {
                return offset == bytes.count ? GRPCWebFrames(data: data, trailer: payload) : nil
            }
            guard flags == 0, data == nil else { return nil }
            data = payload
        }
        return nil
    }

    static func trailers(_ bytes: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[line[..<colon].lowercased()] = String(line[line.index(after: colon)...])
        }
        return out
    }
}

// MARK: - GetSession's rows, one by one

struct GetSessionRPCRow: Sendable, CustomTestStringConvertible {
    enum Expected: Sendable {
        case session(String)
        case error(code: Int, message: String, detailId: String?)

        var grpcCode: Int {
            switch self {
            case .session: 0
            case .error(let code, _, _): code
            }
        }
    }

    var name: String
    var sessionId: String
    var sessionToken: String?
    var authorization: String?
    var expected: Expected

    var testDescription: String { name }

    var request: Zitadel_Session_V2_GetSessionRequest { .init(id: sessionId, token: sessionToken) }
    var headers: [String: String] { authorization.map { ["Authorization": $0] } ?? [:] }

    static let full = ZitadelProtocolTests.fullId
    static let all: [GetSessionRPCRow] = [
        GetSessionRPCRow(
            name: "no Authorization header",
            sessionId: full,
            authorization: nil,
            expected: .error(code: 16, message: "auth header missing", detailId: nil)
        ),
        GetSessionRPCRow(
            name: "header not Bearer",
            sessionId: full,
            authorization: "Basic YWRtaW46cGF0",
            expected: .error(code: 16, message: "invalid auth header (AUTH-toLo1)", detailId: "AUTH-toLo1")
        ),
        GetSessionRPCRow(
            name: "token not in the seed",
            sessionId: full,
            authorization: "Bearer nope",
            expected: .error(code: 16, message: "Errors.Token.Invalid (AUTH-7fs1e)", detailId: "AUTH-7fs1e")
        ),
        GetSessionRPCRow(
            name: "sessionId over 200 chars",
            sessionId: String(repeating: "a", count: 201),
            authorization: "Bearer admin-pat",
            expected: .error(
                code: 3,
                message: "invalid GetSessionRequest.SessionId: value length must be between 1 and 200 runes, inclusive",
                detailId: nil
            )
        ),
        GetSessionRPCRow(
            name: "sessionId empty",
            sessionId: "",
            authorization: "Bearer admin-pat",
            expected: .error(
                code: 3,
                message: "invalid GetSessionRequest.SessionId: value length must be between 1 and 200 runes, inclusive",
                detailId: nil
            )
        ),
        GetSessionRPCRow(
            name: "sessionToken given but empty",
            sessionId: full,
            sessionToken: "",
            authorization: "Bearer admin-pat",
            expected: .error(
                code: 3,
                message:
                    "invalid GetSessionRequest.SessionToken: value length must be between 1 and 500 runes, inclusive",
                detailId: nil
            )
        ),
        GetSessionRPCRow(
            name: "sessionToken over 500 chars",
            sessionId: full,
            sessionToken: String(repeating: "t", count: 501),
            authorization: "Bearer admin-pat",
            expected: .error(
                code: 3,
                message:
                    "invalid GetSessionRequest.SessionToken: value length must be between 1 and 500 runes, inclusive",
                detailId: nil
            )
        ),
        GetSessionRPCRow(
            name: "no session with that id",
            sessionId: "nope",
            authorization: "Bearer admin-pat",
            expected: .error(code: 5, message: "Session does not exist (QUERY-SFeaa)", detailId: "QUERY-SFeaa")
        ),
        GetSessionRPCRow(
            name: "200 runes of a multi-byte character are within the limit",
            sessionId: String(repeating: "ü", count: 200),
            authorization: "Bearer admin-pat",
            expected: .error(code: 5, message: "Session does not exist (QUERY-SFeaa)", detailId: "QUERY-SFeaa")
        ),
        GetSessionRPCRow(
            name: "sessionToken wrong (even for admins)",
            sessionId: full,
            sessionToken: "wrong",
            authorization: "Bearer admin-pat",
            expected: .error(code: 7, message: "Permission denied (QUERY-dsfr3)", detailId: "QUERY-dsfr3")
        ),
        GetSessionRPCRow(
            name: "caller without permission",
            sessionId: full,
            authorization: "Bearer stranger-pat",
            expected: .error(code: 7, message: "No matching permissions found (AUTH-AWfge)", detailId: "AUTH-AWfge")
        ),
        GetSessionRPCRow(
            name: "forced 500 (fault rule)",
            sessionId: "boom-1",
            authorization: "Bearer admin-pat",
            expected: .error(code: 13, message: "An internal error occurred (QUERY-SAder)", detailId: "QUERY-SAder")
        ),
        GetSessionRPCRow(
            name: "200 with session.read",
            sessionId: full,
            authorization: "Bearer admin-pat",
            expected: .session(full)
        ),
        GetSessionRPCRow(
            name: "200 for the creator",
            sessionId: full,
            authorization: "Bearer creator-pat",
            expected: .session(full)
        ),
        GetSessionRPCRow(
            name: "200 for the checked user",
            sessionId: full,
            authorization: "bearer user-pat",
            expected: .session(full)
        ),
        GetSessionRPCRow(
            name: "200 with the right sessionToken",
            sessionId: full,
            sessionToken: "tok-full",
            authorization: "Bearer stranger-pat",
            expected: .session(full)
        ),
        GetSessionRPCRow(
            name: "200 for an expired session",
            sessionId: "expired-1",
            authorization: "Bearer admin-pat",
            expected: .session("expired-1")
        ),
    ]
}

extension Zitadel_Session_V2_GetSessionRequest {
    init(id: String, token: String? = nil) {
        self.init()
        sessionID = id
        if let token { sessionToken = token }
    }
}

/// gzip files made with Python's `gzip.compress(…, mtime=0)`: a fixed-Huffman block, a stored block
/// (`compresslevel=0`) and a dynamic-Huffman block (2537 bytes of JSON), and `GetSessionRequest{session_id:"nope"}`.
enum GzipVectors {
    static let fixed = "H4sIAAAAAAACA6tWKk4tLs7Mz/NMUbJSMjY0sjSwNDA3NTI0MjGzMDM2UqoFAO8oFC8iAAAA"
    static let stored = "H4sIAAAAAAAEAwEiAN3/eyJzZXNzaW9uSWQiOiIzMTI5MDkwNzUyMTI0Njg2MzIife8oFC8iAAAA"
    static let protoNope = "H4sIAAAAAAACA+NiycsvSAUACcRMbwYAAAA="
    static let dynamic = """
        H4sIAAAAAAACA11WWZLTMBC9iirffGhtSdyAY4TEwNQw9lTsYQoo7k6rN7nmJ7El9fb69ZP/XvZl35+29cv98vmSQuy++1piiBkapHj5dFm3Y8G99+Xr9e34sYbuju14bQn/npe1u9t2X0J0T+uxrEfNvAzZvWy35+z+PB3X+/KzFDeM3Lfr7dgeIZBVkcM14uu6LrcjNllJFATkfOEg1b1e9/19e9xLct8frzfoaogGuleDw1xD4gSqnfCaC4bjIJ2OQNJktMTS3f6yZzCXiVy2rul724Hqlpfr08+chkkCjRGKeyy37dfy+I25onEHd0KQbIpA2Ipa9Uqp1GRn0a8AC2yEAGOgphYp8zLmptVZbi1KTtSvIo5oMZcRoTYFBySVOK2Dge+5F0kjxDBcFO5hKtSJUvQNj6L3YRE7bSFaox8KXsuKohREqaTZP88OuSvYP4MNDNLaOd3SuHWcIWY0/rDzDAm/Vmpyo99CTQiz0xXYEdrIHCA5iFkGDdJAtpgutXGU7t725ZGzwApeDYK0pEibIUxMubYw+9szuQEiGFioOGvF+MOmcanJ1pNxoHEqaC0dDvLQdd6AjXufXqNsVUYmMYRdmxMnf0Ep2A2kxAE9/UWFoFR5yDYG0WCMgkYsVntUSnf1C5o5UleLy9YIGVeCqkw3gftcWJf6HKY4jiAYAz7WC+TaGB55acITzT+wllVuUrS2mzrhsAvXRyI4KwpHZAzrbI639JLIiwRVrNpZH/QRKU5CN/sERYMwd6sF7TxdUfhq9KuBKZ3DdMKyAuHjGdQ1SryIlk89IJXBYxqsmpBPHauzhjpLxwYPVpS5AgI0KLnarE/QidQYFPgxWawep0AqHcWuk7NOsQB1pU5oFB99ocfJP9QI5p9XhvsRDDgYyuwQLNXI7E8kUtm0sj3Jn80q8lK3YF4ZYDwMJnimoIkHiJUvM6lYCEpQ+TFokyn8ifHjLEnjxAQdSUaofDOQXgtVwWd4GPBzUQiA5mLBu6LFmpn0muDLNfXzPSgjgG4hS2EKHSmladsszfNEF64w0b0SqBVNRBR4qtGj3WosWHHCEeUKUgawYBoGjWWKFcN43MpHx1UvPIxg3xlEoiTl4DP7ynAGziZdp4qFiu/YuZ1NsEU45RspzUHtpoTS4hC0NL7vvEnOzLH5+VlijuTSyKyJ9fLvPyeF5knpCQAA
        """.trimmingCharacters(in: .whitespacesAndNewlines)
}

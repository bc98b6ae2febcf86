import Foundation
import SessionMockTesting
import SwiftProtobuf
import Testing

@testable import JSON
@testable import MicroHTTP
@testable import MockPipeline
@testable import Platform
@testable import SessionMock
@testable import ZitadelAPI

/// HTTPS with a local CA (docs/tls.md; live only: TLS exists only on a socket), and base-URL
/// isolation (in process and live).
@Suite struct HTTPSTests {
    /// One CA and server certificate for the suite, written where curl can read them.
    static let certificates: (folder: String, issued: TLSCertificates.Issued) = {
        let folder = NSTemporaryDirectory() + "session-mock-tls-\(getpid())"
        let issued = try! TLSCertificates.issue(days: 2, hosts: [])
        try! OS.makeDirectory(folder)
        try! OS.writeFile(folder + "/ca.pem", Array(issued.authority.certificate.utf8), mode: 0o644)
        try! OS.writeFile(folder + "/server.pem", Array(issued.server.certificate.utf8), mode: 0o644)
        try! OS.writeFile(folder + "/server-key.pem", Array(issued.server.key.utf8), mode: 0o600)
        return (folder, issued)
    }()

    static func tlsHarness() throws -> Harness {
        let issued = certificates.issued
        return try Harness(.live) {
            $0.http.tls = TLSCredentials(certificatePEM: issued.server.certificate, keyPEM: issued.server.key)
        }
    }

    struct CurlResult {
        var exitCode: Int32
        var output: String
    }

    /// curl, verifying the server against `caFile` (never `--insecure`).
    static func curl(_ arguments: [String], caFile: String = certificates.folder + "/ca.pem") throws -> CurlResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "--silent", "--show-error", "--cacert", caFile] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CurlResult(exitCode: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    @Test func bothAPIsAndTheControlAPIAnswerOverVerifiedHTTPS() throws {
        let mock = try Self.tlsHarness()
        defer { mock.stop() }
        #expect(mock.baseURL.hasPrefix("https://127.0.0.1:"))
        let base = "https://localhost:\(mock.server.port)"
        let walletKit = try Self.curl([
            "-H", "X-WalletKit-Project-ID: proj_demo", base + "/users/session-challenge?code=K7PX-22QA",
        ])
        #expect(walletKit.exitCode == 0)
        #expect(walletKit.output == #"{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}"#)
        let zitadel = try Self.curl(["-H", "Authorization: Bearer admin-pat", base + "/v2/sessions/312909075212468632"])
        #expect(zitadel.exitCode == 0 && zitadel.output == ZitadelContractTests.documentedExample)
        let connect = try Self.curl([
            "-H", "Authorization: Bearer admin-pat", "-H", "Content-Type: application/json",
            "--data", #"{"sessionId":"312909075212468632"}"#, base + "/zitadel.session.v2.SessionService/GetSession",
        ])
        #expect(
            connect.exitCode == 0 && connect.output.hasPrefix(#"{"session":{"id":"312909075212468632""#),
            "\(connect.output)"
        )
        let health = try Self.curl(["-w", "%{http_code}", "https://127.0.0.1:\(mock.server.port)/__admin/health"])
        #expect(health.exitCode == 0 && health.output.hasPrefix(#"{"status":"ok""#) && health.output.hasSuffix("200"))
        let ipv6Name = try Self.curl([
            "--connect-to", "[::1]:\(mock.server.port):127.0.0.1:\(mock.server.port)",
            "https://[::1]:\(mock.server.port)/__admin/health",
        ])
        #expect(ipv6Name.exitCode == 0, "the certificate names ::1 too")
    }

    @Test func aClientTrustingAnotherCAIsRefused() throws {
        let mock = try Self.tlsHarness()
        defer { mock.stop() }
        let other = try TLSCertificates.issue(days: 1, hosts: [])
        let otherCA = Self.certificates.folder + "/other-ca.pem"
        try OS.writeFile(otherCA, Array(other.authority.certificate.utf8), mode: 0o644)
        let refused = try Self.curl(["https://localhost:\(mock.server.port)/__admin/health"], caFile: otherCA)
        #expect(refused.exitCode == 60, "curl: peer certificate cannot be authenticated with the given CA")
        #expect(refused.output.isEmpty)
    }

    @Test func keepAliveOver64ConnectionsReusesThem() throws {
        let mock = try Self.tlsHarness()
        defer { mock.stop() }
        let url = "https://localhost:\(mock.server.port)/users/session-challenge?code=PENDING"
        // 256 transfers, at most 64 at once; each reports its status and whether it opened a connection.
        let result = try Self.curl(
            [
                "--parallel", "--parallel-max", "64", "-H", "X-WalletKit-Project-ID: proj_demo",
                "-w", "%{http_code} %{num_connects}\\n",
            ] + Array(repeating: ["-o", "/dev/null", url], count: 256).flatMap { $0 }
        )
        #expect(result.exitCode == 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 256)
        #expect(lines.allSatisfy { $0.hasPrefix("200 ") })
        let connects = lines.compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        #expect(connects <= 64, "keep-alive: \(connects) connections for 256 requests")
    }

    @Test func plainHTTPAndAStalledHandshakeStarveNoOne() async throws {
        let mock = try Self.tlsHarness()
        defer { mock.stop() }
        let port = mock.server.port
        let plain = try await HTTPResult.fetchPlain(port: port)
        #expect(
            plain == nil || plain?.hasPrefix("HTTP/1.1 200") == false,
            "plain HTTP gets no answer on the HTTPS port"
        )
        // A client that sends half a ClientHello and goes quiet holds one connection only.
        let stalled = try RawConnection(port: port)
        try stalled.sendBytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        let healthy = try Self.curl(["https://localhost:\(port)/__admin/health"])
        #expect(healthy.exitCode == 0 && healthy.output.hasPrefix(#"{"status":"ok""#))
        // And the testing client speaks TLS to it as to any live server.
        let result = try await mock.get("/users/session-challenge?code=K7PX-22QA", headers: Harness.project)
        #expect(result.text == #"{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}"#)
    }

    @Test func badOrMismatchedCredentialsAreRefusedWithTheReason() throws {
        let other = try TLSCertificates.issue(days: 1, hosts: [])
        #expect(throws: TLSError.self) {
            try TLSCertificates.validate(
                certificate: Self.certificates.issued.server.certificate,
                key: other.server.key
            )
        }
        do {
            try TLSCertificates.validate(
                certificate: Self.certificates.issued.server.certificate,
                key: other.server.key
            )
        } catch {
            #expect(error.description.contains("does not belong to the certificate"))
        }
        #expect(throws: TLSError.self) { try TLSCertificates.validate(certificate: "junk", key: "junk") }
        try TLSCertificates.validate(
            certificate: Self.certificates.issued.server.certificate,
            key: Self.certificates.issued.server.key
        )
    }
}

extension HTTPResult {
    /// A plain-HTTP GET to a port, the raw answer or nil when the server closed or said nothing.
    static func fetchPlain(port: Int) async throws -> String? {
        let received = OS.httpGet(host: "127.0.0.1", port: port, path: "/__admin/health", timeoutSeconds: 5)
        return received.flatMap { $0.isEmpty ? nil : String(decoding: $0, as: UTF8.self) }
    }
}

/// `/__scenario/NAME[@KEY]/…` (docs/testing.md#isolation-by-base-url-__scenarionamekey), in process
/// and live, every API and transport.
@Suite struct ScenarioPrefixTests {
    @Test(arguments: TestingSetup.allCases)
    func twoWorkersByBaseURLNeverSeeEachOther(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let workers = ["/__scenario/default@w1", "/__scenario/default@w2"]
        // WalletKit: a challenge created under one base URL exists only there.
        var codes: [String] = []
        for base in workers {
            let created = try await mock.send(
                "POST",
                base + "/users/create-session-challenge",
                headers: Harness.project
            )
            guard case .string(let code)? = try created.json()["code"] else {
                Issue.record("\(created.text)")
                return
            }
            codes.append(code)
        }
        for (index, base) in workers.enumerated() {
            #expect(
                try await mock.get(base + "/users/session-challenge?code=\(codes[index])", headers: Harness.project)
                    .status == 200
            )
            #expect(
                try await mock.get(base + "/users/session-challenge?code=\(codes[1 - index])", headers: Harness.project)
                    .status == 400
            )
        }
        #expect(
            try await mock.get(
                "/users/session-challenge?code=\(codes[0])",
                headers: Harness.project.merging(["X-Mock-Scenario": "default@w1"]) { $1 }
            ).status == 200,
            "exactly the effect of X-Mock-Scenario"
        )
        // ZITADEL over REST, Connect JSON and gRPC-Web: sessions created per worker.
        let login = ["Authorization": "Bearer login-pat"]
        let rest = try await mock.send("POST", workers[0] + "/v2/sessions", headers: login, body: "{}")
        #expect(rest.status == 201)
        guard case .string(let restId)? = try rest.json()["sessionId"] else { return }
        let connect = try await mock.send(
            "POST",
            workers[1] + "/zitadel.session.v2.SessionService/CreateSession",
            headers: login.merging(["Content-Type": "application/json"]) { $1 },
            body: "{}"
        )
        #expect(connect.status == 200)
        guard case .string(let connectId)? = try connect.json()["sessionId"] else { return }
        let admin = Harness.admin
        #expect(try await mock.get(workers[0] + "/v2/sessions/\(restId)", headers: admin).status == 200)
        #expect(try await mock.get(workers[1] + "/v2/sessions/\(restId)", headers: admin).status == 404)
        #expect(
            try await mock.get("/v2/sessions/\(restId)", headers: admin).status == 404,
            "not in the scenario itself"
        )
        let grpcWeb = try await mock.send(
            "POST",
            workers[1] + "/zitadel.session.v2.SessionService/GetSession",
            headers: admin.merging(["Content-Type": "application/grpc-web+proto"]) { $1 },
            bytes: GRPCFraming.frame(
                0,
                try {
                    var request = Zitadel_Session_V2_GetSessionRequest()
                    request.sessionID = connectId
                    return try request.serializedBytes()
                }()
            )
        )
        let frames = try #require(GRPCWebFrames.parse([UInt8](grpcWeb.body)))
        #expect(String(decoding: frames.trailer, as: UTF8.self).hasPrefix("grpc-status:0"), "the session, read in w2")
        #expect(frames.data.map { String(decoding: $0, as: UTF8.self).contains(connectId) } == true)
        // The journal has the path without the prefix and the worker's scenario.
        let journal = try await mock.get("/__admin/requests?scenario=default@w1&path=/v2/sessions")
        guard case .array(let entries)? = try journal.json()["requests"] else {
            Issue.record("\(journal.text)")
            return
        }
        #expect(
            entries.count == 1 && entries[0]["path"] == .string("/v2/sessions")
                && entries[0]["scenario"] == .string("default@w1")
        )
    }

    @Test(arguments: TestingSetup.allCases)
    func theHeaderWinsAndBadPrefixesAreRefusedInTheAPIsShape(setup: TestingSetup) async throws {
        let mock = try Harness(setup)
        defer { mock.stop() }
        let created = try await mock.send(
            "POST",
            "/__scenario/default@h/users/create-session-challenge",
            headers: Harness.project
        )
        guard case .string(let code)? = try created.json()["code"] else {
            Issue.record("\(created.text)")
            return
        }
        let headerWins = try await mock.get(
            "/__scenario/default@h/users/session-challenge?code=\(code)",
            headers: Harness.project.merging(["X-Mock-Scenario": "default@other"]) { $1 }
        )
        #expect(headerWins.status == 400, "X-Mock-Scenario names another copy, and it wins")
        let unknown = try await mock.get(
            "/__scenario/nope/users/session-challenge?code=K7PX-22QA",
            headers: Harness.project
        )
        #expect(unknown.status == 400)
        #expect(
            unknown.text == #"{"code":"unknown_scenario","error":"unknown scenario 'nope'; known scenarios: default"}"#
        )
        let unknownZitadel = try await mock.get("/__scenario/nope/v2/sessions/1", headers: Harness.admin)
        #expect(unknownZitadel.status == 400)
        #expect(unknownZitadel.text == #"{"code":3,"message":"unknown scenario 'nope'; known scenarios: default"}"#)
        let noKey = try await mock.get(
            "/__scenario/default@/users/session-challenge?code=K7PX-22QA",
            headers: Harness.project
        )
        #expect(noKey.status == 400)
        #expect(
            noKey.text
                == #"{"code":"unknown_scenario","error":"'default@' has no key after '@': use /__scenario/NAME/ or /__scenario/NAME@KEY/"}"#
        )
        for path in [
            "/__scenario/default/__admin/health", "/__scenario/default", "/__scenario//users/session-challenge",
            "/__scenario/",
            "/__scenario/default/__scenario/default/users/session-challenge",
        ] {
            let result = try await mock.get(path, headers: Harness.project)
            #expect(result.status == 404, "\(path)")
            #expect(
                result.text
                    == JSONValue.object([("error", .string("not found")), ("path", .string(path))]).serializedString,
                "\(path)"
            )
        }
        let unknownPath = try await mock.get("/__scenario/default/users/nope", headers: Harness.project)
        #expect(unknownPath.text == #"{"code":"not_found","error":"Not found"}"#, "the API's own 404 after the prefix")
        let live = try await mock.get(
            "/__scenario/default/users/session-challenge?code=K7PX-22QA",
            headers: Harness.project
        )
        #expect(live.text == #"{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}"#)
    }
}

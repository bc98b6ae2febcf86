import Platform
import Seeds
import Store
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials  // Data, as SwiftProtobuf's bytes fields want it
#else
import Foundation
#endif

/// The store's `ZitadelSession` as the generated `zitadel.session.v2` messages, field for field the
/// same session that `ZitadelJSON` writes: unset stays unset, timestamps keep every fraction digit.
enum ZitadelProtoConverter {
    static func getSessionResponse(_ session: ZitadelSession) -> Zitadel_Session_V2_GetSessionResponse {
        var response = Zitadel_Session_V2_GetSessionResponse()
        response.session = self.session(session)
        return response
    }

    static func session(_ session: ZitadelSession) -> Zitadel_Session_V2_Session {
        var out = Zitadel_Session_V2_Session()
        out.id = session.id
        if let value = timestamp(session.creationDate) { out.creationDate = value }
        if let value = timestamp(session.changeDate) { out.changeDate = value }
        out.sequence = session.sequence
        if !session.factors.isEmpty { out.factors = factors(session.factors) }
        out.metadata = session.metadata.mapValues { Data($0) }
        if let agent = session.userAgent, !agent.isEmpty {
            var userAgent = Zitadel_Session_V2_UserAgent()
            if let value = agent.fingerprintId { userAgent.fingerprintID = value }
            if let value = agent.ip { userAgent.ip = value }
            if let value = agent.description { userAgent.description_p = value }
            userAgent.header = agent.header.mapValues { values in
                var header = Zitadel_Session_V2_UserAgent.HeaderValues()
                header.values = values
                return header
            }
            out.userAgent = userAgent
        }
        if let value = timestamp(session.expirationDate) { out.expirationDate = value }
        return out
    }

    private static func factors(_ factors: ZitadelSession.Factors) -> Zitadel_Session_V2_Factors {
        var out = Zitadel_Session_V2_Factors()
        for factor in factors.present {
            let verifiedAt = timestamp(factors.verifiedAt(factor))
            // Each factor has a message type of its own, so this switch is the one per-factor list
            // here; it is exhaustive, so a new `Factor` does not compile until it is mapped.
            switch factor {
            case .user:
                guard let user = factors.user else { continue }
                out.user = .with {
                    if let verifiedAt { $0.verifiedAt = verifiedAt }
                    $0.id = user.id
                    $0.loginName = user.loginName
                    $0.displayName = user.displayName
                    $0.organizationID = user.organizationId
                }
            case .webAuthN:
                out.webAuthN = .with {
                    if let verifiedAt { $0.verifiedAt = verifiedAt }
                    $0.userVerified = factors.webAuthN?.userVerified ?? false
                }
            case .password: out.password = .with { if let verifiedAt { $0.verifiedAt = verifiedAt } }
            case .intent: out.intent = .with { if let verifiedAt { $0.verifiedAt = verifiedAt } }
            case .totp: out.totp = .with { if let verifiedAt { $0.verifiedAt = verifiedAt } }
            case .otpSms: out.otpSms = .with { if let verifiedAt { $0.verifiedAt = verifiedAt } }
            case .otpEmail: out.otpEmail = .with { if let verifiedAt { $0.verifiedAt = verifiedAt } }
            case .recoveryCode: out.recoveryCode = .with { if let verifiedAt { $0.verifiedAt = verifiedAt } }
            }
        }
        return out
    }

    /// The instant the timestamp's text stands for, to the nanosecond; nil when unset.
    static func timestamp(_ value: SeedTimestamp?) -> Google_Protobuf_Timestamp? {
        guard let value, let parsed = RFC3339.parse(value.storedText) else { return nil }
        return Google_Protobuf_Timestamp(seconds: parsed.seconds, nanos: parsed.nanos)
    }

    /// The detail of an error that has an ID, as binary protobuf: `zitadel.v1.ErrorDetail`, or
    /// `zitadel.v1.CredentialsCheckError` for a wrong password.
    static func errorDetail(_ error: ZitadelError) -> [UInt8]? {
        guard let id = error.id else { return nil }
        if let failedAttempts = error.failedAttempts {
            var detail = Zitadel_V1_CredentialsCheckError()
            detail.id = id
            detail.message = error.text
            detail.failedAttempts = Int32(clamping: failedAttempts)
            return try? detail.serializedBytes()
        }
        var detail = Zitadel_V1_ErrorDetail()
        detail.id = id
        detail.message = error.text
        return try? detail.serializedBytes()
    }

    /// The detail as `google.protobuf.Any`, as gRPC carries it in `google.rpc.Status.details`.
    /// A `google.rpc.Status` of the error with its detail, serialized: what gRPC-Web and gRPC send
    /// as `grpc-status-details-bin`; nil for an error without a ZITADEL detail.
    static func statusDetails(_ error: ZitadelError) -> [UInt8]? {
        guard let any = errorDetailAny(error) else { return nil }
        var status = Google_Rpc_Status()
        status.code = Int32(error.grpcCode)
        status.message = error.message
        status.details = [any]
        return try? status.serializedBytes()
    }

    static func errorDetailAny(_ error: ZitadelError) -> Google_Protobuf_Any? {
        guard let bytes = errorDetail(error) else { return nil }
        var any = Google_Protobuf_Any()
        any.typeURL = "type.googleapis.com/" + error.detailTypeName
        any.value = Data(bytes)
        return any
    }
}

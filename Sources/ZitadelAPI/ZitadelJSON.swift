import JSON
import MicroHTTP
import Platform
import Seeds
import Store

/// proto3 JSON of the Session Service messages, by hand and in field-number order, as ZITADEL's
/// gateway writes them: lowerCamelCase, unset/zero fields left out, uint64 as a string, bytes as
/// standard base64, map keys sorted.
public enum ZitadelJSON {
    public static func getSessionResponse(_ session: ZitadelSession) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.raw("{\"session\":")
        write(session, to: &w)
        w.raw(UInt8(ascii: "}"))
        // Stored for the session's lifetime: keep only what is used, not the writer's spare capacity.
        var exact: [UInt8] = []
        exact.reserveCapacity(w.bytes.count)
        exact.append(contentsOf: w.bytes)
        return exact
    }

    public static func write(_ session: ZitadelSession, to w: inout JSONWriter) {
        var fields = ObjectWriter(&w)
        fields.string("id", session.id, &w)
        fields.timestamp("creationDate", session.creationDate, &w)
        fields.timestamp("changeDate", session.changeDate, &w)
        if session.sequence != 0 {
            fields.key("sequence", &w)
            w.string(String(session.sequence))
        }
        if !session.factors.isEmpty {
            fields.key("factors", &w)
            writeFactors(session.factors, to: &w)
        }
        if !session.metadata.isEmpty {
            fields.key("metadata", &w)
            var meta = ObjectWriter(&w)
            for key in session.metadata.keys.sorted() {
                meta.key(key, &w)
                w.string(Base64Text.encode(session.metadata[key]!))
            }
            meta.finish(&w)
        }
        if let agent = session.userAgent, !agent.isEmpty {
            fields.key("userAgent", &w)
            var a = ObjectWriter(&w)
            // `optional string` fields: present (even empty) when set.
            if let v = agent.fingerprintId {
                a.key("fingerprintId", &w)
                w.string(v)
            }
            if let v = agent.ip {
                a.key("ip", &w)
                w.string(v)
            }
            if let v = agent.description {
                a.key("description", &w)
                w.string(v)
            }
            if !agent.header.isEmpty {
                a.key("header", &w)
                var h = ObjectWriter(&w)
                for name in agent.header.keys.sorted() {
                    h.key(name, &w)
                    var values = ObjectWriter(&w)
                    let list = agent.header[name]!
                    if !list.isEmpty {
                        values.key("values", &w)
                        w.raw(UInt8(ascii: "["))
                        for (index, value) in list.enumerated() {
                            if index > 0 { w.raw(UInt8(ascii: ",")) }
                            w.string(value)
                        }
                        w.raw(UInt8(ascii: "]"))
                    }
                    values.finish(&w)
                }
                h.finish(&w)
            }
            a.finish(&w)
        }
        fields.timestamp("expirationDate", session.expirationDate, &w)
        fields.finish(&w)
    }

    private static func writeFactors(_ factors: ZitadelSession.Factors, to w: inout JSONWriter) {
        var f = ObjectWriter(&w)
        for factor in factors.present {
            f.key(factor.rawValue, &w)
            var x = ObjectWriter(&w)
            x.timestamp("verifiedAt", factors.verifiedAt(factor), &w)
            switch factor {
            case .user:
                if let user = factors.user {
                    x.string("id", user.id, &w)
                    x.string("loginName", user.loginName, &w)
                    x.string("displayName", user.displayName, &w)
                    x.string("organizationId", user.organizationId, &w)
                }
            case .webAuthN:
                if factors.webAuthN?.userVerified == true {
                    x.key("userVerified", &w)
                    w.raw("true")
                }
            default:
                break
            }
            x.finish(&w)
        }
        f.finish(&w)
    }

    /// Writes one JSON object's members with the commas between them, straight into the caller's
    /// writer (a writer of its own would copy the whole buffer at every nested object).
    private struct ObjectWriter {
        private var first = true

        init(_ w: inout JSONWriter) {
            w.raw(UInt8(ascii: "{"))
        }

        mutating func key(_ name: String, _ w: inout JSONWriter) {
            if !first { w.raw(UInt8(ascii: ",")) }
            first = false
            w.key(name)
        }

        /// proto3 `string`: left out when empty.
        mutating func string(_ name: String, _ value: String, _ w: inout JSONWriter) {
            guard !value.isEmpty else { return }
            key(name, &w)
            w.string(value)
        }

        mutating func timestamp(_ name: String, _ value: SeedTimestamp?, _ w: inout JSONWriter) {
            guard let value else { return }
            key(name, &w)
            w.string(value.storedText)
        }

        func finish(_ w: inout JSONWriter) {
            w.raw(UInt8(ascii: "}"))
        }
    }
}

extension ZitadelSessionStore.Record {
    /// `{"session":{…}}`, ready to send; encoded on the first read of this record.
    public var responseBody: [UInt8] {
        body.get { ZitadelJSON.getSessionResponse(session) }
    }

    /// GetSession's REST 200 as the server sends it, headers included; made on the first read.
    var preparedResponse: PreparedResponse {
        let made = engineResponse.get {
            PreparedResponse(headers: ZitadelSessionAPI.successResponseHeaders, body: responseBody)
        }
        // Only this getter fills the slot.
        return unsafeDowncast(made, to: PreparedResponse.self)
    }

    /// The same response as binary protobuf; encoded on the first read of this record.
    var protoResponseBody: [UInt8] {
        protoBody.get { (try? ZitadelProtoConverter.getSessionResponse(session).serializedBytes()) ?? [] }
    }
}

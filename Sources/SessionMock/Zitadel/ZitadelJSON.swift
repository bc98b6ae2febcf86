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
        return w.bytes.withUnsafeBufferPointer { Array($0) }
    }

    public static func write(_ session: ZitadelSession, to w: inout JSONWriter) {
        var fields = FieldWriter(writer: w)
        fields.string("id", session.id)
        fields.timestamp("creationDate", session.creationDate)
        fields.timestamp("changeDate", session.changeDate)
        if session.sequence != 0 { fields.key("sequence"); fields.w.string(String(session.sequence)) }
        if !session.factors.isEmpty {
            fields.key("factors")
            writeFactors(session.factors, to: &fields.w)
        }
        if !session.metadata.isEmpty {
            fields.key("metadata")
            var meta = FieldWriter(writer: fields.w)
            for key in session.metadata.keys.sorted() {
                meta.key(key)
                meta.w.string(Base64.encode(session.metadata[key]!))
            }
            fields.w = meta.finish()
        }
        if let agent = session.userAgent, !agent.isEmpty {
            fields.key("userAgent")
            var a = FieldWriter(writer: fields.w)
            // `optional string` fields: present (even empty) when set.
            if let v = agent.fingerprintId { a.key("fingerprintId"); a.w.string(v) }
            if let v = agent.ip { a.key("ip"); a.w.string(v) }
            if let v = agent.description { a.key("description"); a.w.string(v) }
            if !agent.header.isEmpty {
                a.key("header")
                var h = FieldWriter(writer: a.w)
                for name in agent.header.keys.sorted() {
                    h.key(name)
                    var values = FieldWriter(writer: h.w)
                    let list = agent.header[name]!
                    if !list.isEmpty {
                        values.key("values")
                        values.w.write(.array(list.map { .string($0) }))
                    }
                    h.w = values.finish()
                }
                a.w = h.finish()
            }
            fields.w = a.finish()
        }
        fields.timestamp("expirationDate", session.expirationDate)
        w = fields.finish()
    }

    private static func writeFactors(_ factors: ZitadelSession.Factors, to w: inout JSONWriter) {
        var f = FieldWriter(writer: w)
        if let user = factors.user {
            f.key("user")
            var u = FieldWriter(writer: f.w)
            u.timestamp("verifiedAt", user.verifiedAt)
            u.string("id", user.id)
            u.string("loginName", user.loginName)
            u.string("displayName", user.displayName)
            u.string("organizationId", user.organizationId)
            f.w = u.finish()
        }
        f.verified("password", factors.password)
        if let webAuthN = factors.webAuthN {
            f.key("webAuthN")
            var x = FieldWriter(writer: f.w)
            x.timestamp("verifiedAt", webAuthN.verifiedAt)
            if webAuthN.userVerified { x.key("userVerified"); x.w.raw("true") }
            f.w = x.finish()
        }
        f.verified("intent", factors.intent)
        f.verified("totp", factors.totp)
        f.verified("otpSms", factors.otpSms)
        f.verified("otpEmail", factors.otpEmail)
        f.verified("recoveryCode", factors.recoveryCode)
        w = f.finish()
    }

    /// Writes one JSON object's members, with the commas between them.
    private struct FieldWriter {
        var w: JSONWriter
        private var first = true

        init(writer: JSONWriter) {
            w = writer
            w.raw(UInt8(ascii: "{"))
        }

        mutating func key(_ name: String) {
            if !first { w.raw(UInt8(ascii: ",")) }
            first = false
            w.key(name)
        }

        /// proto3 `string`: left out when empty.
        mutating func string(_ name: String, _ value: String) {
            guard !value.isEmpty else { return }
            key(name)
            w.string(value)
        }

        mutating func timestamp(_ name: String, _ value: SeedTimestamp?) {
            guard let value else { return }
            key(name)
            w.string(value.text(now: WallClock.nowMicros()))
        }

        mutating func verified(_ name: String, _ factor: ZitadelSession.VerifiedFactor?) {
            guard let factor else { return }
            key(name)
            var inner = FieldWriter(writer: w)
            inner.timestamp("verifiedAt", factor.verifiedAt)
            w = inner.finish()
        }

        consuming func finish() -> JSONWriter {
            w.raw(UInt8(ascii: "}"))
            return w
        }
    }
}

import JSON
import MicroHTTP

/// gRPC's message framing and status fields, as its HTTP/2 protocol defines them, shared by gRPC-Web,
/// native gRPC and the mock's own gRPC services (health, reflection).
package enum GRPCFraming {
    /// The largest request message read (after decompression): gRPC's default receive limit.
    package static let maxMessageBytes = 4 * 1024 * 1024

    /// One message frame: flag byte (0x00 data, 0x01 compressed, 0x80 gRPC-Web trailers), a
    /// 4-byte big-endian length, the bytes.
    package static func frame(_ flags: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [flags, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    /// The complete frames at the start of `bytes` (flags and message), and how many bytes they took.
    package static func frames(in bytes: [UInt8]) -> (frames: [(flags: UInt8, message: [UInt8])], consumed: Int) {
        var frames: [(UInt8, [UInt8])] = []
        var offset = 0
        while bytes.count - offset >= 5 {
            let length =
                Int(bytes[offset + 1]) << 24 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 8
                | Int(bytes[offset + 4])
            guard bytes.count - offset - 5 >= length else { break }
            frames.append((bytes[offset], Array(bytes[(offset + 5)..<(offset + 5 + length)])))
            offset += 5 + length
        }
        return (frames, offset)
    }

    /// gRPC's percent-encoding of `grpc-message`: bytes outside printable ASCII, and `%`, as `%XX`.
    package static func percentEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `grpc-timeout` (`1*8DIGIT unit`) in microseconds, rounded up; nil when malformed.
    package static func parseTimeout(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard (2...9).contains(bytes.count) else { return nil }
        let digits = bytes.dropLast()
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int64(String(decoding: digits, as: UTF8.self))
        else { return nil }
        switch bytes.last {
        case UInt8(ascii: "H"): return value * 3_600_000_000
        case UInt8(ascii: "M"): return value * 60_000_000
        case UInt8(ascii: "S"): return value * 1_000_000
        case UInt8(ascii: "m"): return value * 1000
        case UInt8(ascii: "u"): return value
        case UInt8(ascii: "n"): return (value + 999) / 1000
        default: return nil
        }
    }

    /// A request over HTTP/2 whose `Content-Type` is native gRPC's (`application/grpc[+proto]`).
    package static func isNativeGRPC(_ request: HTTPRequest) -> Bool {
        guard request.httpVersion == .http2, let contentType = request.header("Content-Type") else { return false }
        return isNativeGRPC(contentType: contentType)
    }

    package static func isNativeGRPC(contentType: String) -> Bool {
        // What gRPC clients send, compared as it is before anything is split or lowercased.
        if contentType == "application/grpc" || contentType == "application/grpc+proto" { return true }
        let base = contentType.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingSpaces.lowercased() }
        guard let base else { return false }
        return base == "application/grpc"
            || (base.hasPrefix("application/grpc+") && !base.hasPrefix("application/grpc-web"))
    }

    /// What every native gRPC answer's headers carry: its content type, and the request
    /// compressions the server reads.
    package static let headers = [
        HTTPField(name: "content-type", value: "application/grpc"),
        HTTPField(name: "grpc-accept-encoding", value: "identity,gzip"),
    ]

    /// A native gRPC answer with one message, then `grpc-status: 0`.
    package static func message(_ message: [UInt8], headers extra: [HTTPField] = []) -> HTTPResponse {
        var response = HTTPResponse(status: 200, headers: headers + extra, body: frame(0x00, message))
        response.trailers = [HTTPField(name: "grpc-status", value: "0")]
        return response
    }

    /// A trailers-only native gRPC answer: no message, the status in the one HEADERS frame.
    package static func status(code: Int, message: String, detailsBin: [UInt8]? = nil) -> HTTPResponse {
        var response = HTTPResponse(status: 200, headers: headers)
        response.trailers = statusFields(code: code, message: message, detailsBin: detailsBin)
        return response
    }

    /// `grpc-status`, `grpc-message` (percent-encoded) and, with details, `grpc-status-details-bin`
    /// (unpadded base64 of a `google.rpc.Status`).
    package static func statusFields(code: Int, message: String, detailsBin: [UInt8]?) -> [HTTPField] {
        var fields = [HTTPField(name: "grpc-status", value: String(code))]
        if !message.isEmpty { fields.append(HTTPField(name: "grpc-message", value: percentEncode(message))) }
        if let detailsBin {
            fields.append(HTTPField(name: "grpc-status-details-bin", value: Base64Text.encodeUnpadded(detailsBin)))
        }
        return fields
    }

    /// The `grpc-status` an answer carries in its trailers (native gRPC), if any.
    package static func statusCode(of response: HTTPResponse) -> Int? {
        response.trailers?.first { $0.name == "grpc-status" }.flatMap { Int($0.value) }
    }
}

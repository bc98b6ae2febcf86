import CZlib

/// gzip (RFC 1952) decompression of request bodies, by zlib: Connect and gRPC clients compress
/// requests with gzip (connectrpc for Python does by default). The output is capped, so a
/// hostile body (a "zip bomb") fails cleanly instead of filling memory.
public enum Gzip {
    public struct Failure: Error, Equatable, Sendable {
        public var reason: String
    }

    /// The one gzip member `input` holds, inflated; fails on anything but exactly one valid member.
    public static func decompress(_ input: [UInt8], maxBytes: Int) -> Result<[UInt8], Failure> {
        var stream = z_stream()
        // 16 + MAX_WBITS: accept the gzip wrapper only (not zlib's, not raw deflate).
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return .failure(Failure(reason: "zlib could not start"))
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        // zlib reads `next_in` and writes `next_out`; both point into arrays that outlive the call.
        let failure: Failure? = input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                let (code, produced) = chunk.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    return (code, target.count - Int(stream.avail_out))
                }
                if output.count + produced > maxBytes {
                    return Failure(reason: "the body inflates to more than \(maxBytes) bytes")
                }
                output += chunk[..<produced]
                switch code {
                case Z_STREAM_END:
                    return stream.avail_in == 0 ? nil : Failure(reason: "data after the end of the gzip stream")
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: the input ended before the stream did.
                    return Failure(reason: source.isEmpty ? "not gzip data" : "truncated gzip data")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                    // zlib's words for a gzip trailer whose CRC-32 does not match the data.
                    return Failure(reason: message == "incorrect data check" ? "CRC mismatch" : message)
                }
            }
        }
        if let failure { return .failure(failure) }
        return .success(output)
    }
}

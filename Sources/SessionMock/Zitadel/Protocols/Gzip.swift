/// gzip (RFC 1952) decompression of request bodies: Connect and gRPC clients compress requests
/// with gzip (connectrpc for Python does by default). A small DEFLATE (RFC 1951) decoder in the
/// manner of zlib's puff.c, so the mock needs no zlib; every read is bounds-checked and the output
/// is capped, so a hostile body fails cleanly.
enum Gzip {
    struct Failure: Error, Equatable {
        var reason: String
    }

    static func decompress(_ input: [UInt8], maxBytes: Int) -> Result<[UInt8], Failure> {
        guard input.count >= 18, input[0] == 0x1F, input[1] == 0x8B else { return .failure(Failure(reason: "not gzip data")) }
        guard input[2] == 8 else { return .failure(Failure(reason: "unknown compression method \(input[2])")) }
        let flags = input[3]
        guard flags & 0xE0 == 0 else { return .failure(Failure(reason: "reserved header flags set")) }
        var position = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard position + 2 <= input.count else { return .failure(Failure(reason: "truncated header")) }
            position += 2 + (Int(input[position]) | Int(input[position + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while position < input.count, input[position] != 0 { position += 1 }
            position += 1
        }
        if flags & 0x02 != 0 { position += 2 }  // FHCRC
        guard position + 8 <= input.count else { return .failure(Failure(reason: "truncated header")) }

        var inflater = Inflater(input: input, start: position, end: input.count - 8, maxBytes: maxBytes)
        let output: [UInt8]
        do {
            output = try inflater.run()
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(reason: "\(error)"))
        }
        let trailer = inflater.bytePosition
        guard trailer + 8 == input.count else { return .failure(Failure(reason: "data after the end of the gzip stream")) }
        let crc = UInt32(input[trailer]) | UInt32(input[trailer + 1]) << 8 | UInt32(input[trailer + 2]) << 16 | UInt32(input[trailer + 3]) << 24
        let size = UInt32(input[trailer + 4]) | UInt32(input[trailer + 5]) << 8 | UInt32(input[trailer + 6]) << 16 | UInt32(input[trailer + 7]) << 24
        guard crc == crc32(output) else { return .failure(Failure(reason: "CRC mismatch")) }
        guard size == UInt32(truncatingIfNeeded: output.count) else { return .failure(Failure(reason: "length mismatch")) }
        return .success(output)
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// A canonical Huffman code: how many codes of each length, and the symbols in code order.
    private struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        init(lengths: ArraySlice<Int>) throws {
            symbols = [Int](repeating: 0, count: lengths.count)
            for length in lengths { counts[length] += 1 }
            var left = 1
            for length in 1..<16 {
                left <<= 1
                left -= counts[length]
                if left < 0 { throw Failure(reason: "over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }
    }

    private struct Inflater {
        let input: [UInt8]
        var bytePosition: Int
        let end: Int
        let maxBytes: Int
        var bitBuffer = 0
        var bitCount = 0
        var output: [UInt8] = []

        init(input: [UInt8], start: Int, end: Int, maxBytes: Int) {
            self.input = input
            bytePosition = start
            self.end = end
            self.maxBytes = maxBytes
        }

        static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
        static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

        mutating func bits(_ count: Int) throws -> Int {
            while bitCount < count {
                guard bytePosition < end else { throw Failure(reason: "truncated deflate data") }
                bitBuffer |= Int(input[bytePosition]) << bitCount
                bytePosition += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << count) - 1)
            bitBuffer >>= count
            bitCount -= count
            return value
        }

        mutating func run() throws -> [UInt8] {
            var last = false
            while !last {
                last = try bits(1) == 1
                switch try bits(2) {
                case 0: try stored()
                case 1: try codes(Self.fixedLengths, Self.fixedDistances)
                case 2: try dynamic()
                default: throw Failure(reason: "invalid deflate block type")
                }
            }
            return output
        }

        private mutating func append(_ byte: UInt8) throws {
            guard output.count < maxBytes else { throw Failure(reason: "decompressed body larger than \(maxBytes) bytes") }
            output.append(byte)
        }

        private mutating func stored() throws {
            bitBuffer = 0
            bitCount = 0
            guard bytePosition + 4 <= end else { throw Failure(reason: "truncated stored block") }
            let length = Int(input[bytePosition]) | Int(input[bytePosition + 1]) << 8
            let complement = Int(input[bytePosition + 2]) | Int(input[bytePosition + 3]) << 8
            guard length == ~complement & 0xFFFF else { throw Failure(reason: "stored block length does not match its complement") }
            bytePosition += 4
            guard bytePosition + length <= end else { throw Failure(reason: "truncated stored block") }
            for i in bytePosition..<bytePosition + length { try append(input[i]) }
            bytePosition += length
        }

        private mutating func decode(_ code: Huffman) throws -> Int {
            var value = 0, first = 0, index = 0
            for length in 1..<16 {
                value |= try bits(1)
                let count = code.counts[length]
                if value - count < first { return code.symbols[index + (value - first)] }
                index += count
                first += count
                first <<= 1
                value <<= 1
            }
            throw Failure(reason: "invalid Huffman code")
        }

        private mutating func codes(_ lengths: Huffman, _ distances: Huffman) throws {
            while true {
                let symbol = try decode(lengths)
                if symbol < 256 {
                    try append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let lengthIndex = symbol - 257
                    guard lengthIndex < Self.lengthBase.count else { throw Failure(reason: "invalid length symbol") }
                    let length = Self.lengthBase[lengthIndex] + (try bits(Self.lengthExtra[lengthIndex]))
                    let distanceIndex = try decode(distances)
                    guard distanceIndex < Self.distanceBase.count else { throw Failure(reason: "invalid distance symbol") }
                    let distance = Self.distanceBase[distanceIndex] + (try bits(Self.distanceExtra[distanceIndex]))
                    guard distance <= output.count else { throw Failure(reason: "distance too far back") }
                    for _ in 0..<length { try append(output[output.count - distance]) }
                }
            }
        }

        private mutating func dynamic() throws {
            let lengthCount = try bits(5) + 257
            let distanceCount = try bits(5) + 1
            let codeLengthCount = try bits(4) + 4
            guard lengthCount <= 286, distanceCount <= 30 else { throw Failure(reason: "bad dynamic block counts") }
            var codeLengths = [Int](repeating: 0, count: 19)
            for i in 0..<codeLengthCount { codeLengths[Self.codeLengthOrder[i]] = try bits(3) }
            let codeLengthCode = try Huffman(lengths: codeLengths[...])
            var lengths: [Int] = []
            lengths.reserveCapacity(lengthCount + distanceCount)
            while lengths.count < lengthCount + distanceCount {
                let symbol = try decode(codeLengthCode)
                var repeatValue = 0, repeatCount = 0
                switch symbol {
                case 0..<16:
                    lengths.append(symbol)
                    continue
                case 16:
                    guard let previous = lengths.last else { throw Failure(reason: "repeat with no previous length") }
                    repeatValue = previous
                    repeatCount = 3 + (try bits(2))
                case 17: repeatCount = 3 + (try bits(3))
                default: repeatCount = 11 + (try bits(7))
                }
                guard lengths.count + repeatCount <= lengthCount + distanceCount else { throw Failure(reason: "too many code lengths") }
                lengths += repeatElement(repeatValue, count: repeatCount)
            }
            guard lengths[256] != 0 else { throw Failure(reason: "no end-of-block code") }
            let lengthCode = try Huffman(lengths: lengths[0..<lengthCount])
            let distanceCode = try Huffman(lengths: lengths[lengthCount...])
            try codes(lengthCode, distanceCode)
        }

        static let fixedLengths: Huffman = {
            var lengths = [Int](repeating: 8, count: 288)
            for i in 144..<256 { lengths[i] = 9 }
            for i in 256..<280 { lengths[i] = 7 }
            return try! Huffman(lengths: lengths[...])
        }()

        static let fixedDistances: Huffman = try! Huffman(lengths: [Int](repeating: 5, count: 30)[...])
    }
}

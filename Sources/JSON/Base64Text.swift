import ExtrasBase64

/// Base64 as proto3 JSON and gRPC metadata use it, over swift-extras-base64: standard alphabet
/// with padding on output; on input either alphabet, padded or not, as Go's protojson reads it
/// (URL-safe when the text holds `-` or `_`, padding optional when the length says so).
public enum Base64Text {
    public static func encode(_ bytes: [UInt8]) -> String {
        Base64.encodeToString(bytes: bytes)
    }

    /// Standard base64 without `=` padding, as Connect and gRPC binary headers send it.
    public static func encodeUnpadded(_ bytes: [UInt8]) -> String {
        Base64.encodeToString(bytes: bytes, options: .omitPaddingCharacter)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var options: Base64.DecodingOptions = []
        if text.utf8.contains(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) {
            options.insert(.base64UrlAlphabet)
        }
        // Padding is optional, but when present it must complete the last group.
        if text.utf8.count % 4 != 0, text.utf8.last != UInt8(ascii: "=") { options.insert(.omitPaddingCharacter) }
        return try? Base64.decode(string: text, options: options)
    }
}

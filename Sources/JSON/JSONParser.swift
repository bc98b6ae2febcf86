/// Why a document is not JSON, with the line and column where reading stopped.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var reason: String
    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes. Written here rather than using JSONSerialization so
/// that booleans and numbers stay distinct, key order and number text are kept, duplicate keys are
/// refused (a silent overwrite would drop data), and errors carry a position. The checking is
/// `JSONTape`'s; this builds the tree from it.
public enum JSONParser {
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        let tape = try JSONTape.parse(bytes)
        return tape.value(tape.root)
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

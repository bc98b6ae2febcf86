import Testing

@testable import JSON

/// A large document's arrays are parsed in runs on several cores (`ItemRuns`): the tape, and any
/// error, must be exactly the single pass's.
@Suite struct JSONTapeRunsTests {
    /// Each node's fields, comparable.
    static func nodes(_ tape: JSONTape) -> [[UInt32]] {
        tape.nodes.map {
            [
                UInt32($0.kind.rawValue), $0.escaped ? 1 : 0, $0.keyEscaped ? 1 : 0, $0.start, $0.end, $0.next,
                $0.keyStart, $0.keyEnd,
            ]
        }
    }

    static func parse(_ text: String, parts: Int) -> Result<[[UInt32]], JSONSyntaxError> {
        do {
            return .success(nodes(try JSONTape.parse(Array(text.utf8), parts: parts)))
        } catch {
            return .failure(error)
        }
    }

    static func expectSameInParts(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let single = parse(text, parts: 1)
        for parts in [2, 3, 7] {
            let split = parse(text, parts: parts)
            switch (single, split) {
            case (.success(let one), .success(let other)):
                #expect(one == other, "\(parts) parts", sourceLocation: sourceLocation)
            case (.failure(let one), .failure(let other)):
                #expect(
                    [one.line, one.column] == [other.line, other.column] && one.reason == other.reason,
                    "\(parts) parts: \(one) / \(other)",
                    sourceLocation: sourceLocation
                )
            default:
                Issue.record("\(parts) parts: \(single) / \(split)", sourceLocation: sourceLocation)
            }
        }
    }

    static func entries(_ count: Int, _ entry: (Int) -> String) -> String {
        (0..<count).map(entry).joined(separator: ",")
    }

    @Test func largeArraysGiveTheSingleTape() {
        let sessions = Self.entries(3000) { #"{"id":"s\#($0)","n":\#($0),"a":[{"x":1},{"y":"},{"}],"e":"\u00e9\n"}"# }
        let challenges = Self.entries(2000) { #"{"code":"C\#($0)","ok":true,"none":null}"# }
        Self.expectSameInParts(#"{"a":{"list":[\#(challenges)]},"b":[\#(sessions)],"c":[]}"#)
        Self.expectSameInParts(#" [ \#(sessions) ] "#)
        // A guessed boundary inside a string: the text `},{` there is no item boundary.
        let tricky = Self.entries(3000) { #"{"t":"},{\"x\":1},{","n":\#($0)}"# }
        Self.expectSameInParts("[\(tricky)]")
    }

    /// A node keeps a key's length in 16 bits; a longer key's end is found in the text.
    @Test func keysLongerThanANodeTellsAreReadWhole() throws {
        let long = String(repeating: "k", count: 70_000)
        let escaped = String(repeating: #"a\"\\"#, count: 20_000)
        let text = #"{"\#(long)":1,"\#(escaped)":"v","s":"x"}"#
        let tape = try JSONTape.parse(Array(text.utf8))
        let members = Array(tape.members(tape.root))
        #expect(members.count == 3)
        #expect(tape.key(members[0]) == long)
        #expect(tape.key(members[1]) == String(repeating: #"a"\"#, count: 20_000))
        #expect(tape.key(members[2]) == "s")
        #expect(tape.keyEquals(members[0], Array(long.utf8)))
        #expect(!tape.keyEquals(members[0], Array(long.dropLast().utf8)))
        tape.withView { view in
            #expect(view.rawKey(members[0]).map { Array($0) } == Array(long.utf8))
            #expect(view.rawKey(members[1]) == nil)
            #expect(view.next(members[0]) == members[1])
        }
        #expect(throws: JSONSyntaxError.self) { try JSONTape.parse(Array(#"{"\#(long)":1,"\#(long)":2}"#.utf8)) }
    }

    @Test func errorsInAnyPartAreTheSinglePasss() {
        var broken = (0..<4000).map { #"{"id":"s\#($0)","v":[1,2,3]}"# }
        for (index, damage) in [(3999, #"{"id":"x","v":[1,2,]}"#), (2500, #"{"id":"x","id":1}"#), (10, #"{"id":tru}"#)]
        {
            let saved = broken[index]
            broken[index] = damage
            Self.expectSameInParts("[\(broken.joined(separator: ","))]")
            broken[index] = saved
        }
        Self.expectSameInParts("[\(broken.joined(separator: ","))")
        Self.expectSameInParts("[\(broken.joined(separator: ","))]]")
    }

    @Test func nestingLimitCountsFromTheDocumentsRoot() {
        let deep = String(repeating: "[", count: 253) + "1" + String(repeating: "]", count: 253)
        let items = (0..<2000).map { $0 == 1500 ? #"{"d":\#(deep)}"# : #"{"d":[[1]]}"# }.joined(separator: ",")
        // 4 levels above the items: fine for a run on its own, too deep in the document.
        Self.expectSameInParts(#"{"a":{"b":{"c":[\#(items)]}}}"#)
        Self.expectSameInParts(#"[\#(items)]"#)
    }
}

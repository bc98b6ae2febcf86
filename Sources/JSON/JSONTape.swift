import Dispatch
import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A JSON document checked and indexed in one pass, without building a tree: each value is one
/// fixed-size node (kind, byte range, parent, the node after its subtree), and strings stay in the
/// input until someone asks for them. Seeds of 100,000 records are read this way (a tree of
/// `JSONValue`s cost several allocations per value); `JSONParser` builds its tree from it too, so
/// there is one strict syntax check with one set of error messages.
public struct JSONTape: Sendable {
    public enum Kind: UInt8, Sendable {
        case null, `true`, `false`, number, string, array, object

        /// A short name of the JSON type, for error messages.
        public var typeName: String {
            switch self {
            case .null: return "null"
            case .true, .false: return "boolean"
            case .number: return "number"
            case .string: return "string"
            case .array: return "array"
            case .object: return "object"
            }
        }
    }

    /// 16 bytes: a large seed has millions of nodes, and each byte more is megabytes of fresh pages.
    @usableFromInline package struct Node: Sendable {
        /// Strings: first byte after the quote; others: first byte of the value.
        @usableFromInline var start: UInt32
        /// Strings: the closing quote; numbers: one past the value; arrays and objects: the index
        /// of the first node after the subtree. (A scalar's subtree is itself, so its next node is
        /// the one after it and needs no field; a container's end is never read.)
        @usableFromInline var link: UInt32 = 0
        /// Object members: where the key's text starts (inside the quotes).
        @usableFromInline var keyStart: UInt32
        /// The key's length in bytes, or `longKey` when it does not fit (its end is found again).
        @usableFromInline var keyLength: UInt16
        @usableFromInline var kind: Kind
        @usableFromInline var flags: UInt8 = 0

        @usableFromInline static let longKey = UInt16.max
        /// A string value holds escapes, so its text must be decoded rather than copied.
        @usableFromInline static let escapedFlag: UInt8 = 1
        /// The member key holds escapes.
        @usableFromInline static let keyEscapedFlag: UInt8 = 2

        init(kind: Kind, keyEscaped: Bool, start: UInt32, keyStart: UInt32, keyEnd: UInt32) {
            self.kind = kind
            self.start = start
            self.keyStart = keyStart
            self.keyLength = keyEnd - keyStart < UInt32(Self.longKey) ? UInt16(keyEnd - keyStart) : Self.longKey
            if keyEscaped { flags = Self.keyEscapedFlag }
        }

        @inlinable var escaped: Bool { flags & Self.escapedFlag != 0 }
        @inlinable var keyEscaped: Bool { flags & Self.keyEscapedFlag != 0 }
        /// Strings and numbers: one past the text (0 for others).
        @inlinable var end: UInt32 { isContainer ? 0 : link }
        /// Arrays and objects: the first node after the subtree (0 for a scalar, whose next node is
        /// the one after it).
        @inlinable var next: UInt32 { isContainer ? link : 0 }
        /// One past the key's text, or `UInt32.max` when the key is too long to tell without the text.
        @inlinable var keyEnd: UInt32 { keyLength == Self.longKey ? UInt32.max : keyStart + UInt32(keyLength) }
        @inlinable var isContainer: Bool { kind.rawValue >= Kind.array.rawValue }

        /// The first node after the subtree of this node, which is node `me`.
        @inlinable func next(_ me: Int) -> Int { isContainer ? Int(link) : me + 1 }

        /// One past the key's text in `bytes`.
        @inlinable func keyEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
            guard keyLength == Self.longKey else { return Int(keyStart) + Int(keyLength) }
            // The key was checked while parsing: its end is the first quote not escaped.
            var index = Int(keyStart)
            while bytes[index] != UInt8(ascii: "\"") { index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1 }
            return index
        }
    }

    public let bytes: Bytes
    package var nodes: [Node]

    /// The root value.
    public var root: Int { 0 }

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONTape {
        try parse(Bytes(bytes))
    }

    public static func parse(_ bytes: Bytes) throws(JSONSyntaxError) -> JSONTape {
        try parse(bytes, parts: min(OS.coreCount, bytes.count / ItemRuns.minimumPart))
    }

    static func parse(_ bytes: [UInt8], parts: Int) throws(JSONSyntaxError) -> JSONTape {
        try parse(Bytes(bytes), parts: parts)
    }

    /// `parts` above 1: big arrays are parsed in about that many parts at once (`ItemRuns`).
    static func parse(_ bytes: Bytes, parts: Int) throws(JSONSyntaxError) -> JSONTape {
        guard bytes.count < Int(UInt32.max) else {
            throw JSONSyntaxError(line: 1, column: 1, reason: "document larger than 4 GiB")
        }
        // The builder reads through a pointer: no bounds check or retain per byte.
        let nodes = try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> [Node] in
            // The runs read the buffer: all of them end before it goes away.
            let runs = ItemRuns(buffer: buffer, parts: parts)
            defer { runs.finish() }
            var builder = TapeBuilder(buffer: buffer, runs: runs)
            try builder.document()
            return builder.nodes
        }
        return JSONTape(bytes: bytes, nodes: nodes)
    }

    /// Calls `body` with a view of the tape that reads it through pointers: a loop over many nodes
    /// (a large seed's entries) then retains nothing and checks no bounds per access. The view is
    /// valid only inside `body`.
    public func withView<Result, Failure: Error>(
        _ body: (View) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let result: Swift.Result<Result, Failure> = bytes.withUnsafeBufferPointer { bytes in
            nodes.withUnsafeBufferPointer { nodes in
                do throws(Failure) {
                    return .success(try body(View(bytes: bytes, nodes: nodes)))
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// The tape borrowed: its nodes and bytes in place. Strings with escapes are not decoded here
    /// (`rawText` is nil for them); `JSONTape` reads those.
    public struct View: @unchecked Sendable {
        @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
        @usableFromInline let nodes: UnsafeBufferPointer<Node>

        @usableFromInline init(bytes: UnsafeBufferPointer<UInt8>, nodes: UnsafeBufferPointer<Node>) {
            self.bytes = bytes
            self.nodes = nodes
        }

        @inlinable public func kind(_ node: Int) -> Kind { nodes[node].kind }

        /// The first node after `node`'s subtree: its next sibling, or one past its parent's last child.
        @inlinable public func next(_ node: Int) -> Int { nodes[node].next(node) }

        /// The text of a string without escapes, as UTF-8 (checked); nil for escaped strings and
        /// other kinds.
        @inlinable public func rawText(_ node: Int) -> UnsafeBufferPointer<UInt8>? {
            let n = nodes[node]
            guard n.kind == .string, !n.escaped else { return nil }
            return UnsafeBufferPointer(rebasing: bytes[Int(n.start)..<Int(n.link)])
        }

        /// The digits of a number as written; nil for other kinds.
        @inlinable public func numberText(_ node: Int) -> UnsafeBufferPointer<UInt8>? {
            let n = nodes[node]
            guard n.kind == .number else { return nil }
            return UnsafeBufferPointer(rebasing: bytes[Int(n.start)..<Int(n.link)])
        }

        /// A member's key as UTF-8, or nil when it holds escapes.
        @inlinable public func rawKey(_ node: Int) -> UnsafeBufferPointer<UInt8>? {
            let n = nodes[node]
            guard !n.keyEscaped else { return nil }
            return UnsafeBufferPointer(rebasing: bytes[Int(n.keyStart)..<n.keyEnd(bytes)])
        }
    }

    // MARK: - Reading nodes

    public func kind(_ node: Int) -> Kind { nodes[node].kind }

    /// One step of the way from the root to a value.
    public enum Step: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The keys and indexes that lead from the root to `node`. Nodes do not store their parent
    /// (it would grow every node for the sake of error messages): this walks down from the root,
    /// skipping whole subtrees.
    public func steps(to node: Int) -> [Step] {
        var steps: [Step] = []
        var current = root
        while current != node {
            let isObject = nodes[current].kind == .object
            var child = current + 1
            var position = 0
            while nodes[child].next(child) <= node {
                child = nodes[child].next(child)
                position += 1
            }
            steps.append(isObject ? .key(key(child)) : .index(position))
            current = child
        }
        return steps
    }

    /// The members of an object, in document order.
    public func members(_ node: Int) -> MemberSequence {
        MemberSequence(tape: self, first: node + 1, end: nodes[node].next(node), isEmpty: nodes[node].kind != .object)
    }

    /// The items of an array, in order.
    public func items(_ node: Int) -> MemberSequence {
        MemberSequence(tape: self, first: node + 1, end: nodes[node].next(node), isEmpty: nodes[node].kind != .array)
    }

    public struct MemberSequence: Sequence, IteratorProtocol {
        let tape: JSONTape
        var current: Int
        let end: Int

        init(tape: JSONTape, first: Int, end: Int, isEmpty: Bool) {
            self.tape = tape
            current = isEmpty ? end : first
            self.end = end
        }

        public mutating func next() -> Int? {
            guard current < end else { return nil }
            defer { current = tape.nodes[current].next(current) }
            return current
        }
    }

    /// The key of an object member.
    public func key(_ node: Int) -> String {
        let n = nodes[node]
        return text(from: Int(n.keyStart), to: keyEnd(n), escaped: n.keyEscaped)
    }

    /// Whether a member's key is exactly the `count` bytes at `offset` in `pool` (compared on the
    /// raw bytes unless the key has escapes). A key table keeps all its spellings in one pool, so
    /// matching a key retains and slices nothing.
    public func keyEquals(_ node: Int, pool: [UInt8], offset: Int, count: Int) -> Bool {
        let n = nodes[node]
        if n.keyEscaped { return key(node).utf8.elementsEqual(pool[offset..<offset + count]) }
        let start = Int(n.keyStart)
        guard keyEnd(n) - start == count else { return false }
        return bytes.withUnsafeBufferPointer { key in
            pool.withUnsafeBufferPointer { spelling in
                for index in 0..<count where key[start + index] != spelling[offset + index] { return false }
                return true
            }
        }
    }

    /// Whether a member's key is exactly `utf8`.
    public func keyEquals(_ node: Int, _ utf8: [UInt8]) -> Bool {
        keyEquals(node, pool: utf8, offset: 0, count: utf8.count)
    }

    private func keyEnd(_ n: Node) -> Int {
        bytes.withUnsafeBufferPointer { n.keyEnd($0) }
    }

    /// The text of a string value (nil for other kinds).
    public func string(_ node: Int) -> String? {
        let n = nodes[node]
        guard n.kind == .string else { return nil }
        return text(from: Int(n.start), to: Int(n.end), escaped: n.escaped)
    }

    /// The digits of a number value as written (nil for other kinds).
    public func numberText(_ node: Int) -> String? {
        let n = nodes[node]
        guard n.kind == .number else { return nil }
        return bytes.withUnsafeBufferPointer { bytes in
            String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(n.start)..<Int(n.link)]), as: UTF8.self)
        }
    }

    /// The subtree as a `JSONValue` (for the few places that keep JSON as such, e.g. a fault's body).
    public func value(_ node: Int) -> JSONValue {
        switch nodes[node].kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return .number(numberText(node)!)
        case .string: return .string(string(node)!)
        case .array: return .array(items(node).map { value($0) })
        case .object: return .object(members(node).map { (key($0), value($0)) })
        }
    }

    private func text(from start: Int, to end: Int, escaped: Bool) -> String {
        // Checked as UTF-8 while parsing, so decoding cannot repair anything here.
        bytes.withUnsafeBufferPointer { bytes in
            let slice = bytes[start..<end]
            return escaped
                ? JSONTape.unescape(slice) : String(decoding: UnsafeBufferPointer(rebasing: slice), as: UTF8.self)
        }
    }

    /// Decodes the escapes of a string already checked by the parser.
    package static func unescape(_ raw: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        func hex4(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for k in at..<at + 4 {
                let b = raw[k]
                value = value << 4 | UInt32(b <= 57 ? b - 48 : (b | 0x20) - 87)
            }
            return value
        }
        while i < raw.endIndex {
            let byte = raw[i]
            guard byte == 92 else {
                out.append(byte)
                i += 1
                continue
            }
            let escape = raw[i + 1]
            i += 2
            switch escape {
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(i + 2) - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default: out.append(escape)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONTape {
    /// The text a tape indexes: an array, or memory that stays valid and unchanged while its owner
    /// lives (a large seed file mapped, so that its pages are the page cache's: nothing is copied).
    public struct Bytes: @unchecked Sendable {
        private enum Storage {
            case array([UInt8])
            case memory(UnsafeBufferPointer<UInt8>, owner: AnyObject)
        }
        // Unchecked: the memory is only read, and `owner` keeps it while any copy of this lives.
        private let storage: Storage

        public init(_ bytes: [UInt8]) { storage = .array(bytes) }

        package init(memory: UnsafeBufferPointer<UInt8>, owner: AnyObject) {
            storage = .memory(memory, owner: owner)
        }

        public var count: Int {
            switch storage {
            case .array(let bytes): return bytes.count
            case .memory(let memory, _): return memory.count
            }
        }

        public func withUnsafeBufferPointer<Result, Failure: Error>(
            _ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Result
        ) throws(Failure) -> Result {
            switch storage {
            case .array(let bytes): return try bytes.withUnsafeBufferPointer(body)
            case .memory(let memory, let owner):
                defer { withExtendedLifetime(owner) {} }
                return try body(memory)
            }
        }
    }

    /// A large tape is tens of megabytes written once, front to back: with
    /// transparent huge pages that is one page fault per 2 MiB rather than per 4 KiB (a good part
    /// of a large seed's load time was the kernel faulting in fresh pages).
    package static func adviseHugePages(_ memory: UnsafeMutableRawBufferPointer) {
        #if canImport(Glibc)
        let hugePage = 2 << 20
        guard let base = memory.baseAddress, memory.count >= 2 * hugePage else { return }
        let first = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
        let last = (Int(bitPattern: base) + memory.count) & ~(hugePage - 1)
        guard last > first else { return }
        // Only advice: where the kernel has no huge pages to give, pages stay small.
        _ = madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, MADV_HUGEPAGE)
        #endif
    }
}

/// The single pass behind `JSONTape.parse`: a strict RFC 8259 reader (duplicate keys refused,
/// strings checked as UTF-8, nesting limited) that appends one node per value.
private struct TapeBuilder {
    package let buffer: UnsafeBufferPointer<UInt8>
    package var index = 0
    package var depth = 0
    package var nodes: [JSONTape.Node] = []
    /// The keys of the members read so far of the objects being read, innermost last (for the
    /// duplicate-key check).
    package var memberKeys: [MemberKey] = []

    package struct MemberKey {
        var start: UInt32
        var end: UInt32
        var escaped: Bool
    }
    package static let maxDepth = 256
    /// The deepest `depth` reached.
    package var deepest = 0
    /// Array items of a large document parsed ahead on other cores; nil in those runs themselves.
    private let runs: ItemRuns?
    /// Where the next of `runs` starts (`Int.max`: none left).
    private var nextRunStart = Int.max

    init(buffer: UnsafeBufferPointer<UInt8>, runs: ItemRuns?, reserving byteCount: Int? = nil) {
        self.buffer = buffer
        self.runs = runs
        nextRunStart = runs?.start(atOrAfter: 0) ?? Int.max
        // Generous (one node per 12 bytes; typical seed JSON has one per 25): pages of the
        // reserve that are never written cost nothing, while growing would copy every node.
        nodes = [JSONTape.Node](unsafeUninitializedCapacity: (byteCount ?? buffer.count) / 12 + 4) { nodes, count in
            count = 0
            JSONTape.adviseHugePages(UnsafeMutableRawBufferPointer(nodes))
        }
    }

    package mutating func document() throws(JSONSyntaxError) {
        skipWhitespace()
        if index + 2 < buffer.count, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
            index = 3  // a UTF-8 byte order mark, as some editors write
        }
        try value(keyStart: 0, keyEnd: 0, keyEscaped: false)
        skipWhitespace()
        guard index == buffer.count else { throw error("unexpected text after the JSON value") }
    }

    package func error(_ reason: String) -> JSONSyntaxError {
        var line = 1
        var column = 1
        for byte in buffer[..<min(index, buffer.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONSyntaxError(line: line, column: column, reason: reason)
    }

    @inline(__always)
    package mutating func skipWhitespace() {
        while index < buffer.count {
            let byte = buffer[index]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    package mutating func value(keyStart: UInt32, keyEnd: UInt32, keyEscaped: Bool) throws(JSONSyntaxError) {
        skipWhitespace()
        guard index < buffer.count else { throw error("unexpected end of input") }
        let me = nodes.count
        var node = JSONTape.Node(
            kind: .null,
            keyEscaped: keyEscaped,
            start: UInt32(index),
            keyStart: keyStart,
            keyEnd: keyEnd
        )
        switch buffer[index] {
        case UInt8(ascii: "{"):
            node.kind = .object
            nodes.append(node)
            try object(me)
            closeContainer(me)
            return
        case UInt8(ascii: "["):
            node.kind = .array
            nodes.append(node)
            try array(me)
            closeContainer(me)
            return
        case UInt8(ascii: "\""):
            node.kind = .string
            let (start, end, escaped) = try string()
            node.start = start
            if escaped { node.flags |= JSONTape.Node.escapedFlag }
            node.link = end
        case UInt8(ascii: "t"):
            try literal("true")
            node.kind = .true
        case UInt8(ascii: "f"):
            try literal("false")
            node.kind = .false
        case UInt8(ascii: "n"):
            try literal("null")
            node.kind = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
            node.kind = .number
        default: throw error("unexpected character '\(Unicode.Scalar(buffer[index]))'")
        }
        // A scalar is complete before it is stored.
        if node.kind != .string { node.link = UInt32(index) }
        nodes.append(node)
    }

    /// Links a container whose contents were just read to the node after them.
    private mutating func closeContainer(_ me: Int) {
        let next = UInt32(nodes.count)
        nodes.withUnsafeMutableBufferPointer { nodes in nodes[me].link = next }
    }

    package mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        for offset in 0..<word.utf8CodeUnitCount {
            guard index < buffer.count, buffer[index] == word.utf8Start[offset] else {
                throw error("invalid literal, expected '\(word)'")
            }
            index += 1
        }
    }

    package mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nested deeper than \(Self.maxDepth) levels") }
        deepest = max(deepest, depth)
    }

    package mutating func object(_ me: Int) throws(JSONSyntaxError) {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        let firstMember = memberKeys.count
        defer { while memberKeys.count > firstMember { memberKeys.removeLast() } }
        var seen: Set<String>?
        while true {
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: "\"") else {
                throw error("expected a string key")
            }
            let keyQuote = index
            let (keyStart, keyEnd, keyEscaped) = try string()
            // Small objects: compare with the keys before; large ones keep a set.
            let count = memberKeys.count - firstMember
            var duplicate = false
            if count < 16 {
                duplicate = memberKeys.withUnsafeBufferPointer { keys in
                    keys[firstMember...].contains { sameKey($0, keyStart, keyEnd, keyEscaped) }
                }
            } else {
                if seen == nil {
                    seen = Set(memberKeys[firstMember...].map { keyText($0.start, $0.end, $0.escaped) })
                }
                duplicate = seen!.insert(keyText(keyStart, keyEnd, keyEscaped)).inserted == false
            }
            guard !duplicate else {
                index = keyQuote
                throw error("duplicate key '\(keyText(keyStart, keyEnd, keyEscaped))'")
            }
            skipWhitespace()
            guard index < buffer.count, buffer[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after key")
            }
            index += 1
            memberKeys.append(MemberKey(start: keyStart, end: keyEnd, escaped: keyEscaped))
            try value(keyStart: keyStart, keyEnd: keyEnd, keyEscaped: keyEscaped)
            skipWhitespace()
            guard index < buffer.count else { throw error("unexpected end of input in object") }
            if buffer[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if buffer[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            throw error("expected ',' or '}' in object")
        }
    }

    package func keyText(_ start: UInt32, _ end: UInt32, _ escaped: Bool) -> String {
        let slice = buffer[Int(start)..<Int(end)]
        return escaped
            ? JSONTape.unescape(slice) : String(decoding: UnsafeBufferPointer(rebasing: slice), as: UTF8.self)
    }

    package func sameKey(_ member: MemberKey, _ start: UInt32, _ end: UInt32, _ escaped: Bool) -> Bool {
        if member.escaped || escaped {
            return keyText(member.start, member.end, member.escaped) == keyText(start, end, escaped)
        }
        let count = Int(end - start)
        guard Int(member.end - member.start) == count else { return false }
        for offset in 0..<count where buffer[Int(member.start) + offset] != buffer[Int(start) + offset] {
            return false
        }
        return true
    }

    package mutating func array(_ me: Int) throws(JSONSyntaxError) {
        try enter()
        defer { depth -= 1 }
        index += 1
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            if index >= nextRunStart, takeRun() {
                // The run ended at this array's `]` or at the start of a later item.
                if buffer[index] == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                continue
            }
            try value(keyStart: 0, keyEnd: 0, keyEscaped: false)
            skipWhitespace()
            guard index < buffer.count else { throw error("unexpected end of input in array") }
            if buffer[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if buffer[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            throw error("expected ',' or ']' in array")
        }
    }

    /// At an item's start (whitespace skipped) or past `nextRunStart`: appends the run parsed ahead
    /// from here, as this builder would have parsed it, and moves past it; false when there is
    /// none that fits (the run started inside something else, or failed, or would nest too deep).
    private mutating func takeRun() -> Bool {
        guard let runs else { return false }
        skipWhitespace()
        nextRunStart = runs.start(atOrAfter: index)
        guard index == nextRunStart else { return false }
        nextRunStart = runs.start(atOrAfter: index + 1)
        guard let run = runs.take(startingAt: index), depth + run.deepest <= Self.maxDepth else { return false }
        let base = nodes.count
        nodes.append(contentsOf: run.nodes)
        nodes.withUnsafeMutableBufferPointer { all in
            for node in base..<all.count where all[node].isContainer { all[node].link += UInt32(base) }
        }
        index = run.end
        nextRunStart = runs.start(atOrAfter: index)
        return true
    }

    /// A run: the items of an array from `index` (an item's start), until the array's `]` or the
    /// first item that starts at `stop` or later; `index` ends there.
    mutating func items(until stop: Int, cancelled: borrowing Atomic<Bool>) throws(JSONSyntaxError) -> Bool {
        while !cancelled.load(ordering: .relaxed) {
            try value(keyStart: 0, keyEnd: 0, keyEscaped: false)
            skipWhitespace()
            guard index < buffer.count else { return false }
            if buffer[index] == UInt8(ascii: "]") { return true }
            guard buffer[index] == UInt8(ascii: ",") else { return false }
            index += 1
            skipWhitespace()
            if index >= stop { return true }
        }
        return false
    }

    @inline(__always)
    package func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    package mutating func number() throws(JSONSyntaxError) {
        if buffer[index] == UInt8(ascii: "-") { index += 1 }
        guard index < buffer.count, isDigit(buffer[index]) else { throw error("invalid number") }
        if buffer[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
        if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
            index += 1
            guard index < buffer.count, isDigit(buffer[index]) else {
                throw error("invalid number: digit expected after '.'")
            }
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
        if index < buffer.count, buffer[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < buffer.count, isDigit(buffer[index]) else {
                throw error("invalid number: digit expected in exponent")
            }
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
    }

    /// Checks one string (index at its opening quote) and returns its raw text range.
    package mutating func string() throws(JSONSyntaxError) -> (start: UInt32, end: UInt32, escaped: Bool) {
        index += 1  // opening quote
        let start = index
        var escaped = false
        var nonASCII = false
        while true {
            skipPlainText()
            guard index < buffer.count else { throw error("unterminated string") }
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                try escape()
                continue
            }
            if byte < 0x20 { throw error("control character in string (must be escaped)") }
            if byte >= 0x80 { nonASCII = true }
            index += 1
        }
        let end = index
        index += 1
        // Escapes are ASCII, so checking the raw bytes checks the decoded text.
        if nonASCII, String(validating: buffer[start..<end], as: UTF8.self) == nil {
            throw error("string is not valid UTF-8")
        }
        return (UInt32(start), UInt32(end), escaped)
    }

    /// Skips string bytes that need no attention (printable ASCII but `"` and `\\`) eight at a
    /// time; stops at or before the first that does.
    @inline(__always)
    package mutating func skipPlainText() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        guard let base = buffer.baseAddress else { return }
        while index + 8 <= buffer.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            // A high bit for each byte below 0x20, `"`, `\\` or not ASCII (the usual has-zero and
            // has-less tests: never missing one, exact up to the first found, all that matters here).
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let control = (word &- ones &* 0x20) & ~word
            let special =
                (control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | word) & highBits
            guard special == 0 else { return }
            index += 8
        }
    }

    package mutating func escape() throws(JSONSyntaxError) {
        index += 1
        guard index < buffer.count else { throw error("unterminated escape") }
        let escape = buffer[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return
        case UInt8(ascii: "u"):
            let scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < buffer.count, buffer[index] == 92, buffer[index + 1] == UInt8(ascii: "u") else {
                    throw error("lone high surrogate in \\u escape")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate in \\u escape") }
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("lone low surrogate in \\u escape")
            }
        default:
            index -= 1
            throw error("invalid escape '\\\(Unicode.Scalar(escape))'")
        }
    }

    package mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= buffer.count else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = buffer[index]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 65...70: digit = UInt32(byte - 55)
            case 97...102: digit = UInt32(byte - 87)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

/// The items of a large document's big arrays, parsed ahead on the other cores. The document is
/// cut at guessed item boundaries (`},{`, an object item after another); from each, a run parses
/// items as the builder would inside an array. The builder takes a run only when it reaches its
/// start expecting an item: then the run's nodes are exactly what it would have made itself (an
/// array item's nodes depend on its bytes alone). A wrong guess or a run that failed is dropped and
/// the builder reads on, so errors and their positions are always the single pass's.
private final class ItemRuns: Sendable {
    struct Run: Sendable {
        var nodes: [JSONTape.Node]
        /// Where the builder goes on: the array's `]`, or the next item's start.
        var end: Int
        var deepest: Int
    }

    /// One run's result, written by its worker before `done` is signalled.
    private final class Slot: @unchecked Sendable {
        let start: Int
        var run: Run?
        let done = DispatchSemaphore(value: 0)
        init(start: Int) { self.start = start }
    }

    /// Below this many bytes per core, one pass is about as fast.
    static let minimumPart = 4 << 20
    private let slots: [Slot]
    private let group = DispatchGroup()
    private let cancelled = Atomic<Bool>(false)

    init(buffer: UnsafeBufferPointer<UInt8>, parts: Int) {
        var starts: [Int] = []
        for part in 1..<max(parts, 1) {
            if let start = Self.itemStart(after: buffer.count * part / parts, in: buffer), start > (starts.last ?? 0) {
                starts.append(start)
            }
        }
        slots = starts.map(Slot.init)
        let source = SendableBuffer(buffer: buffer)
        for (position, slot) in slots.enumerated() {
            let stop = position + 1 < slots.count ? slots[position + 1].start : Int.max
            DispatchQueue.global().async(group: group) { [self] in
                var builder = TapeBuilder(
                    buffer: source.buffer,
                    runs: nil,
                    reserving: min(stop, source.buffer.count) - slot.start
                )
                builder.index = slot.start
                if (try? builder.items(until: stop, cancelled: cancelled)) == true {
                    slot.run = Run(nodes: builder.nodes, end: builder.index, deepest: builder.deepest)
                }
                slot.done.signal()
            }
        }
    }

    /// The first `},{` after `position`: where an object item may start.
    private static func itemStart(after position: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = max(position, 1)
        while index + 1 < buffer.count {
            if buffer[index] == UInt8(ascii: ","), buffer[index - 1] == UInt8(ascii: "}"),
                buffer[index + 1] == UInt8(ascii: "{")
            {
                return index + 1
            }
            index += 1
        }
        return nil
    }

    /// The first run start at `index` or later (`Int.max`: none).
    func start(atOrAfter index: Int) -> Int {
        slots.first { $0.start >= index }?.start ?? Int.max
    }

    /// The run from `start`, once parsed; nil when it failed.
    func take(startingAt start: Int) -> Run? {
        guard let slot = slots.first(where: { $0.start == start }) else { return nil }
        slot.done.wait()
        defer { slot.run = nil }
        return slot.run
    }

    /// Stops the runs not taken and waits for every one.
    func finish() {
        guard !slots.isEmpty else { return }
        cancelled.store(true, ordering: .relaxed)
        group.wait()
    }
}

/// The document's bytes, handed to the runs' threads: `ItemRuns.finish` waits for them before the
/// buffer goes away.
private struct SendableBuffer: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<UInt8>
}

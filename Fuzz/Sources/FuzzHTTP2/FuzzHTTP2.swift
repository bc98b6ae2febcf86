// libFuzzer target: the HTTP/2 side with the whole mock behind it. An input is the bytes a client
// sends after the connection preface (HTTP/2 frames: SETTINGS, HEADERS with HPACK blocks, DATA,
// RST_STREAM, PING, WINDOW_UPDATE, CONTINUATION, GOAWAY …); they are fed to a server session
// (`HTTP2MemoryConnection`, libnghttp2 underneath) in two pieces, so frames split across reads
// are covered too. Every complete request is answered by `SessionMockApp` (REST, Connect,
// gRPC-Web, native gRPC, health, reflection), and the answers are framed and dropped.
//
// Invariants: nothing traps (libnghttp2 refusing a frame ends the session, which is fine).
// The app is built once; its scenarios are reset and its journal cleared after every input, so a
// crash reproduces from its input alone.

import MicroHTTP
import Seeds
import SessionMock

let app: SessionMockApp = {
    var options = SessionMockApp.Options()
    options.journalSize = 64
    options.maxIsolatedCopies = 4
    return SessionMockApp(
        seeds: SeedLoader.bundledDefault(vocabulary: SessionMockApp.seedVocabulary),
        activeScenario: "default",
        options: options
    )
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let connection = HTTP2MemoryConnection(
        streamingHandler: { app.streamingCall(for: $0) },
        handler: { app.handle($0) }
    )
    let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    let split = input.isEmpty ? 0 : Int(input[0]) % (input.count + 1)
    if connection.feed(preface + input[..<split]) { connection.feed(Array(input[split...])) }
    _ = app.registry.reset(nil)
    app.journal.clear()
    return 0
}

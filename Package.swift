// swift-tools-version:6.1
import PackageDescription

// The layers, bottom up; each target imports only targets listed before it:
//
//   CMicroHTTPD, CNGHTTP2, CZlib, CGnuTLS, CPlatform   C libraries (system library targets; no C of ours
//                   but shims)
//   Platform        files, fds, clock, cores, memory, gzip, HMAC/TOTP: the C calls the rest needs
//   JSON            JSON values, the tape parser, the writer, merge patch
//   MicroHTTP       HTTP/1.1 over libmicrohttpd and HTTP/2 over libnghttp2 on one port: server,
//                   request, response, router (knows no vendor)
//   Seeds           the seed model (one Factor table), its validating parser, seed files
//   Store           scenario state, isolated copies, timelines, fault firing (no wire encoding)
//   MockPipeline    what every mocked request goes through before its endpoint, the error
//                   shape each API lends it, and the declaration type the APIs register with
//   WalletKitAPI    WalletKit's wire shapes, errors and handlers
//   ZitadelAPI      ZITADEL's RPCs, each declared once: REST, Connect, gRPC-Web, gRPC (never imports WalletKitAPI)
//   GRPCServices    the gRPC server's own services: health and reflection (knows no vendor)
//   SessionMock     the app: route table, control API, journal, the server around it
//   SessionMockTesting  one test surface, in process or over a socket
//   session-mock    the CLI
let package = Package(
    name: "session-mock",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "session-mock", targets: ["session-mock"]),
        // A test suite elsewhere can depend on these and run the mock in process or on a port
        // (`SessionMock` carries the layers under the app, so seeds and stores can be built too).
        .library(
            name: "SessionMock",
            targets: [
                "SessionMock", "WalletKitAPI", "ZitadelAPI", "GRPCServices", "MockPipeline", "Store", "Seeds", "JSON",
                "Platform",
            ]
        ),
        .library(name: "SessionMockTesting", targets: ["SessionMockTesting"]),
        .library(name: "MicroHTTP", targets: ["MicroHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // No traits: the default BinaryDelimitedStreams makes SwiftProtobuf import full Foundation, which
        // would link Foundation, CoreFoundation and ICU into the executable (~50 MB of binary, ~4 MB of idle
        // RSS); FieldMaskUtilities is unused. 1.39.0 is the release checked to need only FoundationEssentials.
        // Keep every source file off full Foundation too: FoundationEssentials (guarded) or libc.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        // HTTP/2 (frames, HPACK, flow control) for the same port's HTTP/2 connections.
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // HMAC-SHA1 for TOTP codes, and the local CA's certificates; libmicrohttpd-dev already pulls it in.
        .systemLibrary(name: "CGnuTLS", pkgConfig: "gnutls", providers: [.apt(["libgnutls28-dev"])]),
        // glibc's malloc_trim, which the Glibc module does not export.
        .systemLibrary(name: "CPlatform"),

        .target(name: "Platform", dependencies: ["CPlatform", "CZlib", "CGnuTLS"]),
        .target(
            name: "JSON",
            dependencies: ["Platform", .product(name: "ExtrasBase64", package: "swift-extras-base64")]
        ),
        .target(name: "MicroHTTP", dependencies: ["CMicroHTTPD", "CNGHTTP2", "CGnuTLS", "Platform"]),
        .target(name: "Seeds", dependencies: ["JSON", "Platform"]),
        .target(name: "Store", dependencies: ["Seeds", "Platform"]),
        .target(name: "MockPipeline", dependencies: ["MicroHTTP", "Store", "Seeds", "JSON"]),

        .target(
            name: "WalletKitAPI",
            dependencies: ["MockPipeline", "MicroHTTP", "Store", "Seeds", "JSON", "Platform"]
        ),
        .target(
            name: "ZitadelAPI",
            dependencies: [
                "MockPipeline", "MicroHTTP", "Store", "Seeds", "JSON", "Platform",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

        .target(
            name: "GRPCServices",
            dependencies: [
                "MockPipeline", "MicroHTTP", "JSON", "Platform",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

        .target(
            name: "SessionMock",
            dependencies: [
                "WalletKitAPI", "ZitadelAPI", "GRPCServices", "MockPipeline", "Store", "Seeds", "MicroHTTP", "JSON",
                "Platform",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "SessionMockTesting", dependencies: ["SessionMock", "MicroHTTP", "Platform", "Seeds", "Store"]),
        .executableTarget(
            name: "session-mock",
            dependencies: [
                "SessionMock", "MicroHTTP", "Seeds", "Platform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(
            name: "SessionMockTests",
            dependencies: [
                "SessionMockTesting", "SessionMock", "WalletKitAPI", "ZitadelAPI", "GRPCServices", "MockPipeline",
                "Store", "Seeds",
                "MicroHTTP", "JSON", "Platform",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "session-mock",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "session-mock", targets: ["session-mock"]),
        // A test suite elsewhere can depend on this and start the mock in-process.
        .library(name: "SessionMock", targets: ["SessionMock"]),
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
    ],
    targets: [
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .target(name: "MicroHTTP", dependencies: ["CMicroHTTPD"]),
        .target(
            name: "SessionMock",
            dependencies: [
                "MicroHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "session-mock",
            dependencies: [
                "SessionMock",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SessionMockTests",
            dependencies: ["SessionMock", "MicroHTTP", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
// libFuzzer targets for session-mock. Not part of the root package: they need
// `-sanitize=fuzzer`, which only works with a toolchain that ships libFuzzer (Linux swift.org
// toolchains do). Build and run them with `Fuzz/run.sh`.
import PackageDescription

let package = Package(
    name: "session-mock-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "session-mock", path: "..")
    ],
    targets: [
        // `<Target>_main` entry points that start libFuzzer's driver (see FuzzerEntry.c).
        .target(name: "FuzzerEntry"),
        // Seed parser/validator, and everything a parsed seed feeds (stores, session encoder).
        .executableTarget(
            name: "FuzzSeedParser",
            dependencies: ["FuzzerEntry", .product(name: "SessionMock", package: "session-mock")]
        ),
        // The whole mock as a Request -> Response function.
        .executableTarget(
            name: "FuzzRequestHandler",
            dependencies: [
                "FuzzerEntry",
                .product(name: "SessionMock", package: "session-mock"),
                .product(name: "MicroHTTP", package: "session-mock"),
            ]
        ),
        // The HTTP/2 side (libnghttp2 session, streams, trailers, streaming calls) with the mock behind it.
        .executableTarget(
            name: "FuzzHTTP2",
            dependencies: [
                "FuzzerEntry",
                .product(name: "SessionMock", package: "session-mock"),
                .product(name: "MicroHTTP", package: "session-mock"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

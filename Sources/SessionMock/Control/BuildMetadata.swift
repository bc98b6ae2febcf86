// Rewritten by `make stamp` (and the Docker build) with the release's values; the committed
// file holds the development defaults.
enum BuildMetadata {
    static let version = "0.1.0-dev"
    static let commit = "unknown"
    static let date = "unknown"
    static let swift = "6"
}

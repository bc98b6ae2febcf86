#!/usr/bin/env bash
# Writes release metadata into Sources/SessionMock/Control/BuildMetadata.swift (what --version and
# /__admin/health report). Used by the Docker build stage; run by hand before a release build.
# Usage: scripts/stamp_build.sh VERSION [COMMIT] [DATE]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: stamp_build.sh VERSION [COMMIT] [DATE]}"
commit="${2:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
date="${3:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
swift_version="$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)"
for value in "$version" "$commit" "$date" "${swift_version:-6}"; do
    [[ "$value" =~ ^[A-Za-z0-9._:+-]+$ ]] || { echo "stamp_build: refusing unsafe value '$value'" >&2; exit 2; }
done
cat > Sources/SessionMock/Control/BuildMetadata.swift <<SWIFT
// Rewritten by \`make stamp\` (and the Docker build) with the release's values; the committed
// file holds the development defaults.
enum BuildMetadata {
    static let version = "$version"
    static let commit = "$commit"
    static let date = "$date"
    static let swift = "${swift_version:-6}"
}
SWIFT
echo "stamped $version ($commit, $date, Swift ${swift_version:-6})"

#!/usr/bin/env bash
# Regenerates the committed Swift (and Python client stubs) from proto/.
#   Swift:  Sources/ZitadelAPI/Proto/*.pb.swift, with protoc-gen-swift built from the very
#           swift-protobuf checkout the package resolved (so generated code and runtime match).
#   Python: scripts/connect_client/gen/, with protoc-gen-py and protoc-gen-connectrpc from .venv.
# Needs protoc (Debian: protobuf-compiler). Run it after editing proto/ and commit the output.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null; then
    echo "protoc not found: apt-get install protobuf-compiler" >&2
    exit 1
fi

[ -d .build/checkouts/swift-protobuf ] || swift package resolve >/dev/null
checkout=.build/checkouts/swift-protobuf
[ -d "$checkout" ] || { echo "no $checkout: run swift build first" >&2; exit 1; }
version=$(git -C "$checkout" describe --tags --exact-match 2>/dev/null || git -C "$checkout" rev-parse HEAD)
work=${SWIFT_PROTOBUF_BUILD_DIR:-/tmp/swift-protobuf-$version}
if [ ! -x "$work/.build/release/protoc-gen-swift" ]; then
    rm -rf "$work"
    cp -R "$checkout" "$work"
    (cd "$work" && swift build -c release --product protoc-gen-swift)
fi

out=Sources/ZitadelAPI/Proto
mkdir -p "$out"
protoc -I proto \
    --plugin=protoc-gen-swift="$work/.build/release/protoc-gen-swift" \
    --swift_opt=FileNaming=DropPath --swift_opt=Visibility=Internal \
    --swift_out="$out" \
    zitadel/session_service.proto zitadel/object.proto zitadel/timestamp_query.proto zitadel/error_detail.proto google/rpc/status.proto
echo "generated Swift with protoc-gen-swift $version into $out"

if [ -x .venv/bin/protoc-gen-py ] && [ -x .venv/bin/protoc-gen-connectrpc ]; then
    py=scripts/connect_client/gen
    rm -rf "$py" && mkdir -p "$py"
    protoc -I proto \
        --plugin=protoc-gen-py=.venv/bin/protoc-gen-py --py_out="$py" \
        --plugin=protoc-gen-connectrpc=.venv/bin/protoc-gen-connectrpc --connectrpc_out="$py" \
        zitadel/session_service.proto zitadel/object.proto zitadel/timestamp_query.proto zitadel/error_detail.proto
    echo "generated Python client stubs into $py"
else
    echo "skipped Python stubs: run scripts/connect_client_check.sh once to install the plugins" >&2
fi

#!/usr/bin/env bash
# Fails when a committed generated file differs from what its generator makes now (`make generated-check`):
#   Sources/Seeds/BundledSeeds.swift, Sources/SessionMock/Control/BundledOpenAPI.swift
#       from scripts/bundle_seeds.py (regenerate: make bundled-files)
#   Sources/ZitadelAPI/Proto/, Sources/GRPCServices/Proto/, scripts/connect_client/gen/
#       from scripts/generate_proto.sh (regenerate: make swift-protos)
# Regenerates into a temporary folder and diffs; never writes the committed files. The first run builds
# protoc-gen-swift under .build/protoc-gen-swift/ (about a minute on 2 cores), later runs take seconds.
# Needs protoc (Debian: protobuf-compiler). Env: VENV (default .venv) for the Python plugins.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-generated.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

python3 scripts/bundle_seeds.py --out "$tmp/new" >/dev/null
bash scripts/generate_proto.sh --out "$tmp/new" >/dev/null

failed=0
# compare PATH REGENERATE: PATH (a file or folder) as committed against the fresh copy.
compare() {
    local path=$1 how=$2
    if diff -ru --exclude=__pycache__ "$path" "$tmp/new/$path" >"$tmp/diff" 2>&1; then
        echo "generated-check: ok: $path"
    else
        failed=1
        echo "generated-check: FAIL: $path differs from what its generator makes now; run \`$how\` and commit the result:" >&2
        head -n 40 "$tmp/diff" >&2
        [ "$(wc -l <"$tmp/diff")" -le 40 ] || echo "    ... ($(wc -l <"$tmp/diff") lines of diff in all)" >&2
    fi
}
compare Sources/Seeds/BundledSeeds.swift "make bundled-files"
compare Sources/SessionMock/Control/BundledOpenAPI.swift "make bundled-files"
compare Sources/ZitadelAPI/Proto "make swift-protos"
compare Sources/GRPCServices/Proto "make swift-protos"
compare scripts/connect_client/gen "make swift-protos"
exit $failed

#!/usr/bin/env bash
# The session-mock executable must not link full Foundation: it would bring FoundationInternationalization,
# CoreFoundation and ICU along (about 50 MB of binary and 4 MB of idle RSS). FoundationEssentials is fine.
# A dynamically linked build (plain `swift build`) is checked with ldd, a --static-swift-stdlib one by symbols.
# Env: SWIFT_BUILD_FLAGS (default: none) selects the build, as for the other scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a build_flags <<< "${SWIFT_BUILD_FLAGS:-}"
bin="$(swift build ${build_flags[@]+"${build_flags[@]}"} --show-bin-path)/session-mock"
if [ ! -x "$bin" ]; then
    swift build ${build_flags[@]+"${build_flags[@]}"} --product session-mock
fi

libraries=$(ldd "$bin" | grep -oE 'lib(Foundation|FoundationInternationalization|FoundationNetworking|FoundationXML|_FoundationICU)\.so' | sort -u || true)
symbols=$(nm "$bin" | grep -cE '[$]s10Foundation|[$]s30FoundationInternationalization|_CFInitialize' || true)
if [ -n "$libraries" ] || [ "$symbols" != 0 ]; then
    echo "foundation-check: FAIL: $bin links full Foundation (libraries: ${libraries:-none}; symbols: $symbols)." >&2
    echo "foundation-check: import FoundationEssentials (guarded by canImport) or libc instead of Foundation." >&2
    exit 1
fi
echo "foundation-check: ok: $bin links no Foundation beyond FoundationEssentials"

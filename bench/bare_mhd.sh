#!/usr/bin/env bash
# Builds bench/bare_mhd.c (the engine's ceiling) into bench/out/bare-mhd when it is missing or older
# than its source, and prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
BARE=$PWD/bench/out/bare-mhd
mkdir -p bench/out
if [ ! -x "$BARE" ] || [ bench/bare_mhd.c -nt "$BARE" ]; then
    # shellcheck disable=SC2046
    cc -O2 -Wall -Wextra -o "$BARE" bench/bare_mhd.c $(pkg-config --cflags --libs libmicrohttpd)
fi
echo "$BARE"

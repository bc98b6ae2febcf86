#!/usr/bin/env bash
# Builds bench/bare_nghttp2.c (the HTTP/2 ceiling) into bench/out/bare-nghttp2 when it is missing or older
# than its source, and prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
BARE=$PWD/bench/out/bare-nghttp2
mkdir -p bench/out
if [ ! -x "$BARE" ] || [ bench/bare_nghttp2.c -nt "$BARE" ]; then
    # shellcheck disable=SC2046
    cc -O2 -Wall -Wextra -o "$BARE" bench/bare_nghttp2.c $(pkg-config --cflags --libs libnghttp2) -lpthread
fi
echo "$BARE"

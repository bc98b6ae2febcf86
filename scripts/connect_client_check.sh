#!/usr/bin/env bash
# A real third-party client against the built server: the Connect project's Python runtime
# (connectrpc 0.13.0) calls GetSession over Connect JSON, Connect proto and gRPC-Web, through the
# stubs committed in scripts/connect_client/gen/ (made by scripts/generate_proto.sh from proto/).
# Makes/reuses .venv, starts `session-mock serve --port 0`, exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
# The runtime and its message library (protobuf-py, which connectrpc's generated code targets),
# plus the two protoc plugins scripts/generate_proto.sh uses to regenerate the stubs.
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
    connectrpc==0.13.0 protobuf-py==0.7.0 protoc-gen-py==0.7.0 protoc-gen-connectrpc==0.13.0

bin_path=$(swift build ${SWIFT_BUILD_FLAGS:-} --show-bin-path)
if [ ! -x "$bin_path/session-mock" ]; then
    swift build ${SWIFT_BUILD_FLAGS:-} --product session-mock
fi

out=$(mktemp)
"$bin_path/session-mock" serve --port 0 --seeds Seeds/default.json >"$out" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -f "$out"' EXIT

url=""
for _ in $(seq 1 100); do
    url=$(sed -n 's/^session-mock listening on \(http:\/\/[^ ]*\)$/\1/p' "$out")
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$out" >&2; echo "session-mock exited before it was ready" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { cat "$out" >&2; echo "session-mock printed no ready line within 10 s" >&2; exit 1; }

# No __pycache__ next to the committed stubs.
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" scripts/connect_client/check.py "$url"

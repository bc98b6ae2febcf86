#!/usr/bin/env bash
# ZITADEL's official Python SDK (zitadel-client 4.1.0) against the built server: a whole login
# (create, set password, get, list, delete) through the SDK unchanged but for its host
# (scripts/zitadel_sdk/check.py). Makes/reuses .venv, starts `session-mock serve --port 0`, exits
# non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check zitadel-client==4.1.0

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

PYTHONDONTWRITEBYTECODE=1 PYTHONWARNINGS=ignore "$VENV/bin/python" scripts/zitadel_sdk/check.py "$url"

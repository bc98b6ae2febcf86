#!/usr/bin/env bash
# Abuses the built server's HTTP/2 side on raw sockets (scripts/http2_abuse/check.py, with h2): rapid
# reset, SETTINGS and PING floods, an HPACK bomb, a peer that never reads, an idle connection and a
# half-sent preface must each end that connection only (docs/cli.md#robustness-limits); after each, fresh
# HTTP/2 and HTTP/1.1 connections still get answers. The server runs with a short --idle-timeout.
# Makes/reuses .venv, starts the built server (scripts/server_lib.sh), exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=$(basename "$0" .sh)
# shellcheck source=scripts/server_lib.sh
source scripts/server_lib.sh
python_venv -r scripts/http2_abuse/requirements.txt

IDLE_TIMEOUT=2
find_session_mock_bin
start_session_mock --seeds Seeds/default.json --idle-timeout "$IDLE_TIMEOUT"

# Every case has its own time limit inside; this one only guards against the unforeseen.
status=0
PYTHONDONTWRITEBYTECODE=1 timeout 300 "$VENV/bin/python" scripts/http2_abuse/check.py \
    "$BASE_URL" "$SERVER_PID" "$IDLE_TIMEOUT" || status=$?
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "$NAME: session-mock is gone; the end of its stderr:" >&2
    tail -n 50 "$WORK/server.err" >&2
    status=1
fi
exit "$status"

#!/usr/bin/env bash
# Profiles session-mock's hot path: perf record (cpu-clock, call graphs) on the release binary while
# wrk drives one endpoint for a bounded time on loopback; prints the top costs by library and symbol.
#
#   bash bench/profile.sh                   # challenge endpoint, c=64, 5 s
#   ENDPOINT=session CONNS=256 SECONDS_=5 bash bench/profile.sh
#   STARTUP=1 bash bench/profile.sh          # profiles start-up with the 100k seed instead (until ready)
#
# Needs the binary from bench/run.sh (.build-bench) and perf (linux-perf); writes bench/out/perf-*.data.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
BIN=${BIN:-.build-bench/release/session-mock}
ENDPOINT=${ENDPOINT:-challenge}
CONNS=${CONNS:-64}
SECONDS_=${SECONDS_:-5}
PORT=${PORT:-18990}
RECORDS=${RECORDS:-100000}
mkdir -p "$OUT"
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)" >&2; exit 1; }

SM=""
PERF=""
cleanup() {
    [ -n "$PERF" ] && kill -INT "$PERF" 2>/dev/null || true
    [ -n "$SM" ] && kill -TERM "$SM" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

report() {
    set +o pipefail  # `head` closes the pipe early
    echo "== by library ($1)"
    perf report -i "$1" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -8
    echo "== self time by symbol"
    perf report -i "$1" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep '%' | head -25 | cut -c1-160
    echo "== inclusive time by symbol (user space)"
    perf report -i "$1" --children --sort symbol --stdio -g none 2>/dev/null | grep '%' | grep -v '\[k\]' | head -40 | cut -c1-160
}

if [ "${STARTUP:-0}" = 1 ]; then
    SEED=$OUT/seed-$RECORDS.json
    [ -s "$SEED" ] || python3 bench/gen_seed.py "$SEED" --sessions "$RECORDS" --challenges "$RECORDS"
    perf record -q -e cpu-clock -F 500 -g -o "$OUT/perf-startup.data" -- \
        "$BIN" serve --host 127.0.0.1 --port "$PORT" --log-level warning --seeds "$SEED" > "$OUT/profile-sm.log" 2>&1 &
    PERF=$!
    python3 bench/probe.py wait "$PORT" /__admin/health 300
    SM=$(pgrep -P "$PERF" | head -1)
    kill -TERM "$SM"; SM=""
    wait "$PERF" || true; PERF=""
    report "$OUT/perf-startup.data"
    exit 0
fi

"$BIN" serve --host 127.0.0.1 --port "$PORT" --log-level warning > "$OUT/profile-sm.log" 2>&1 &
SM=$!
python3 bench/probe.py wait "$PORT" /__admin/health 30
if [ "$ENDPOINT" = challenge ]; then
    URL="http://127.0.0.1:$PORT/users/session-challenge?code=K7PX-22QA"; HEADER='X-WalletKit-Project-ID: proj_demo'
else
    URL="http://127.0.0.1:$PORT/v2/sessions/312909075212468632"; HEADER='Authorization: Bearer admin-pat'
fi
timeout 30 wrk -t2 -c"$CONNS" -d2s -H "$HEADER" "$URL" > /dev/null  # warm-up
perf record -q -e cpu-clock -F 2000 -g -p "$SM" -o "$OUT/perf-$ENDPOINT.data" -- sleep "$((SECONDS_ + 1))" &
PERF=$!
sleep 0.5
timeout $((SECONDS_ + 30)) wrk -t2 -c"$CONNS" -d"${SECONDS_}s" -H "$HEADER" "$URL" | grep -E 'requests in|Requests/sec'
wait "$PERF" || true; PERF=""
report "$OUT/perf-$ENDPOINT.data"

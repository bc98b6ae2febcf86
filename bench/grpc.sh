#!/usr/bin/env bash
# Native gRPC over HTTP/2 (h2c, prior knowledge): session-mock's GetSession against two canned servers,
# in the same run, ROUNDS rounds with the servers' order rotated round by round, medians:
#   session-mock  the release binary (.build-bench), default seeds, POST
#                 /zitadel.session.v2.SessionService/GetSession for the seeded session 312909075212468632
#   bare-nghttp2  bench/bare_nghttp2.c: libnghttp2 alone, one epoll thread per core, a canned answer (the
#                 HTTP/2 ceiling, as bare-MHD is for HTTP/1.1)
#   grpc-go       bench/grpc_go_server.go: grpc-go 1.33 (Debian) with a hand-written ServiceDesc and a raw
#                 []byte codec, a canned answer (what a real gRPC stack costs)
# Load: h2load -c CONNS -m STREAMS -D DURATION, one request body (the gRPC-framed GetSessionRequest),
# headers content-type: application/grpc, te: trailers, authorization: Bearer admin-pat. Each server is
# checked once first with curl (HTTP/2 200 and `grpc-status: 0` in the trailers); session-mock is skipped
# with a message when it does not build, start or answer gRPC, grpc-go when it does not build.
# The canned servers answer session-mock's own response message when session-mock answered the check (the
# same bytes on the wire), else a 51-byte GetSessionResponse (id, creation and change dates, sequence);
# PAYLOAD_HEX overrides both.
# Server CPU per request: utime+stime of the server process (all threads, /proc/<pid>/stat, as bench/run.sh)
# over the h2load run, divided by the requests h2load completed. h2load reports min/max/mean/sd of the
# request time, no percentiles: the table shows the mean and the max (medians over rounds); P99=1 has h2load
# log every request (--log-file) and adds the p99 from those logs, at a cost in h2load's own throughput.
# Prints a Markdown table and writes it between the grpc markers of bench/RESULTS.md.
#
#   bash bench/grpc.sh                    # about 1 + ROUNDS x 3 x DURATION s plus builds
#   ROUNDS=3 DURATION=3 bash bench/grpc.sh
# Environment: ROUNDS (5) DURATION (5, seconds) WARMUP (2, seconds per server before the rounds)
#              CONNS (16) STREAMS (10, h2load -m) THREADS (1, h2load -t) PORT (18960: +1 bare-nghttp2,
#              +2 grpc-go) PAYLOAD_HEX P99 (0) SKIP_BUILD=1 (session-mock as it is in .build-bench)
#              SKIP_INSTALL=1 (install nothing) RESULTS (bench/RESULTS.md; "-" prints the table only)
#              BIN (the session-mock binary; with SKIP_BUILD=1, to measure another build)
# Network: 127.0.0.1 only. Every h2load run is bounded by -D and by `timeout`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/grpc
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}; DURATION=${DURATION%s}
WARMUP=${WARMUP:-2}; WARMUP=${WARMUP%s}
CONNS=${CONNS:-16}
STREAMS=${STREAMS:-10}
THREADS=${THREADS:-1}
PORT=${PORT:-18960}
P99=${P99:-0}
RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
BIN=${BIN:-$ROOT/.build-bench/release/session-mock}
RPC_PATH=/zitadel.session.v2.SessionService/GetSession
SESSION_ID=312909075212468632
HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers' -H 'authorization: Bearer admin-pat')

log() { printf '[grpc %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------------------
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    missing=()
    command -v h2load >/dev/null || missing+=(nghttp2-client)
    command -v curl >/dev/null || missing+=(curl)
    pkg-config --exists libnghttp2 || missing+=(libnghttp2-dev)
    command -v go >/dev/null || missing+=(golang-go)
    [ -d /usr/share/gocode/src/google.golang.org/grpc ] || missing+=(golang-google-grpc-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
            || log "apt-get install ${missing[*]} failed"
    fi
fi
command -v h2load >/dev/null || { echo "h2load is missing (Debian: nghttp2-client)" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT/raw"

# --- builds ------------------------------------------------------------------------------------------
declare -A SKIP   # server -> why it has no row
BARE=$(bash bench/bare_nghttp2.sh)

GO_BIN=$ROOT/bench/out/grpc-go-server
if [ ! -x "$GO_BIN" ] || [ bench/grpc_go_server.go -nt "$GO_BIN" ]; then
    if ! command -v go >/dev/null; then
        SKIP[grpc-go]="go is not installed (Debian: golang-go golang-google-grpc-dev)"
    else
        log "building bench/grpc_go_server.go"
        if ! GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE=${GOCACHE:-$ROOT/bench/out/go-cache} \
            timeout 600 go build -o "$GO_BIN" bench/grpc_go_server.go > "$OUT/go-build.log" 2>&1; then
            SKIP[grpc-go]="bench/grpc_go_server.go did not build (bench/out/grpc/go-build.log)"
            rm -f "$GO_BIN"
        fi
    fi
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building session-mock (release, .build-bench)"
    if ! swift build -c release --static-swift-stdlib --scratch-path .build-bench --product session-mock >"$OUT/swift-build.log" 2>&1; then
        tail -n 5 "$OUT/swift-build.log" >&2
        SKIP[session-mock]="release build failed (bench/out/grpc/swift-build.log)"
    fi
fi
[ -n "${SKIP[session-mock]:-}" ] || [ -x "$BIN" ] || SKIP[session-mock]="no binary at $BIN"

# --- the request ---------------------------------------------------------------------------------------
# GetSessionRequest{session_id (1, string)}, then the gRPC message header: 0 (uncompressed) + big-endian length.
BODY=$OUT/get-session-request.bin
python3 - "$BODY" "$SESSION_ID" <<'PY'
import sys
path, session_id = sys.argv[1], sys.argv[2].encode()
message = b"\x0a" + bytes([len(session_id)]) + session_id
open(path, "wb").write(b"\x00" + len(message).to_bytes(4, "big") + message)
PY

# check NAME PORT: one request with curl; HTTP/2 200 and grpc-status 0 in the trailers, else 1.
# Leaves the answer's headers and trailers in $OUT/check-NAME.txt and its body in $OUT/check-NAME.bin.
check() {
    local name=$1 port=$2
    curl -s --max-time 5 --http2-prior-knowledge -D "$OUT/check-$name.txt" -o "$OUT/check-$name.bin" "${HEADERS[@]}" \
        --data-binary @"$BODY" "http://127.0.0.1:$port$RPC_PATH" || return 1
    head -n 1 "$OUT/check-$name.txt" | grep -q '^HTTP/2 200' && tr -d '\r' < "$OUT/check-$name.txt" | grep -qi '^grpc-status: 0$'
}
wait_h2() {  # port: until curl gets an HTTP/2 answer (10 s at most)
    for _ in $(seq 1 100); do
        curl -s --max-time 1 --http2-prior-knowledge -o /dev/null "${HEADERS[@]}" --data-binary @"$BODY" \
            "http://127.0.0.1:$1$RPC_PATH" && return 0
        sleep 0.1
    done
    return 1
}

declare -A PID PORTS
PORTS[session-mock]=$PORT PORTS[bare-nghttp2]=$((PORT + 1)) PORTS[grpc-go]=$((PORT + 2))
start() {  # name cmd...
    local name=$1; shift
    "$@" > "$OUT/$name.log" 2>&1 &
    PID[$name]=$!
    pids+=("$!")
}

# --- session-mock first: its answer becomes the canned servers' payload ---------------------------------
payload_source="PAYLOAD_HEX"
if [ -z "${SKIP[session-mock]:-}" ]; then
    start session-mock "$BIN" serve --port "${PORTS[session-mock]}" --log-level warning
    if ! python3 bench/probe.py wait "${PORTS[session-mock]}" /__admin/health 60; then
        SKIP[session-mock]="did not start (bench/out/grpc/session-mock.log)"
    elif ! check session-mock "${PORTS[session-mock]}"; then
        SKIP[session-mock]="does not answer gRPC yet (no HTTP/2 200 with grpc-status: 0 for GetSession)"
    fi
    if [ -n "${SKIP[session-mock]:-}" ]; then
        kill -TERM "${PID[session-mock]}" 2>/dev/null || true
        wait "${PID[session-mock]}" 2>/dev/null || true
    fi
fi
if [ -z "${PAYLOAD_HEX:-}" ]; then
    PAYLOAD_HEX=0a310a12333132393039303735323132343638363332120c08bfe8a6be061090bfd6dc021a0b08c0e8a6be0610a8c4f6482004
    payload_source="the default GetSessionResponse"
    if [ -z "${SKIP[session-mock]:-}" ]; then
        # One uncompressed gRPC message expected: flag 0, length, message.
        sm_hex=$(python3 - "$OUT/check-session-mock.bin" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
if len(data) >= 5 and data[0] == 0 and int.from_bytes(data[1:5], "big") == len(data) - 5:
    print(data[5:].hex())
PY
)
        if [ -n "$sm_hex" ]; then PAYLOAD_HEX=$sm_hex payload_source="session-mock's own answer"; fi
    fi
fi
export PAYLOAD_HEX
PAYLOAD_BYTES=$(( ${#PAYLOAD_HEX} / 2 ))

start bare-nghttp2 "$BARE" --port "${PORTS[bare-nghttp2]}" --payload "$PAYLOAD_HEX"
[ -n "${SKIP[grpc-go]:-}" ] || start grpc-go "$GO_BIN" --port "${PORTS[grpc-go]}" --payload "$PAYLOAD_HEX"

python3 -c 'import sys; m = bytes.fromhex(sys.argv[2]); open(sys.argv[1], "wb").write(b"\0" + len(m).to_bytes(4, "big") + m)' \
    "$OUT/expected.bin" "$PAYLOAD_HEX"
for name in bare-nghttp2 grpc-go; do
    [ -z "${SKIP[$name]:-}" ] || continue
    wait_h2 "${PORTS[$name]}" || { echo "$name did not start (bench/out/grpc/$name.log)" >&2; exit 1; }
    check "$name" "${PORTS[$name]}" || { echo "$name: no HTTP/2 200 with grpc-status: 0:" >&2; cat "$OUT/check-$name.txt" >&2; exit 1; }
    cmp -s "$OUT/check-$name.bin" "$OUT/expected.bin" || { echo "$name: unexpected response body" >&2; exit 1; }
done

SERVERS=()
for name in session-mock bare-nghttp2 grpc-go; do
    if [ -n "${SKIP[$name]:-}" ]; then log "skipping $name: ${SKIP[$name]}"; else SERVERS+=("$name"); fi
done
log "checked ${SERVERS[*]}: HTTP/2 200, grpc-status 0; canned payload $PAYLOAD_BYTES bytes ($payload_source)"

# --- load ----------------------------------------------------------------------------------------------
h2() {  # port duration output extra-args...
    local port=$1 duration=$2 output=$3; shift 3
    timeout $((duration + 60)) h2load -t"$THREADS" -c"$CONNS" -m"$STREAMS" -D "$duration" "${HEADERS[@]}" -d "$BODY" "$@" \
        "http://127.0.0.1:$port$RPC_PATH" > "$output" 2>&1
}
cpu() { python3 bench/probe.py cpu "$1"; }

METRICS=$OUT/metrics.tsv
: > "$METRICS"
log "warm-up: ${WARMUP}s per server"
for name in "${SERVERS[@]}"; do h2 "${PORTS[$name]}" "$WARMUP" /dev/null || true; done
loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
count=${#SERVERS[@]}
for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS"
    for i in $(seq 0 $((count - 1))); do
        name=${SERVERS[$(((i + round) % count))]}
        raw=$OUT/raw/$name.$round.txt
        extra=()
        [ "$P99" = 1 ] && extra=(--log-file="$OUT/raw/$name.$round.log")
        cpu0=$(cpu "${PID[$name]}")
        h2 "${PORTS[$name]}" "$DURATION" "$raw" "${extra[@]}" || { echo "h2load failed for $name (round $round):" >&2; cat "$raw" >&2; exit 1; }
        ticks=$(( $(cpu "${PID[$name]}") - cpu0 ))
        p99=-
        if [ "$P99" = 1 ]; then
            p99=$(python3 -c 'import sys
t = sorted(int(line.split("\t")[2]) for line in open(sys.argv[1]) if line.count("\t") == 2)
print(t[min(len(t) - 1, int(len(t) * 0.99))] / 1000 if t else "-")' "$OUT/raw/$name.$round.log")
            rm -f "$OUT/raw/$name.$round.log"
        fi
        printf '%s\t%s\t%s\t%s\n' "$name" "$round" "$ticks" "$p99" >> "$METRICS"
    done
done
loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report --------------------------------------------------------------------------------------------
skips=()
for name in session-mock grpc-go; do [ -z "${SKIP[$name]:-}" ] || skips+=("$name=${SKIP[$name]}"); done
python3 - "$OUT" "$RESULTS" "$ROUNDS" "$DURATION" "$CONNS" "$STREAMS" "$THREADS" "$P99" "$PAYLOAD_BYTES" \
    "$payload_source" "$loadavg_start" "$loadavg_end" "$(nproc)" "${skips[@]}" <<'PY'
import collections, pathlib, re, statistics, sys
(out, results, rounds, duration, conns, streams, threads, p99_on, payload_bytes, payload_source,
 load_start, load_end, cores, *skips) = sys.argv[1:]
out, rounds, p99_on = pathlib.Path(out), int(rounds), p99_on == "1"
skipped = dict(s.split("=", 1) for s in skips)
TICK_US = 10_000  # clock ticks are 1/100 s

def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

runs = collections.defaultdict(list)
for line in (out / "metrics.tsv").read_text().splitlines():
    name, rnd, ticks, p99 = line.split("\t")
    text = (out / "raw" / f"{name}.{rnd}.txt").read_text()
    rps = float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text).group(1))
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text)
    succeeded, failed, errored, timedout = (int(req.group(i)) for i in (4, 5, 6, 7))
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    lat = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", text)
    runs[name].append({
        "rps": rps,
        "mean": ms(lat.group(5), lat.group(6)), "max": ms(lat.group(3), lat.group(4)),
        "cpu": int(ticks) * TICK_US / succeeded if succeeded else float("nan"),
        "p99": float(p99) if p99 != "-" else None,
        "errors": failed + errored + timedout + sum(int(codes.group(i)) for i in (2, 3, 4)),
    })

def med(name, key):
    values = [r[key] for r in runs[name] if r[key] is not None]
    return statistics.median(values) if values else None

labels = {"session-mock": "session-mock (native gRPC)", "bare-nghttp2": "bare-nghttp2 (bench/bare_nghttp2.c)",
          "grpc-go": "grpc-go 1.33 (bench/grpc_go_server.go)"}
cols = ["req/s", "spread req/s", "mean ms", "max ms"] + (["p99 ms"] if p99_on else []) + ["server CPU µs/req", "errors"]
lines = [f"h2load -t{threads} -c{conns} -m{streams} -D {duration}, {rounds} rounds in rotating order, medians; "
         f"POST {'/zitadel.session.v2.SessionService/GetSession'} (GetSessionRequest of the seeded session, 25 bytes framed); "
         f"loopback, {cores} cores shared with h2load; canned answers {payload_bytes} bytes ({payload_source}). "
         f"Latency is h2load's time for request, mean and max (it reports no percentiles)"
         + ("; p99 from h2load --log-file" if p99_on else "")
         + f". Load average {load_start} at start, {load_end} at end.", "",
         "| server | " + " | ".join(cols) + " |", "|" + " --- |" * (len(cols) + 1)]
def fmt(v, spec):
    return "—" if v is None else format(v, spec)
for name in ("session-mock", "bare-nghttp2", "grpc-go"):
    if name not in runs:
        lines.append(f"| {labels[name]} | not yet measured: {skipped.get(name, 'skipped')} |" + " |" * (len(cols) - 1))
        continue
    rps = [r["rps"] for r in runs[name]]
    row = [fmt(med(name, "rps"), ",.0f"), f"{min(rps):,.0f}–{max(rps):,.0f}", fmt(med(name, "mean"), ".2f"),
           fmt(med(name, "max"), ".2f")] + ([fmt(med(name, "p99"), ".2f")] if p99_on else []) + \
          [fmt(med(name, "cpu"), ".1f"), str(sum(r["errors"] for r in runs[name]))]
    lines.append(f"| {labels[name]} | " + " | ".join(row) + " |")
def ratio_row(a, b):
    if a not in runs or b not in runs:
        return f"| {a} / {b} | not yet measured |" + " |" * (len(cols) - 1)
    def r(key, spec=".2f"):
        x, y = med(a, key), med(b, key)
        return "—" if x is None or y is None or not y else format(x / y, spec) + "×"
    row = [r("rps"), "", r("mean"), r("max")] + ([r("p99")] if p99_on else []) + [r("cpu"), ""]
    return f"| {a} / {b} | " + " | ".join(row) + " |"
lines += [ratio_row("session-mock", "grpc-go"), ratio_row("session-mock", "bare-nghttp2"),
          ratio_row("grpc-go", "bare-nghttp2")]
table = "\n".join(lines)
print(table)
if results != "-":
    path = pathlib.Path(results)
    text = path.read_text()
    start, end = "<!-- grpc:start -->", "<!-- grpc:end -->"
    block = f"{start}\n{table}\n{end}"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n## gRPC (bench/grpc.sh)\n\n" + block + "\n"
    path.write_text(text)
PY

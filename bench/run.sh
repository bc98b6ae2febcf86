#!/usr/bin/env bash
# session-mock against libmicrohttpd alone (bench/bare_mhd.c: the engine's ceiling), nginx (the practical
# limit) and WireMock 2.35.1 (what it replaces), on loopback.
#
#   bash bench/run.sh                         # full run: ROUNDS=5 DURATION=5s, about 13 minutes on 2 cores
#   ROUNDS=2 DURATION=2s WARMUP=2s SKIP_INSTRUCTIONS=1 bash bench/run.sh   # quick look (a couple of minutes)
#
# Steps: installs what is missing (wrk, nginx-core, valgrind, the PyPI package `wiremock` into .venv for its jar),
# builds session-mock as the Docker image does (release, --static-swift-stdlib, --scratch-path .build-bench), generates a 100k+100k seed, measures cold
# starts (spawn to first 200, median of READY_RUNS), starts the five servers (session-mock default seeds,
# session-mock 100k seed, bare-MHD, nginx, WireMock), checks that every server sends byte-identical bodies (fails
# otherwise), warms up, then drives each with wrk (2 threads, keep-alive) for both endpoints at each
# concurrency, servers interleaved and their order rotated round by round; then the record-count runs;
# then bench/instructions.sh once (callgrind instructions per request of session-mock and bare-MHD, 8 s
# per binary and endpoint, about 2 minutes) into bench/out/instructions.txt.
# Writes bench/out/ (raw wrk output, metrics) and the generated part of bench/RESULTS.md.
#
# Environment: ROUNDS (5) DURATION (5s) WARMUP (5s) READY_RUNS (5) CONNS ("64 256") RECORDS (100000)
#              SKIP_BUILD=1 (use the existing binary) SKIP_INSTALL=1 (install nothing) PORT_BASE (18080)
#              SKIP_INSTRUCTIONS=1 (no callgrind run; the report says "not measured")
#              RESULTS (bench/RESULTS.md; "-" prints the table only)
# Network: 127.0.0.1 only. Every load run is bounded by DURATION (wrk -d) and by `timeout`.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench
OUT=$BENCH/out
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-5s}
READY_RUNS=${READY_RUNS:-5}
CONNS=${CONNS:-"64 256"}
RECORDS=${RECORDS:-100000}
PORT_BASE=${PORT_BASE:-18080}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
WRK_THREADS=2

secs() { local d=$1; d=${d%s}; echo "$d"; }
DUR_S=$(secs "$DURATION")
WARM_S=$(secs "$WARMUP")

SM_PORT=$((PORT_BASE + 1))
NGINX_PORT=$((PORT_BASE + 2))
WM_PORT=$((PORT_BASE + 3))
BIG_PORT=$((PORT_BASE + 4))
BARE_PORT=$((PORT_BASE + 5))
COLD_PORT=$((PORT_BASE + 10))

CHALLENGE_PATH='/users/session-challenge?code=K7PX-22QA'
CHALLENGE_HEADER='X-WalletKit-Project-ID: proj_demo'
SESSION_PATH='/v2/sessions/312909075212468632'
SESSION_HEADER='Authorization: Bearer admin-pat'

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 100); do
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 0. tools --------------------------------------------------------------------------------------
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-core)
    command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
    [ "${SKIP_INSTRUCTIONS:-0}" = 1 ] || command -v valgrind >/dev/null || missing+=(valgrind)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -c 'import wiremock' 2>/dev/null || .venv/bin/pip install -q 'wiremock==2.7.0'
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PY=python3
WM_JAR=$(.venv/bin/python -c 'import os, wiremock; print(os.path.join(os.path.dirname(wiremock.__file__), "server", "wiremock-standalone-2.35.1.jar"))')
[ -f "$WM_JAR" ] || { echo "WireMock jar not found at $WM_JAR" >&2; exit 1; }

mkdir -p "$OUT"
rm -rf "$OUT/raw" "$OUT/nginx-tmp" "$OUT/wiremock-root" "$OUT/instructions.txt"
mkdir -p "$OUT/raw" "$OUT/nginx-tmp" "$OUT/wiremock-root/__files"
METRICS=$OUT/metrics.tsv
: > "$METRICS"
metric() { printf '%s\t%s\n' "$1" "$2" >> "$METRICS"; }
metric started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
metric loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
metric command "$([ "${SKIP_INSTRUCTIONS:-0}" = 1 ] && echo 'SKIP_INSTRUCTIONS=1 ')ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP READY_RUNS=$READY_RUNS CONNS=\"$CONNS\" RECORDS=$RECORDS bash bench/run.sh"
T0=$SECONDS
# 1-minute load average sampled every 10 s for the whole run (other work on the machine shows up here).
( while sleep 10; do cut -d' ' -f1 /proc/loadavg; done ) > "$OUT/loadavg.txt" &
PIDS+=("$!")

# --- 1. build ----------------------------------------------------------------------------------------
# Built as the Docker image ships it: release, Swift runtime linked statically.
BUILD_FLAGS=(-c release --static-swift-stdlib --scratch-path .build-bench)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building session-mock (release, --static-swift-stdlib, .build-bench)"
    swift build "${BUILD_FLAGS[@]}" --product session-mock 2>&1 | tail -n 3 >&2
fi
BIN=$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/session-mock
[ -x "$BIN" ] || { echo "no binary at $BIN (build failed?)" >&2; exit 1; }
# The engine's ceiling: libmicrohttpd alone, configured as session-mock configures it.
BARE=$(bash "$BENCH/bare_mhd.sh")
metric build_s "$((SECONDS - T0))"

# --- 2. inputs: the 100k seed, nginx config, WireMock mappings ---------------------------------------
BIG_SEED=$OUT/seed-${RECORDS}.json
if [ ! -s "$BIG_SEED" ] || [ "$BENCH/gen_seed.py" -nt "$BIG_SEED" ] || [ "$ROOT/Seeds/default.json" -nt "$BIG_SEED" ]; then
    log "generating $BIG_SEED"
    $PY "$BENCH/gen_seed.py" "$BIG_SEED" --sessions "$RECORDS" --challenges "$RECORDS"
fi
"$BIN" validate "$BIG_SEED" >/dev/null

NGINX_CONF=$OUT/nginx.conf
$PY - "$BENCH/nginx.conf.in" "$NGINX_CONF" "$OUT" "$NGINX_PORT" "$BENCH/fixtures" <<'EOF'
import sys
template, target, out, port, fixtures = sys.argv[1:]
text = open(template).read()
for name, file in (("CHALLENGE_BODY", "challenge.json"), ("SESSION_BODY", "session.json")):
    body = open("%s/%s" % (fixtures, file), "rb").read().decode()
    assert "'" not in body and "\\" not in body and "$" not in body, "body needs nginx escaping"
    text = text.replace("@%s@" % name, body)
text = text.replace("@OUT@", out).replace("@PORT@", port).replace("@WORKERS@", "auto")
open(target, "w").write(text)
EOF
"$NGINX" -t -q -c "$NGINX_CONF" -p "$OUT" 2>&1 | grep -v 'could not open error log file' >&2 || true
cp -r "$BENCH/wiremock/mappings" "$OUT/wiremock-root/"

SM_CMD=("$BIN" serve --host 127.0.0.1 --log-level warning)
BARE_CMD=("$BARE" serve --fixtures "$BENCH/fixtures")
NGINX_CMD=("$NGINX" -c "$NGINX_CONF" -p "$OUT")
WM_CMD=(java -jar "$WM_JAR" --bind-address 127.0.0.1 --root-dir "$OUT/wiremock-root"
        --no-request-journal --disable-request-logging --disable-banner --container-threads 8
        --disable-gzip --use-chunked-encoding never)

# --- 3. cold starts ------------------------------------------------------------------------------------
ready() {  # name port path header -- cmd...
    local name=$1 port=$2 path=$3 header=$4; shift 5
    log "cold starts: $name x$READY_RUNS"
    local json
    json=$($PY "$BENCH/probe.py" ready "$port" "$path" -H "$header" --runs "$READY_RUNS" --log "$OUT/cold-$name.log" -- "$@")
    metric "ready/$name" "$json"
}
ready session-mock "$COLD_PORT" /__admin/health 'Accept: */*' -- "${SM_CMD[@]}" --port "$COLD_PORT"
ready session-mock-${RECORDS} "$((COLD_PORT + 1))" /__admin/health 'Accept: */*' -- "${SM_CMD[@]}" --port "$((COLD_PORT + 1))" --seeds "$BIG_SEED"
ready bare-mhd "$((COLD_PORT + 4))" /__admin/health 'Accept: */*' -- "${BARE_CMD[@]}" --port "$((COLD_PORT + 4))"
sed "s/$NGINX_PORT/$((COLD_PORT + 2))/g" "$NGINX_CONF" > "$OUT/nginx-cold.conf"
ready nginx "$((COLD_PORT + 2))" /__admin/health 'Accept: */*' -- "$NGINX" -c "$OUT/nginx-cold.conf" -p "$OUT"
ready wiremock "$((COLD_PORT + 3))" "$CHALLENGE_PATH" "$CHALLENGE_HEADER" -- "${WM_CMD[@]}" --port "$((COLD_PORT + 3))"

# --- 4. the five servers --------------------------------------------------------------------------------
declare -A PORT PID
PORT[session-mock]=$SM_PORT PORT[nginx]=$NGINX_PORT PORT[wiremock]=$WM_PORT PORT[sm-big]=$BIG_PORT PORT[bare-mhd]=$BARE_PORT
start() {  # name -- cmd...
    local name=$1; shift 2
    "$@" > "$OUT/$name.log" 2>&1 &
    PID[$name]=$!
    PIDS+=("$!")
}
start session-mock -- "${SM_CMD[@]}" --port "$SM_PORT"
start sm-big -- "${SM_CMD[@]}" --port "$BIG_PORT" --seeds "$BIG_SEED"
start bare-mhd -- "${BARE_CMD[@]}" --port "$BARE_PORT"
start nginx -- "${NGINX_CMD[@]}"
start wiremock -- "${WM_CMD[@]}" --port "$WM_PORT"
for name in session-mock sm-big bare-mhd nginx; do
    $PY "$BENCH/probe.py" wait "${PORT[$name]}" /__admin/health 180
done
$PY "$BENCH/probe.py" wait "$WM_PORT" "$CHALLENGE_PATH" 60 -H "$CHALLENGE_HEADER"

log "checking bodies (byte-identical to bench/fixtures/)"
for name in session-mock sm-big bare-mhd nginx wiremock; do
    for ep in challenge session; do
        if [ $ep = challenge ]; then path=$CHALLENGE_PATH header=$CHALLENGE_HEADER; else path=$SESSION_PATH header=$SESSION_HEADER; fi
        $PY "$BENCH/probe.py" fetch "${PORT[$name]}" "$path" -H "$header" > "$OUT/body-$name-$ep.json" \
            || { echo "$name: $path did not answer 200" >&2; exit 1; }
        if ! cmp -s "$OUT/body-$name-$ep.json" "$BENCH/fixtures/$ep.json"; then
            echo "$name: body of $path differs from bench/fixtures/$ep.json:" >&2
            diff <(cat "$BENCH/fixtures/$ep.json"; echo) <(cat "$OUT/body-$name-$ep.json"; echo) >&2 || true
            exit 1
        fi
    done
done
sleep 1
for name in session-mock sm-big bare-mhd nginx wiremock; do metric "rss_idle/$name" "$($PY "$BENCH/probe.py" rss "${PID[$name]}")"; done

# --- 5. load --------------------------------------------------------------------------------------------
# run_wrk LABEL SERVER ENDPOINT CONNS SECONDS [lua KIND N]   (LABEL "" = warm-up, output dropped)
run_wrk() {
    local label=$1 server=$2 ep=$3 conns=$4 dur=$5 mode=${6:-static} kind=${7:-} n=${8:-0}
    local path header args
    if [ "$ep" = challenge ]; then path=$CHALLENGE_PATH header=$CHALLENGE_HEADER; else path=$SESSION_PATH header=$SESSION_HEADER; fi
    if [ "$mode" = static ]; then
        args=(-H "$header" "http://127.0.0.1:${PORT[$server]}$path")
    else
        args=(-s "$BENCH/wrk/keys.lua" "http://127.0.0.1:${PORT[$server]}" -- "$kind" "$n")
    fi
    local file=/dev/null cpu0=0
    if [ -n "$label" ]; then
        file=$OUT/raw/$label.txt
        cpu0=$($PY "$BENCH/probe.py" cpu "${PID[$server]}")
    fi
    timeout $((dur + 60)) wrk -t"$WRK_THREADS" -c"$conns" -d"${dur}s" --timeout 5s --latency "${args[@]}" > "$file" 2>&1 \
        || { echo "wrk failed for $label ($server $ep c=$conns)" >&2; cat "$file" >&2; exit 1; }
    # Server CPU time (user + system, all threads and workers) during the run: robust on a noisy machine.
    [ -n "$label" ] && metric "cpu/$label" "$(( $($PY "$BENCH/probe.py" cpu "${PID[$server]}") - cpu0 ))"
    return 0
}

# Samples RSS while a load run goes on; the peak is recorded.
with_rss() {  # name cmd...
    local name=$1; shift
    local tmp=$OUT/rss-peak.tmp
    $PY "$BENCH/probe.py" rss-peak "$((DUR_S > 1 ? DUR_S - 1 : 1))" "${PID[$name]}" > "$tmp" &
    local sampler=$!
    "$@"
    wait "$sampler"
    metric "rss_load/$name" "$(cat "$tmp")"
}

log "warm-up: ${WARM_S}s per server and endpoint (c=64)"
for name in session-mock bare-mhd nginx wiremock sm-big; do
    for ep in challenge session; do run_wrk "" "$name" "$ep" 64 "$WARM_S"; done
done
run_wrk "" sm-big challenge 64 "$WARM_S" lua challenge "$RECORDS"
run_wrk "" sm-big session 64 "$WARM_S" lua session "$RECORDS"

SERVERS=(session-mock bare-mhd nginx wiremock)
for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS"
    for ep in challenge session; do
        for conns in $CONNS; do
            for i in 0 1 2 3; do
                name=${SERVERS[$(((i + round) % 4))]}
                label="r${round}__${name}__${ep}__c${conns}__static"
                if [ "$conns" = "$(echo $CONNS | awk '{print $NF}')" ]; then
                    with_rss "$name" run_wrk "$label" "$name" "$ep" "$conns" "$DUR_S"
                else
                    run_wrk "$label" "$name" "$ep" "$conns" "$DUR_S"
                fi
            done
        done
        # Record count: the same Lua request() path for 1 key of the 10-record default seed and for
        # random keys among RECORDS; plus the static request against the big seed.
        c0=$(echo $CONNS | awk '{print $1}')
        for i in 0 1 2; do
            case $(((i + round) % 3)) in
                0) run_wrk "r${round}__session-mock__${ep}__c${c0}__lua1" session-mock "$ep" "$c0" "$DUR_S" lua "$ep" 0 ;;
                1) with_rss sm-big run_wrk "r${round}__sm-big__${ep}__c${c0}__luaN" sm-big "$ep" "$c0" "$DUR_S" lua "$ep" "$RECORDS" ;;
                2) run_wrk "r${round}__sm-big__${ep}__c${c0}__static" sm-big "$ep" "$c0" "$DUR_S" ;;
            esac
        done
    done
done
sleep 2
for name in session-mock sm-big bare-mhd nginx wiremock; do metric "rss_after/$name" "$($PY "$BENCH/probe.py" rss "${PID[$name]}")"; done

# --- 6. instructions per request (valgrind callgrind) ---------------------------------------------------
# Deterministic where the req/s and CPU figures above are noisy. The servers above stay up, idle.
if [ "${SKIP_INSTRUCTIONS:-0}" != 1 ]; then
    log "instructions per request: bench/instructions.sh (callgrind)"
    T1=$SECONDS
    if ! BINS="session-mock=$BIN bare-mhd=$BARE" DURATION=8 CONNS=16 TOP=0 PORT_BASE=$((PORT_BASE + 20)) \
            bash "$BENCH/instructions.sh" > "$OUT/instructions.txt"; then
        log "bench/instructions.sh failed; the report shows what it measured before that"
    fi
    cat "$OUT/instructions.txt" >&2
    metric instructions_s "$((SECONDS - T1))"
fi
metric elapsed_s "$((SECONDS - T0))"
metric loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
metric loadavg_during "$(sort -n "$OUT/loadavg.txt" | awk '{v[NR]=$1} END {if (NR) printf "min %s / median %s / max %s (1-min, %d samples every 10 s)", v[1], v[int((NR+1)/2)], v[NR], NR; else print "?"}')"

# --- 7. report ------------------------------------------------------------------------------------------
log "done in $((SECONDS - T0)) s; writing the table"
$PY "$BENCH/report.py" --out "$OUT" --records "$RECORDS" --results "$RESULTS" --nginx "$NGINX" --jar "$WM_JAR"

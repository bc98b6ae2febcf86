#!/usr/bin/env bash
# Syscalls and server CPU per request on keep-alive HTTP/1.1, session-mock against nginx (the
# reference), measured in the same run so the noise of a shared machine hits both alike.
#
#   bash bench/syscalls.sh              # the .build-bench release binary (bench/run.sh builds it) and bench/bare_mhd.c
#   BINS="/tmp/old/session-mock new=.build-bench/release/session-mock" bash bench/syscalls.sh
#
# For each server (session-mock binaries in BINS, as NAME=PATH or PATH, plus nginx configured like
# bench/run.sh) and each endpoint:
#   - syscalls per request: `perf stat` on the syscall tracepoints of the server's threads (cheap,
#     so the event batching under load stays realistic) while wrk runs DURATION, divided by the
#     requests wrk completed. One pass (the counts are stable).
#   - CPU per request: utime+stime delta of the server process(es) from /proc (no perf attached)
#     during a wrk run of DURATION, divided by the requests; ROUNDS rounds, servers in rotating
#     order, median reported.
# Environment: ROUNDS (3) DURATION (5) CONNS (64) WRK_THREADS (1) PORT_BASE (18700)
#              STRACE=1 also prints `strace -c -f` for one shorter run per server (slow; shape only).
# Loopback only; every run is bounded by wrk -d and `timeout`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/syscalls
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-1}
PORT_BASE=${PORT_BASE:-18700}
BINS=${BINS:-"session-mock=.build-bench/release/session-mock bare-mhd=$(bash bench/bare_mhd.sh)"}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$OUT/nginx-tmp"

CHALLENGE_PATH='/users/session-challenge?code=K7PX-22QA'
CHALLENGE_HEADER='X-WalletKit-Project-ID: proj_demo'
SESSION_PATH='/v2/sessions/312909075212468632'
SESSION_HEADER='Authorization: Bearer admin-pat'
EVENTS=(raw_syscalls:sys_enter syscalls:sys_enter_poll syscalls:sys_enter_epoll_wait syscalls:sys_enter_epoll_pwait
        syscalls:sys_enter_epoll_ctl syscalls:sys_enter_recvfrom syscalls:sys_enter_read
        syscalls:sys_enter_sendmsg syscalls:sys_enter_sendto syscalls:sys_enter_writev
        syscalls:sys_enter_write syscalls:sys_enter_setsockopt syscalls:sys_enter_accept4
        syscalls:sys_enter_futex syscalls:sys_enter_close syscalls:sys_enter_shutdown)

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A PORT PID
NAMES=()
port=$PORT_BASE
for spec in $BINS; do
    if [[ $spec == *=* ]]; then name=${spec%%=*}; bin=${spec#*=}; else name=sm$((${#NAMES[@]} + 1)); bin=$spec; fi
    "$bin" serve --host 127.0.0.1 --port "$port" --log-level warning > "$OUT/$name.log" 2>&1 &
    PID[$name]=$!; PIDS+=("$!"); PORT[$name]=$port; NAMES+=("$name")
    port=$((port + 1))
done
python3 - bench/nginx.conf.in "$OUT/nginx.conf" "$OUT" "$port" bench/fixtures <<'EOF'
import sys
template, target, out, port, fixtures = sys.argv[1:]
text = open(template).read()
for name, file in (("CHALLENGE_BODY", "challenge.json"), ("SESSION_BODY", "session.json")):
    text = text.replace("@%s@" % name, open("%s/%s" % (fixtures, file), "rb").read().decode())
open(target, "w").write(text.replace("@OUT@", out).replace("@PORT@", port).replace("@WORKERS@", "auto"))
EOF
"$NGINX" -c "$OUT/nginx.conf" -p "$OUT" > "$OUT/nginx.log" 2>&1 &
PID[nginx]=$!; PIDS+=("$!"); PORT[nginx]=$port; NAMES+=(nginx)
for name in "${NAMES[@]}"; do python3 bench/probe.py wait "${PORT[$name]}" /__admin/health 60; done

# The PIDs doing the work: session-mock itself, nginx's workers.
workers() { if [ "$1" = nginx ]; then pgrep -d, -P "${PID[nginx]}"; else echo "${PID[$1]}"; fi; }

# utime and stime (clock ticks, 100/s) summed over the PIDs, all threads.
ticks() {
    local pid u=0 s=0 f
    for pid in ${1//,/ }; do
        # Fields after "(comm) ": utime and stime are the 12th and 13th.
        read -r -a f <<< "$(sed 's/.*) //' "/proc/$pid/stat")"
        u=$((u + f[11])); s=$((s + f[12]))
    done
    echo "$u $s"
}

# wrk NAME ENDPOINT SECONDS -> prints the completed request count
wrk_run() {
    local name=$1 ep=$2 secs=$3 path header
    if [ "$ep" = challenge ]; then path=$CHALLENGE_PATH header=$CHALLENGE_HEADER; else path=$SESSION_PATH header=$SESSION_HEADER; fi
    timeout $((secs + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${secs}s" --timeout 5s -H "$header" \
        "http://127.0.0.1:${PORT[$name]}$path" > "$OUT/wrk-$name-$ep.txt" 2>&1
    grep -q 'Non-2xx' "$OUT/wrk-$name-$ep.txt" && { echo "$name $ep: non-2xx answers" >&2; exit 1; }
    awk '/requests in/ {print $1}' "$OUT/wrk-$name-$ep.txt"
}

for name in "${NAMES[@]}"; do for ep in challenge session; do wrk_run "$name" "$ep" 2 > /dev/null; done; done

echo "== syscalls per request (perf stat tracepoints, c=$CONNS, ${DURATION}s)"
for ep in challenge session; do
    for name in "${NAMES[@]}"; do
        perf stat -x, -o "$OUT/perf-$name-$ep.csv" -e "$(IFS=,; echo "${EVENTS[*]}")" -p "$(workers "$name")" &
        perf=$!
        sleep 0.3
        n=$(wrk_run "$name" "$ep" "$DURATION")
        sleep 0.2
        kill -INT "$perf"; wait "$perf" || true
        awk -F, -v n="$n" -v who="$name/$ep" '
            $3 ~ /sys_enter/ && $1+0 > 0 { ev=$3; sub(/.*sys_enter_?/, "", ev); if (ev=="") ev="TOTAL"; printf "%s %s=%.2f", (c++ ? "" : sprintf("%-22s req=%-8d", who, n)), ev, $1/n }
            END { print "" }' "$OUT/perf-$name-$ep.csv"
    done
done

if [ "${STRACE:-0}" = 1 ]; then
    for name in "${NAMES[@]}"; do
        args=()
        for pid in $(workers "$name" | tr , ' '); do args+=(-p "$pid"); done
        timeout 20 strace -c -f -o "$OUT/strace-$name.txt" "${args[@]}" &
        st=$!
        sleep 0.5
        n=$(wrk_run "$name" challenge 2)
        sleep 0.3
        kill -INT "$st"; wait "$st" || true
        echo "== strace -c $name challenge ($n requests)"
        awk -v n="$n" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ { printf "  %-14s %7.3f/req  (errors %s)\n", $NF, $4/n, ($5 ~ /^[0-9]+$/ ? $5 : 0) }' "$OUT/strace-$name.txt"
    done
fi

echo "== server CPU µs per request (utime+stime / requests, c=$CONNS, ${DURATION}s, $ROUNDS rounds)"
declare -A CPU
for round in $(seq 1 "$ROUNDS"); do
    for ep in challenge session; do
        count=${#NAMES[@]}
        for i in $(seq 0 $((count - 1))); do
            name=${NAMES[$(((i + round) % count))]}
            pids=$(workers "$name")
            read -r u0 s0 <<< "$(ticks "$pids")"
            n=$(wrk_run "$name" "$ep" "$DURATION")
            read -r u1 s1 <<< "$(ticks "$pids")"
            # ticks are 10 ms: µs per request = ticks * 10000 / requests
            read -r us uus sus <<< "$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$n" \
                'BEGIN { printf "%.2f %.2f %.2f", (u + s) * 10000 / n, u * 10000 / n, s * 10000 / n }')"
            CPU[$name/$ep]="${CPU[$name/$ep]:-} $us"
            printf '  round %d %-22s %8d req  %6s µs/req  (user %s, sys %s)\n' "$round" "$name/$ep" "$n" "$us" "$uus" "$sus"
        done
    done
done
echo "== medians"
for ep in challenge session; do
    for name in "${NAMES[@]}"; do
        printf '  %-22s %s µs/req   (rounds:%s)\n' "$name/$ep" \
            "$(echo "${CPU[$name/$ep]}" | tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')" "${CPU[$name/$ep]}"
    done
done

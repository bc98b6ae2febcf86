#!/usr/bin/env bash
# User-space instructions per request (valgrind callgrind's Ir), a deterministic counterpart to the
# CPU-time figures of bench/syscalls.sh: this machine has no hardware counters (perf stat
# instructions is "not supported") and its timings are noisy.
#
#   bash bench/instructions.sh          # the .build-bench release binary (bench/run.sh builds it) and bench/bare_mhd.c
#   BINS="old=/tmp/old/session-mock new=.build-bench/release/session-mock" bash bench/instructions.sh
#
# Each binary runs under callgrind; after a warm-up the counters are zeroed, wrk drives one
# endpoint for DURATION seconds over CONNS keep-alive connections, the counters are dumped and
# divided by the requests wrk completed. Kernel time is not counted (see bench/syscalls.sh).
# The whole-process figure includes libmicrohttpd's polling while connections wait for wrk, which
# grows when the machine is slow; "handler" is the request handler's inclusive count per queued
# response (session-mock's accessHandler, bare_mhd.c's handle), which leaves it out.
# Environment: DURATION (8) CONNS (16) PORT_BASE (18800) TOP (0: print the TOP costliest functions)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$PWD/bench/out/instructions
DURATION=${DURATION:-8}
CONNS=${CONNS:-16}
PORT_BASE=${PORT_BASE:-18800}
TOP=${TOP:-0}
BINS=${BINS:-"session-mock=.build-bench/release/session-mock bare-mhd=$(bash bench/bare_mhd.sh)"}
mkdir -p "$OUT"
command -v valgrind >/dev/null || { echo "valgrind is missing" >&2; exit 1; }

CHALLENGE=(-H 'X-WalletKit-Project-ID: proj_demo' '/users/session-challenge?code=K7PX-22QA')
SESSION=(-H 'Authorization: Bearer admin-pat' '/v2/sessions/312909075212468632')

VG=""
cleanup() { [ -n "$VG" ] && kill -TERM "$VG" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$PORT_BASE
for spec in $BINS; do
    if [[ $spec == *=* ]]; then name=${spec%%=*}; bin=${spec#*=}; else name=$(basename "$spec"); bin=$spec; fi
    for ep in challenge session; do
        if [ "$ep" = challenge ]; then args=("${CHALLENGE[@]}"); else args=("${SESSION[@]}"); fi
        rm -f "$OUT/callgrind.$name.$ep".*
        valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$name.$ep.%p" \
            "$bin" serve --host 127.0.0.1 --port "$port" --log-level warning > "$OUT/$name.$ep.log" 2>&1 &
        VG=$!
        python3 bench/probe.py wait "$port" /__admin/health 120
        url="http://127.0.0.1:$port${args[2]}"
        timeout 60 wrk -t1 -c"$CONNS" -d3s --timeout 10s -H "${args[1]}" "$url" > /dev/null
        callgrind_control --zero "$VG" > /dev/null
        timeout $((DURATION + 60)) wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 10s -H "${args[1]}" "$url" > "$OUT/wrk.$name.$ep.txt"
        callgrind_control --dump="measured" "$VG" > /dev/null
        sleep 1
        kill -TERM "$VG"; wait "$VG" || true; VG=""
        n=$(awk '/requests in/ {print $1}' "$OUT/wrk.$name.$ep.txt")
        grep -q 'Non-2xx' "$OUT/wrk.$name.$ep.txt" && { echo "$name $ep: non-2xx answers" >&2; exit 1; }
        # The dump with "measured" in its trigger holds the counts since --zero.
        dump=$(grep -l 'measured' "$OUT/callgrind.$name.$ep".* | head -1)
        ir=$(awk '/^summary:/ {print $2}' "$dump")
        callgrind_annotate --threshold=100 --auto=no "$dump" 2>/dev/null > "$dump.txt"
        # valgrind counts every iteration of `rep stosb` as an instruction, so libmicrohttpd's
        # per-request memset of its connection buffer (one instruction on hardware) is shown apart.
        ms=$(awk '/:__memset_/ {gsub(",", "", $1); s += $1} END {print s + 0}' "$dump.txt")
        # The request handler (session-mock's accessHandler, bare_mhd.c's handle) inclusive of what it calls,
        # per call of MHD_queue_response: leaves out libmicrohttpd's polling and parsing, so the idle polling
        # that a slow machine adds to the whole-process figure does not show up here.
        hi=$(callgrind_annotate --threshold=100 --inclusive=yes --auto=no "$dump" 2>/dev/null | awk '
            { c = $1; gsub(",", "", c); fn = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", fn); sub(/ .*$/, "", fn); sub(/^.*:/, "", fn)
              if ((fn ~ /accessHandler/ || fn == "handle") && c + 0 > max) max = c + 0 }
            END { print max + 0 }') || true
        # --tree=caller lists each function's callers ("<" lines, with call counts) above the function ("*").
        calls=$(callgrind_annotate --threshold=100 --inclusive=yes --tree=caller --auto=no "$dump" 2>/dev/null | awk '
            /^[ \t]*$/ { calls = 0; next }
            / < / { if (match($0, /\([0-9,]+x\)/)) { k = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", k); calls += k }; next }
            / \* / { fn = $0; sub(/^.* \* +/, "", fn); sub(/ .*$/, "", fn); sub(/^.*:/, "", fn)
                     if (fn == "MHD_queue_response" && !found) found = calls }
            END { print found + 0 }') || true
        handler=""
        if [ "${hi:-0}" -gt 0 ] && [ "${calls:-0}" -gt 0 ]; then
            handler=$(awk -v h="$hi" -v q="$calls" 'BEGIN {printf "  handler %.0f/request (%d responses queued)", h / q, q}')
        fi
        printf '%-10s %-9s %7d requests  %8.0f instructions/request (user space)  %8.0f without memset  (memset %.0f)%s\n' \
            "$name" "$ep" "$n" "$(awk -v i="$ir" -v n="$n" 'BEGIN {print i / n}')" \
            "$(awk -v i="$ir" -v m="$ms" -v n="$n" 'BEGIN {print (i - m) / n}')" "$(awk -v m="$ms" -v n="$n" 'BEGIN {print m / n}')" \
            "$handler"
        if [ "$TOP" -gt 0 ]; then
            grep -E '^ *[0-9,]+ \(' "$dump.txt" | grep -v -E 'PROGRAM TOTALS|:clone |:start_thread ' | head -n "$TOP" \
                | awk -v n="$n" '{ c=$1; gsub(",", "", c); $1=""; $2=""; printf "      %7.0f %s\n", c / n, substr($0, 3, 150) }'
        fi
        port=$((port + 1))
    done
done

#!/usr/bin/env bash
# The ZITADEL session lifecycle under load, against GetSession in the same run: wrk drives
# CreateSession (a user and a password check each) and SetSession (a password check on one
# session, so each request rotates its token and moves its sequence), then GetSession of a seeded
# session, over keep-alive REST, ROUNDS rounds in rotating order; medians and ratios to GetSession.
# The scenario is the default one plus USERS generated ZITADEL users; CreateSession logs in a random
# one of them per request (wrk Lua), so the user lookup and the store work on a realistic table.
#
#   bash bench/lifecycle.sh            # release binary from .build-bench (built if missing)
# Environment: ROUNDS (3) DURATION (5s) CONNS (16) PORT (18900) USERS (10000)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$PWD/bench/out/lifecycle
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-16}
PORT=${PORT:-18900}
USERS=${USERS:-10000}
BIN=.build-bench/release/session-mock
mkdir -p "$OUT"
[ -x "$BIN" ] || swift build -c release --build-path .build-bench --product session-mock >/dev/null
command -v wrk >/dev/null || { echo "wrk is missing" >&2; exit 1; }

SEED=$OUT/users-$USERS.json
python3 - "$SEED" "$USERS" <<'PY'
import json, sys
out, count = sys.argv[1], int(sys.argv[2])
seed = json.load(open("Seeds/default.json"))
seed["description"] = "bench: the default scenario plus %d generated ZITADEL users" % count
seed["zitadel"]["users"] += [{"userId": str(400000000000000000 + i), "loginName": "user%d@bench.example" % i,
                              "displayName": "Bench User %d" % i, "organizationId": "312908994858385304",
                              "password": "pw-%d" % i} for i in range(count)]
json.dump(seed, open(out, "w"))
PY
"$BIN" serve --port "$PORT" --log-level warning --journal-size 1000 --seeds "$SEED" > "$OUT/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
python3 bench/probe.py wait "$PORT" /__admin/health 60
base=http://127.0.0.1:$PORT
created=$(curl -s -X POST "$base/v2/sessions" -H 'Authorization: Bearer login-pat' \
    -d '{"checks":{"user":{"loginName":"minnie@example.com"}}}')
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessionId"])')

lua() {  # method, path, body
    cat > "$OUT/$4.lua" <<LUA
wrk.method = "$1"
wrk.path = "$2"
wrk.body = '$3'
wrk.headers["Authorization"] = "Bearer login-pat"
wrk.headers["Content-Type"] = "application/json"
LUA
}
# CreateSession: a random generated user and its password per request.
cat > "$OUT/create.lua" <<LUA
wrk.method = "POST"
wrk.path = "/v2/sessions"
wrk.headers["Authorization"] = "Bearer login-pat"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(7)
request = function()
    local i = math.random(0, $USERS - 1)
    local body = string.format('{"checks":{"user":{"loginName":"user%d@bench.example"},"password":{"password":"pw-%d"}}}', i, i)
    return wrk.format(nil, nil, nil, body)
end
LUA
lua PATCH "/v2/sessions/$id" '{"checks":{"password":{"password":"V3ryS3cure!"}}}' set
cat > "$OUT/get.lua" <<'LUA'
wrk.method = "GET"
wrk.path = "/v2/sessions/312909075212468632"
wrk.headers["Authorization"] = "Bearer admin-pat"
LUA

declare -A results
order=(get create set)
for round in $(seq 1 "$ROUNDS"); do
    for name in "${order[@]}"; do
        wrk -t1 -c"$CONNS" -d"$DURATION" --timeout 10s -s "$OUT/$name.lua" "$base" > "$OUT/$name.$round.txt"
        grep -q 'Non-2xx' "$OUT/$name.$round.txt" && { echo "$name: non-2xx answers" >&2; cat "$OUT/$name.$round.txt" >&2; exit 1; }
        results[$name]+="$(awk '/^Requests\/sec/ {print $2}' "$OUT/$name.$round.txt") "
    done
    order=("${order[@]:1}" "${order[0]}")
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
get=$(echo "${results[get]}" | median)
echo "scenario: default + $USERS ZITADEL users, $CONNS connections, $ROUNDS rounds of $DURATION (medians)"
printf '%-14s %10s req/s\n' GetSession "$get"
for name in create set; do
    value=$(echo "${results[$name]}" | median)
    label=$([ "$name" = create ] && echo CreateSession || echo SetSession)
    printf '%-14s %10s req/s  %.2fx GetSession\n' "$label" "$value" "$(awk -v a="$value" -v b="$get" 'BEGIN {print a / b}')"
done
sessions=$(curl -s "$base/__admin/zitadel/sessions" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')
echo "sessions in the store afterwards: $sessions"

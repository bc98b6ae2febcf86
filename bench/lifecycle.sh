#!/usr/bin/env bash
# The ZITADEL session lifecycle and the login UI's other calls under load, against GetSession in the
# same run: wrk drives CreateSession (a user and a password check each), SetSession (a password check
# on one session, so each request rotates its token and moves its sequence), ListUsers (a loginName
# query), GetLoginSettings and CreateCallback, then GetSession of a seeded session, over keep-alive
# REST, ROUNDS rounds in rotating order; medians and ratios to GetSession.
# The scenario is the default one plus USERS generated ZITADEL users; CreateSession logs in, and
# ListUsers looks up, a random one of them per request (wrk Lua), so the user lookup and the store
# work on a realistic table.
# CreateCallback succeeds once per auth request, so its unit is a pair: GET /oauth/v2/authorize
# (302 to the login UI with ?authRequest=V2_…), then POST /v2/oidc/auth_requests/V2_… with a session
# the script created with a user check. The Lua keeps each thread's auth request ids from the 302s'
# Location and sends a CreateCallback while it has one, else an authorize; its row is pairs/s
# (CreateCallback 200s per second). Any answer other than a 302 with an auth request or a 200 with a
# callbackUrl fails the script (wrk itself counts a 302 as fine).
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
# CreateCallback's session: its own, since SetSession rotates the token of the one above.
linked=$(curl -s -X POST "$base/v2/sessions" -H 'Authorization: Bearer login-pat' \
    -d '{"checks":{"user":{"loginName":"minnie@example.com"}}}')
read -r cb_id cb_token < <(printf '%s' "$linked" |
    python3 -c 'import json,sys; d = json.load(sys.stdin); print(d["sessionId"], d["sessionToken"])')

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
# ListUsers: a loginName query for a random generated user per request.
cat > "$OUT/users.lua" <<LUA
wrk.method = "POST"
wrk.path = "/v2/users"
wrk.headers["Authorization"] = "Bearer login-pat"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(7)
request = function()
    local body = string.format('{"queries":[{"loginNameQuery":{"loginName":"user%d@bench.example"}}]}',
        math.random(0, $USERS - 1))
    return wrk.format(nil, nil, nil, body)
end
LUA
cat > "$OUT/settings.lua" <<'LUA'
wrk.method = "GET"
wrk.path = "/v2/settings/login"
wrk.headers["Authorization"] = "Bearer login-pat"
LUA
# CreateCallback: authorize (302, its auth request id queued from Location), then CreateCallback
# for a queued id; any other answer is counted and printed by done().
cat > "$OUT/callback.lua" <<LUA
local authorize = wrk.format("GET",
    "/oauth/v2/authorize?client_id=app-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback" ..
    "&response_type=code&scope=openid&state=s")
local headers = {["Authorization"] = "Bearer login-pat", ["Content-Type"] = "application/json"}
local body = '{"session":{"sessionId":"$cb_id","sessionToken":"$cb_token"}}'
local queue, first, last = {}, 1, 0
pairs_ok, unexpected, statuses = 0, 0, ""
request = function()
    if first <= last then
        local authRequest = queue[first]
        queue[first] = nil
        first = first + 1
        return wrk.format("POST", "/v2/oidc/auth_requests/" .. authRequest, headers, body)
    end
    return authorize
end
response = function(status, headers, body)
    if status == 302 then
        local authRequest = string.match(headers["Location"] or headers["location"] or "", "authRequest=(V2_%d+)")
        if authRequest then
            last = last + 1
            queue[last] = authRequest
            return
        end
    elseif status == 200 and string.find(body, '"callbackUrl"', 1, true) then
        pairs_ok = pairs_ok + 1
        return
    end
    unexpected = unexpected + 1
    if unexpected <= 5 then statuses = statuses .. " " .. status end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
    local ok, bad, seen = 0, 0, ""
    for _, thread in ipairs(threads) do
        ok = ok + thread:get("pairs_ok")
        bad = bad + thread:get("unexpected")
        seen = seen .. thread:get("statuses")
    end
    io.write(string.format("Pairs: %d\nPairs/sec: %.2f\nUnexpected: %d%s\n",
        ok, ok / (summary.duration / 1e6), bad, bad > 0 and " (first statuses:" .. seen .. ")" or ""))
end
LUA
cat > "$OUT/get.lua" <<'LUA'
wrk.method = "GET"
wrk.path = "/v2/sessions/312909075212468632"
wrk.headers["Authorization"] = "Bearer admin-pat"
LUA

declare -A results
order=(get create set users settings callback)
for round in $(seq 1 "$ROUNDS"); do
    for name in "${order[@]}"; do
        wrk -t1 -c"$CONNS" -d"$DURATION" --timeout 10s -s "$OUT/$name.lua" "$base" > "$OUT/$name.$round.txt"
        grep -q 'Non-2xx' "$OUT/$name.$round.txt" && { echo "$name: non-2xx answers" >&2; cat "$OUT/$name.$round.txt" >&2; exit 1; }
        if [ "$name" = callback ]; then
            grep -q '^Unexpected: 0$' "$OUT/$name.$round.txt" && ! grep -q '^Pairs: 0$' "$OUT/$name.$round.txt" ||
                { echo "$name: an authorize not 302 or a CreateCallback not 200" >&2; cat "$OUT/$name.$round.txt" >&2; exit 1; }
            results[$name]+="$(awk '/^Pairs\/sec/ {print $2}' "$OUT/$name.$round.txt") "
        else
            results[$name]+="$(awk '/^Requests\/sec/ {print $2}' "$OUT/$name.$round.txt") "
        fi
    done
    order=("${order[@]:1}" "${order[0]}")
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
get=$(echo "${results[get]}" | median)
echo "scenario: default + $USERS ZITADEL users, $CONNS connections, $ROUNDS rounds of $DURATION (medians)"
printf '%-16s %10s req/s\n' GetSession "$get"
declare -A labels=([create]=CreateSession [set]=SetSession [users]=ListUsers [settings]=GetLoginSettings
    [callback]=CreateCallback)
for name in create set users settings callback; do
    value=$(echo "${results[$name]}" | median)
    unit=$([ "$name" = callback ] && echo pairs/s || echo req/s)
    printf '%-16s %10s %-7s  %.2fx GetSession%s\n' "${labels[$name]}" "$value" "$unit" \
        "$(awk -v a="$value" -v b="$get" 'BEGIN {print a / b}')" \
        "$([ "$name" = callback ] && echo ' (a pair = authorize 302 + CreateCallback 200)')"
done
sessions=$(curl -s "$base/__admin/zitadel/sessions" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')
echo "sessions in the store afterwards: $sessions"

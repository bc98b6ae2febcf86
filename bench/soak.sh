#!/usr/bin/env bash
# Soak test (outside `make test`): at least 1,000,000 requests against one session-mock over
# keep-alive connections, alternating both endpoints; passes when there are zero errors and RSS
# stays within ±10% of its level after warm-up. Loopback only; bounded by SOAK_SECONDS.
#   bench/soak.sh                 # release build, 1M requests
#   REQUESTS=200000 bench/soak.sh # shorter
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${REQUESTS:-1000000}"
SOAK_SECONDS="${SOAK_SECONDS:-300}"
CONNECTIONS="${CONNECTIONS:-64}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

# Same flags as bench/run.sh and the Docker image (other flags in the same scratch path would rebuild
# everything and replace the binary run.sh measures).
flags=(-c release --static-swift-stdlib --scratch-path .build-bench)
swift build "${flags[@]}" --product session-mock >/dev/null
bin="$(swift build "${flags[@]}" --show-bin-path)/session-mock"
out=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$out"' EXIT
"$bin" serve --port 0 --log-level warning >"$out/stdout" 2>"$out/stderr" &
pid=$!
for _ in $(seq 100); do grep -q listening "$out/stdout" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^session-mock listening on //p' "$out/stdout")
[ -n "$url" ] || { echo "server did not start"; cat "$out/stderr"; exit 1; }

rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
# Both endpoints, alternating, with their required headers.
cat >"$out/both.lua" <<'LUA'
local i = 0
request = function()
  i = i + 1
  if i % 2 == 0 then
    return wrk.format("GET", "/users/session-challenge?code=K7PX-22QA", {["X-WalletKit-Project-ID"] = "proj_demo"})
  end
  return wrk.format("GET", "/v2/sessions/312909075212468632", {["Authorization"] = "Bearer admin-pat"})
end
done = function(summary, latency, requests)
  io.write(string.format("SOAK %d %d %d %d %d %d\n", summary.requests, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
LUA

# Warm-up, then the RSS baseline.
wrk -t2 -c"$CONNECTIONS" -d3s -s "$out/both.lua" "$url" >/dev/null
baseline=$(rss)
total=0; errors=0; samples=("$baseline"); started=$SECONDS
while [ "$total" -lt "$REQUESTS" ] && [ $((SECONDS - started)) -lt "$SOAK_SECONDS" ]; do
    line=$(timeout 60 wrk -t2 -c"$CONNECTIONS" -d5s -s "$out/both.lua" "$url" | grep '^SOAK' || true)
    [ -n "$line" ] && kill -0 "$pid" 2>/dev/null || { echo "FAIL: wrk or the server stopped"; cat "$out/stderr"; exit 1; }
    read -r _ n c r w s t <<<"$line"
    total=$((total + n)); errors=$((errors + c + r + w + s + t))
    samples+=("$(rss)")
    printf 'requests %9d  errors %d  rss %s kB\n' "$total" "$errors" "$(rss)"
done
min=$(printf '%s\n' "${samples[@]}" | sort -n | head -1)
max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
drift=$(awk -v b="$baseline" -v lo="$min" -v hi="$max" 'BEGIN { d1 = (hi - b) / b * 100; d2 = (b - lo) / b * 100; printf "%.1f", (d1 > d2 ? d1 : d2) }')
echo "soak: $total requests, $errors errors, RSS baseline ${baseline} kB, min ${min} kB, max ${max} kB, drift ${drift}%"
ok=1
[ "$total" -ge "$REQUESTS" ] || { echo "FAIL: only $total of $REQUESTS requests in ${SOAK_SECONDS}s"; ok=0; }
[ "$errors" -eq 0 ] || { echo "FAIL: $errors errors"; ok=0; }
awk -v d="$drift" 'BEGIN { exit !(d <= 10) }' || { echo "FAIL: RSS drifted ${drift}% (> 10%)"; ok=0; }
[ "$ok" = 1 ] && echo "soak: PASS"
[ "$ok" = 1 ]

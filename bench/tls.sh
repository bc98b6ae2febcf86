#!/usr/bin/env bash
# HTTPS: session-mock (libmicrohttpd + GnuTLS) against nginx (OpenSSL) serving the same certificate
# (made by `session-mock cert`) and the same body, in the same run, ROUNDS interleaved rounds, medians:
#   keep-alive  wrk -c CONNS over HTTPS: request throughput once connections are up
#   handshake   wrk with `Connection: close`: one full TLS handshake per request (handshakes/s)
#   plain       session-mock over HTTP, the reference for what TLS costs it
# Prints a Markdown table and writes it between the TLS markers of bench/RESULTS.md.
#   bash bench/tls.sh        # release binary from .build-bench (built if missing)
# Environment: ROUNDS (3) DURATION (5s) CONNS (64) PORT (18950: +1 nginx, +2 plain)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$PWD/bench/out/tls
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
PORT=${PORT:-18950}
BIN=.build-bench/release/session-mock
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-core)
if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
rm -rf "$OUT"; mkdir -p "$OUT/nginx-tmp"
[ -x "$BIN" ] || swift build -c release --build-path .build-bench --product session-mock >/dev/null
"$BIN" cert --out "$OUT/certs" >/dev/null
BODY=$(cat bench/fixtures/challenge.json 2>/dev/null || echo '{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}')
BODY=${BODY%$'\n'}

cat > "$OUT/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log warn;
events { worker_connections 4096; use epoll; }
http {
    access_log off;
    default_type application/json;
    server_tokens off;
    keepalive_requests 100000000;
    client_body_temp_path $OUT/nginx-tmp/body;
    proxy_temp_path $OUT/nginx-tmp/proxy;
    fastcgi_temp_path $OUT/nginx-tmp/fastcgi;
    uwsgi_temp_path $OUT/nginx-tmp/uwsgi;
    scgi_temp_path $OUT/nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$((PORT + 1)) ssl backlog=1024;
        ssl_certificate $OUT/certs/server.pem;
        ssl_certificate_key $OUT/certs/server-key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache off;
        ssl_session_tickets off;
        location = /__admin/health { return 200 '{"status":"ok"}'; }
        location = /users/session-challenge { return 200 '$BODY'; }
    }
}
CONF

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null || true' EXIT
"$BIN" serve --port "$PORT" --log-level warning --tls-cert "$OUT/certs/server.pem" --tls-key "$OUT/certs/server-key.pem" > "$OUT/sm.log" 2>&1 &
pids+=($!)
"$BIN" serve --port "$((PORT + 2))" --log-level warning > "$OUT/sm-plain.log" 2>&1 &
pids+=($!)
"$NGINX" -c "$OUT/nginx.conf" -p "$OUT" > "$OUT/nginx.log" 2>&1 &
pids+=($!)
for url in "https://localhost:$PORT" "https://localhost:$((PORT + 1))" "http://localhost:$((PORT + 2))"; do
    for _ in $(seq 1 100); do curl -s --cacert "$OUT/certs/ca.pem" -o /dev/null "$url/__admin/health" && break; sleep 0.1; done
    curl -sf --cacert "$OUT/certs/ca.pem" -o /dev/null "$url/__admin/health" || { echo "no answer from $url" >&2; exit 1; }
done
# The same bytes from both, certificate verified.
sm=$(curl -s --cacert "$OUT/certs/ca.pem" -H 'X-WalletKit-Project-ID: proj_demo' "https://localhost:$PORT/users/session-challenge?code=K7PX-22QA")
ng=$(curl -s --cacert "$OUT/certs/ca.pem" "https://localhost:$((PORT + 1))/users/session-challenge?code=K7PX-22QA")
[ "$sm" = "$ng" ] || { echo "bodies differ: $sm vs $ng" >&2; exit 1; }

path="/users/session-challenge?code=K7PX-22QA"
run() {  # name url extra-header…
    local name=$1 url=$2; shift 2
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H 'X-WalletKit-Project-ID: proj_demo' "$@" "$url$path" > "$OUT/$name.$round.txt"
}
for round in $(seq 1 "$ROUNDS"); do
    run sm-keepalive "https://127.0.0.1:$PORT"
    run nginx-keepalive "https://127.0.0.1:$((PORT + 1))"
    run sm-plain "http://127.0.0.1:$((PORT + 2))"
    run sm-handshake "https://127.0.0.1:$PORT" -H 'Connection: close'
    run nginx-handshake "https://127.0.0.1:$((PORT + 1))" -H 'Connection: close'
done

python3 - "$OUT" "$ROUNDS" "$CONNS" "$DURATION" <<'PY'
import re, statistics, sys, pathlib
out, rounds, conns, duration = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def parse(name):
    rps, p99, errors = [], [], 0
    for r in range(1, rounds + 1):
        text = (out / f"{name}.{r}.txt").read_text()
        rps.append(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
        m = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
        p99.append(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)])
        e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        errors += sum(map(int, e.groups())) if e else 0
        errors += int(re.search(r"Non-2xx or 3xx responses: (\d+)", text).group(1)) if "Non-2xx" in text else 0
    return statistics.median(rps), statistics.median(p99), errors
sm_ka, ng_ka, plain = parse("sm-keepalive"), parse("nginx-keepalive"), parse("sm-plain")
sm_hs, ng_hs = parse("sm-handshake"), parse("nginx-handshake")
rows = [
    ("keep-alive req/s", sm_ka, ng_ka),
    ("handshakes/s (`Connection: close`)", sm_hs, ng_hs),
]
lines = [f"wrk -t2 -c{conns} -d{duration}, {rounds} interleaved rounds, medians; loopback, 2 cores shared with wrk; "
         "the same certificate (ECDSA P-256, `session-mock cert`) and body; nginx 2 workers, session caches off.", "",
         "| | session-mock | nginx | sm/nginx | sm p99 ms | nginx p99 ms | errors sm / nginx |", "| --- | --- | --- | --- | --- | --- | --- |"]
for label, sm, ng in rows:
    lines.append(f"| {label} | {sm[0]:,.0f} | {ng[0]:,.0f} | {sm[0] / ng[0]:.2f} | {sm[1]:.2f} | {ng[1]:.2f} | {sm[2]} / {ng[2]} |")
lines.append("")
lines.append(f"session-mock over plain HTTP in the same run: {plain[0]:,.0f} req/s (p99 {plain[1]:.2f} ms); HTTPS keep-alive is "
             f"{sm_ka[0] / plain[0]:.2f}× of it. One handshake costs session-mock ≈ {1e6 / sm_hs[0] * 2:,.0f} µs of the two "
             f"cores, nginx ≈ {1e6 / ng_hs[0] * 2:,.0f} µs (2 cores / handshakes per second, wrk's share included).")
table = "\n".join(lines)
print(table)
results = pathlib.Path("bench/RESULTS.md")
text = results.read_text()
start, end = "<!-- tls:start -->", "<!-- tls:end -->"
block = f"{start}\n{table}\n{end}"
if start in text:
    text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n## HTTPS (bench/tls.sh)\n\n" + block + "\n"
results.write_text(text)
PY

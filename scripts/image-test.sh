#!/usr/bin/env bash
# make image-test: runs the built image the way `docker run` would, from the image's own config
# (Entrypoint, Cmd, User, Env, WorkingDir, ExposedPorts, Volumes, Healthcheck as `buildah inspect` reads
# them), and checks what a CI user relies on. Uses `docker run` when an engine answers, else buildah
# (chroot isolation, host network: the container's 0.0.0.0:8080 is the host's).
# Fails on the first broken check; prints the image's and the binary's size and the ready time.
set -euo pipefail
cd -P "$(dirname "$0")/.."
source scripts/image-common.sh

IMAGE="${IMAGE:-session-mock:local}"
START=$SECONDS
WORK="$(mktemp -d "${TMPDIR:-/tmp}/session-mock-image-test.XXXXXX")"
CONTAINERS=()
RUN_PID=""

if docker info >/dev/null 2>&1; then
    fail "a Docker engine answers here: this script drives buildah; run the image with docker directly (docker/README.md)"
fi
need_buildah
image_exists "$IMAGE" || fail "no image $IMAGE: run 'make image' first"

cleanup() {
    local rc=$?
    [ -n "$RUN_PID" ] && kill -0 "$RUN_PID" 2>/dev/null && { kill_server_of "$RUN_PID" KILL; wait "$RUN_PID" 2>/dev/null || true; }
    local c
    for c in "${CONTAINERS[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass() { echo "image-test: ok: $*"; }

# ---------------------------------------------------------------------------------------------
step "image config ($IMAGE)"
buildah inspect --type image "$IMAGE" >"$WORK/inspect.json"
# One line per field, shell-quoted: ENTRYPOINT=(…) CMD=(…) USER=… ENV=(…) HEALTH=(…) …
python3 - "$WORK/inspect.json" >"$WORK/config.sh" <<'PY'
import json, shlex, sys
doc = json.load(open(sys.argv[1]))
cfg = (doc.get("Docker") or {}).get("config") or {}
def arr(name, v): print(f"{name}=({' '.join(shlex.quote(x) for x in (v or []))})")
arr("ENTRYPOINT", cfg.get("Entrypoint"))
arr("CMD", cfg.get("Cmd"))
arr("ENVS", cfg.get("Env"))
arr("PORTS", sorted((cfg.get("ExposedPorts") or {}).keys()))
arr("VOLUMES", sorted((cfg.get("Volumes") or {}).keys()))
arr("HEALTH", (cfg.get("Healthcheck") or {}).get("Test"))
print(f"USER={shlex.quote(cfg.get('User') or '')}")
print(f"WORKDIR={shlex.quote(cfg.get('WorkingDir') or '')}")
PY
# shellcheck disable=SC1091
source "$WORK/config.sh"
echo "Entrypoint: ${ENTRYPOINT[*]}"; echo "Cmd: ${CMD[*]}"; echo "User: $USER"; echo "Env: ${ENVS[*]}"
echo "ExposedPorts: ${PORTS[*]}"; echo "Volumes: ${VOLUMES[*]}"; echo "Healthcheck: ${HEALTH[*]}"
[ "${#ENTRYPOINT[@]}" -gt 0 ] || fail "the image has no Entrypoint"
[ "${#HEALTH[@]}" -gt 1 ] && [ "${HEALTH[0]}" = CMD ] \
    || fail "the image has no HEALTHCHECK CMD (an OCI-format build drops it: build with --format docker)"
[ -n "$USER" ] && [ "${USER%%:*}" != 0 ] && [ "${USER%%:*}" != root ] || fail "the image runs as root (User '$USER')"
[[ " ${PORTS[*]} " == *" 8080/tcp "* ]] || fail "8080/tcp is not exposed"
[[ " ${VOLUMES[*]} " == *" /seeds "* ]] || fail "/seeds is not a volume"
pass "config: non-root user $USER, 8080/tcp exposed, /seeds a volume, HEALTHCHECK ${HEALTH[*]:1}"

# ---------------------------------------------------------------------------------------------
# new_container: a fresh container of the image (as `docker run` makes one per run); sets CTR, a name of ours, so cleanup can remove it.
new_container() {
    CTR="session-mock-image-test-$$-${#CONTAINERS[@]}"
    buildah from --pull-never --name "$CTR" "$IMAGE" >/dev/null
    CONTAINERS+=("$CTR")
}
# run_in CONTAINER [buildah run options…] -- COMMAND…: with the options `docker run` takes from the image config.
run_in() {
    local ctr=$1; shift
    local opts=(--user "$USER") e
    for e in "${ENVS[@]}"; do opts+=(--env "$e"); done
    [ -n "$WORKDIR" ] && opts+=(--workingdir "$WORKDIR")
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    buildah run "${opts[@]}" "$ctr" "$@"
}
# start_server CONTAINER LOG [options…] -- COMMAND…: runs it in the background; RUN_PID is buildah's pid.
start_server() {
    local ctr=$1 log=$2; shift 2
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    run_in "$ctr" ${opts[@]+"${opts[@]}"} -- "$@" >"$log" 2>&1 &
    RUN_PID=$!
}
# The server process is the session-mock descendant of `buildah run` (signal it, not buildah).
server_pid_of() {
    local parent=$1 pid
    for pid in $(pgrep -x session-mock); do
        local p=$pid
        while [ "$p" -gt 1 ]; do
            p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 1)
            [ "$p" = "$parent" ] && { echo "$pid"; return 0; }
        done
    done
    return 1
}
kill_server_of() { local pid; pid=$(server_pid_of "$1") && kill "-$2" "$pid" 2>/dev/null || true; }
# wait_ready LOG: until the ready line appears (the server's own event), at most 30 s.
wait_ready() {
    local log=$1 i
    for i in $(seq 1 300); do
        grep -q '^session-mock listening on ' "$log" && return 0
        kill -0 "$RUN_PID" 2>/dev/null || { cat "$log" >&2; fail "the container exited before it was ready"; }
        sleep 0.1
    done
    cat "$log" >&2; fail "no ready line within 30 s"
}
# stop_server: SIGTERM to the server; fails unless the container exits 0; sets STOP_MS.
stop_server() {
    local pid t0
    pid=$(server_pid_of "$RUN_PID") || fail "no session-mock process under buildah run $RUN_PID"
    t0=$(date +%s%N)
    kill -TERM "$pid"
    STOP_RC=0
    wait "$RUN_PID" || STOP_RC=$?
    STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    RUN_PID=""
    [ "$STOP_RC" = 0 ] || fail "SIGTERM: the container exited $STOP_RC, not 0"
}
# expect NAME STATUS BODY curl-args…: the exact status and the exact body.
expect() {
    local name=$1 want_status=$2 want_body=$3 status body
    shift 3
    status=$(curl -sS -o "$WORK/body" -w '%{http_code}' --max-time 10 "$@") || fail "$name: curl failed"
    body=$(cat "$WORK/body")
    if [ "$status" != "$want_status" ] || [ "$body" != "$want_body" ]; then
        printf 'wanted %s %s\n got   %s %s\n' "$want_status" "$want_body" "$status" "$body" >&2
        fail "$name"
    fi
    pass "$name -> $status, exact body"
}
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

CHALLENGE='{"id":"sc_01HZX3","code":"K7PX-22QA","expired":false,"completed":false}'
SESSION='{"session":{"id":"312909075212468632","creationDate":"2025-03-06T14:42:07.731226Z","changeDate":"2025-03-06T14:42:08.152937Z","sequence":"4","factors":{"user":{"verifiedAt":"2025-03-06T14:42:07.731226Z","id":"312909037640286104","loginName":"minnie@example.com","displayName":"Minnie Mouse","organizationId":"312908994858385304"},"password":{"verifiedAt":"2025-03-06T14:42:08.152937Z"},"webAuthN":{"verifiedAt":"2025-03-06T14:42:08.152937Z","userVerified":true}},"metadata":{"tenant":"YWNtZQ=="},"userAgent":{"fingerprintId":"fp-8c2f","ip":"203.0.113.7","description":"Chrome 122 on macOS","header":{"accept-language":{"values":["de-CH","en"]}}},"expirationDate":"2025-03-07T02:42:07.731226Z"}}'
URL=http://127.0.0.1:8080

# ---------------------------------------------------------------------------------------------
step "default command: ${ENTRYPOINT[*]} ${CMD[*]}"
port_free 8080 || fail "port 8080 is taken on this machine: the container serves there (host network)"
new_container; C1=$CTR
t0=$(date +%s%N)
start_server "$C1" "$WORK/default.log" -- "${ENTRYPOINT[@]}" "${CMD[@]}"
wait_ready "$WORK/default.log"
READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -m1 '^session-mock listening on ' "$WORK/default.log"
SERVER=$(server_pid_of "$RUN_PID") || fail "no session-mock process under buildah run"
SERVER_UID=$(awk '/^Uid:/ {print $2 ":" $3}' "/proc/$SERVER/status")
SERVER_GID=$(awk '/^Gid:/ {print $2}' "/proc/$SERVER/status")
[ "$SERVER_UID" = 10001:10001 ] && [ "$SERVER_GID" = 10001 ] || fail "server runs as uid $SERVER_UID gid $SERVER_GID, not 10001"
pass "server process $SERVER runs as uid 10001, gid 10001"
ss -Hltn "sport = :8080" | grep -q '0\.0\.0\.0:8080' || { ss -ltn >&2; fail "not listening on 0.0.0.0:8080"; }
pass "listening on 0.0.0.0:8080"
expect "WalletKit GET /users/session-challenge?code=K7PX-22QA (bundled /seeds)" 200 "$CHALLENGE" \
    -H 'X-WalletKit-Project-ID: proj_demo' "$URL/users/session-challenge?code=K7PX-22QA"
expect "ZITADEL GET /v2/sessions/312909075212468632 (bundled /seeds)" 200 "$SESSION" \
    -H 'Authorization: Bearer admin-pat' "$URL/v2/sessions/312909075212468632"
expect "the same over HTTP/2 (prior knowledge: the image's libnghttp2)" 200 "$SESSION" --http2-prior-knowledge \
    -H 'Authorization: Bearer admin-pat' "$URL/v2/sessions/312909075212468632"
curl -sS "$URL/__admin/health" | grep -q '"scenarios":\["default","outage","polling"\]' \
    || fail "health does not list the bundled scenarios default, outage, polling"
pass "health lists the bundled scenarios"
run_in "$C1" -- "${HEALTH[@]:1}" >/dev/null || fail "HEALTHCHECK command exited non-zero while the server serves"
pass "HEALTHCHECK ${HEALTH[*]:1} -> exit 0 while serving"
stop_server
[ "$STOP_MS" -lt 2000 ] || fail "SIGTERM: the container took ${STOP_MS} ms to stop (limit 2000)"
pass "SIGTERM -> exit 0 in ${STOP_MS} ms"
if run_in "$C1" -- "${HEALTH[@]:1}" >/dev/null 2>&1; then fail "HEALTHCHECK still exits 0 after the server stopped"; fi
pass "HEALTHCHECK -> non-zero once stopped"

# ---------------------------------------------------------------------------------------------
# `docker run -v DIR:/seeds` binds over the declared VOLUME. `buildah run` instead puts its own copy of
# the image's /seeds on top of the bind, so this container (not the image) drops the anonymous volume
# first; then the image's own Cmd serves the folder mounted at /seeds, as under docker.
step "a mounted seeds folder is served instead of the bundled one"
mkdir -p "$WORK/seeds" "$WORK/broken"
cat >"$WORK/seeds/default.json" <<'EOF'
{"walletkit": {"sessionChallenges": [{"challenge": {"id": "sc_mounted", "code": "MOUNTED", "expired": false, "completed": true}}]}}
EOF
chmod -R a+rX "$WORK"
new_container; C2=$CTR
buildah config --volume /seeds- "$C2"
port_free 8080 || fail "port 8080 still taken after the first container stopped"
start_server "$C2" "$WORK/mounted.log" -v "$WORK/seeds:/seeds:ro" -- "${ENTRYPOINT[@]}" "${CMD[@]}"
wait_ready "$WORK/mounted.log"
expect "mounted seed served" 200 '{"id":"sc_mounted","code":"MOUNTED","expired":false,"completed":true}' \
    -H 'X-WalletKit-Project-ID: any' "$URL/users/session-challenge?code=MOUNTED"
expect "bundled seed gone" 400 '{"code":"session_challenge_not_found","error":"Session challenge not found"}' \
    -H 'X-WalletKit-Project-ID: any' "$URL/users/session-challenge?code=K7PX-22QA"
stop_server

cat >"$WORK/broken/default.json" <<'EOF'
{"walletkit": {"sessionChallenges": [{"challenge": {"id": "sc_bad", "code": "BAD", "expired": "no", "completed": false}}]}}
EOF
chmod -R a+rX "$WORK/broken"
rc=0
run_in "$C2" -v "$WORK/broken:/seeds:ro" -- "${ENTRYPOINT[@]}" validate /seeds >"$WORK/validate.out" 2>&1 || rc=$?
cat "$WORK/validate.out"
[ "$rc" = 2 ] || fail "validate on a broken seed exited $rc, not 2"
grep -q '/seeds/default.json' "$WORK/validate.out" || fail "validate does not name the file"
grep -qF '$.walletkit.sessionChallenges[0].challenge.expired' "$WORK/validate.out" || fail "validate does not name the JSON path"
grep -q 'expected true or false' "$WORK/validate.out" || fail "validate does not give the reason"
pass "validate -> exit 2 with file, JSON path and reason"

# ---------------------------------------------------------------------------------------------
step "SESSION_MOCK_* environment (Cmd overridden with plain 'serve')"
port_free 18080 || fail "port 18080 is taken on this machine"
new_container; C3=$CTR
start_server "$C3" "$WORK/env.log" --env SESSION_MOCK_PORT=18080 --env SESSION_MOCK_SCENARIO=outage \
    --env SESSION_MOCK_ADMIN_TOKEN=ci-secret --env SESSION_MOCK_LOG_LEVEL=debug \
    --env SESSION_MOCK_CLOCK_START=2026-01-01T00:00:00Z --env SESSION_MOCK_CLOCK_FROZEN=true \
    --env SESSION_MOCK_RANDOM_SEED=42 -- "${ENTRYPOINT[@]}" serve
wait_ready "$WORK/env.log"
grep -q '^session-mock listening on http://0.0.0.0:18080$' "$WORK/env.log" \
    || { cat "$WORK/env.log" >&2; fail "SESSION_MOCK_PORT=18080 (with the image's SESSION_MOCK_HOST) not applied"; }
pass "SESSION_MOCK_PORT and the image's SESSION_MOCK_HOST applied: $(grep -m1 '^session-mock listening' "$WORK/env.log")"
expect "SESSION_MOCK_SCENARIO=outage: first WalletKit call is its fault" 500 '{"code":null,"error":"Internal server error"}' \
    -H 'X-WalletKit-Project-ID: any' "http://127.0.0.1:18080/users/session-challenge?code=RETRY"
status=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:18080/__admin/requests")
[ "$status" = 401 ] || fail "SESSION_MOCK_ADMIN_TOKEN: /__admin/requests without the token answered $status, not 401"
status=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer ci-secret' "http://127.0.0.1:18080/__admin/requests")
[ "$status" = 200 ] || fail "SESSION_MOCK_ADMIN_TOKEN: /__admin/requests with the token answered $status, not 200"
pass "SESSION_MOCK_ADMIN_TOKEN applied (401 without, 200 with)"
clock=$(curl -sS -H 'Authorization: Bearer ci-secret' "http://127.0.0.1:18080/__admin/clock")
case "$clock" in
    '{"scenario":"outage","now":"2026-01-01T00:00:00Z","offsetMs":'*',"frozen":true}') ;;
    *) fail "SESSION_MOCK_CLOCK_START/_FROZEN: /__admin/clock answered $clock" ;;
esac
first=$(curl -sS -X POST -H 'X-WalletKit-Project-ID: proj_demo' -H 'X-Mock-Scenario: default@one' "http://127.0.0.1:18080/users/create-session-challenge")
again=$(curl -sS -X POST -H 'X-WalletKit-Project-ID: proj_demo' -H 'X-Mock-Scenario: default@two' "http://127.0.0.1:18080/users/create-session-challenge")
case "$first" in '{"id":"sc_'*) ;; *) fail "SESSION_MOCK_RANDOM_SEED: create-session-challenge answered $first" ;; esac
[ "$first" = "$again" ] || fail "SESSION_MOCK_RANDOM_SEED: two copies created $first and $again"
pass "SESSION_MOCK_CLOCK_START, _FROZEN and _RANDOM_SEED applied: frozen at 2026-01-01, copies draw the same $first"
stop_server
grep -q 'debug .*GET /users/session-challenge -> 500' "$WORK/env.log" || { cat "$WORK/env.log" >&2; fail "SESSION_MOCK_LOG_LEVEL=debug: the request was not logged"; }
pass "SESSION_MOCK_LOG_LEVEL=debug logs each request"

# ---------------------------------------------------------------------------------------------
step "HTTPS with the image's own certificates (session-mock cert, SESSION_MOCK_TLS_CERT/_KEY)"
mkdir -p "$WORK/certs"
chmod 0777 "$WORK/certs"   # written by the image's user 10001
new_container; C5=$CTR
run_in "$C5" -v "$WORK/certs:/certs" -- "${ENTRYPOINT[@]}" cert --out /certs >/dev/null || fail "session-mock cert --out /certs failed"
for f in ca.pem server.pem server-key.pem ca-key.pem; do [ -s "$WORK/certs/$f" ] || fail "cert did not write $f"; done
[ "$(stat -c %a "$WORK/certs/server-key.pem")" = 600 ] || fail "server-key.pem is not mode 0600"
pass "cert wrote ca.pem, ca-key.pem (0600), server.pem, server-key.pem (0600)"
port_free 8080 || fail "port 8080 still taken"
start_server "$C5" "$WORK/tls.log" -v "$WORK/certs:/certs:ro" --env SESSION_MOCK_TLS_CERT=/certs/server.pem \
    --env SESSION_MOCK_TLS_KEY=/certs/server-key.pem -- "${ENTRYPOINT[@]}" "${CMD[@]}"
wait_ready "$WORK/tls.log"
grep -q '^session-mock listening on https://0.0.0.0:8080$' "$WORK/tls.log" || { cat "$WORK/tls.log" >&2; fail "the ready line does not say https"; }
expect "HTTPS WalletKit GET, certificate verified against ca.pem" 200 "$CHALLENGE" --cacert "$WORK/certs/ca.pem" \
    -H 'X-WalletKit-Project-ID: proj_demo' "https://localhost:8080/users/session-challenge?code=K7PX-22QA"
version=$(curl -sS -o /dev/null -w '%{http_version}' --http2 --cacert "$WORK/certs/ca.pem" "https://localhost:8080/__admin/health")
[ "$version" = 2 ] || fail "HTTPS with ALPN h2 answered over HTTP/$version, not HTTP/2"
pass "HTTPS with ALPN h2 -> HTTP/2"
run_in "$C5" -- "${HEALTH[@]:1}" >/dev/null || fail "HEALTHCHECK command exited non-zero while the server serves HTTPS"
pass "HEALTHCHECK ${HEALTH[*]:1} -> exit 0 while serving HTTPS"
stop_server

# ---------------------------------------------------------------------------------------------
step "sizes"
size_of() { buildah images --format '{{.Size}}' "$1" | head -1; }   # uncompressed, as buildah reports it
IMG=$(size_of "$IMAGE")
BASE=$(size_of docker.io/library/debian:bookworm-slim)
new_container; C4=$CTR
MNT=$(buildah mount "$C4")
BIN_BYTES=$(stat -c %s "$MNT/usr/local/bin/session-mock")
buildah umount "$C4" >/dev/null
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "image $IMAGE (uncompressed):          $IMG"
echo "  its base (debian:bookworm-slim stand-in): $BASE"
echo "session-mock binary:                  $(mib "$BIN_BYTES")"
echo "container ready (buildah run to ready line): ${READY_MS} ms"
echo
echo "image-test: all checks passed in $((SECONDS - START))s"

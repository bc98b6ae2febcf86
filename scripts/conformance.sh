#!/usr/bin/env bash
# Schemathesis against the vendors' own specs, limited to the operations session-mock fakes:
# WalletKit `users_get-session-challenge` and ZITADEL's five Session Service operations.
# Called by `make conformance` after `swift build`.
#
# Environment:
#   SESSION_MOCK_BIN          path to a built session-mock (default: `swift build --show-bin-path`)
#   SWIFT_BUILD_FLAGS         extra flags for that `swift build --show-bin-path` (default: none)
#   SHARED                    folder holding contracts/ (default: ../shared, relative to the repo root)
#   CONFORMANCE_MAX_EXAMPLES  test cases per operation (default: 200)
#   CONFORMANCE_SEED          schemathesis random seed (default: 20250306, so runs repeat)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

SCHEMATHESIS_VERSION=4.32.5
VENV="$REPO_ROOT/.venv"
SHARED_DIR="${SHARED:-../shared}"
SHARED="$(cd "$SHARED_DIR" 2>/dev/null && pwd)" || { echo "conformance: shared folder '$SHARED_DIR' not found (set SHARED)" >&2; exit 2; }
MAX_EXAMPLES="${CONFORMANCE_MAX_EXAMPLES:-200}"
SEED="${CONFORMANCE_SEED:-20250306}"
SEEDS_FILE="$REPO_ROOT/Seeds/default.json"
WALLETKIT_SPEC="$SHARED/contracts/walletkit-openapi.yml"
ZITADEL_SPEC="$SHARED/contracts/zitadel-session-service.swagger.json"
for spec in "$WALLETKIT_SPEC" "$ZITADEL_SPEC"; do
    [[ -f "$spec" ]] || { echo "conformance: missing spec $spec" >&2; exit 2; }
done

# --- Python venv with schemathesis (installed once; reruns skip pip) -----------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
installed="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true)"
if [[ "$installed" != "$SCHEMATHESIS_VERSION" ]]; then
    echo "conformance: installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
ST="$VENV/bin/schemathesis"

# --- The server -----------------------------------------------------------------------------------
NAME=conformance
# shellcheck source=scripts/server_lib.sh
source "$(dirname "$0")/server_lib.sh"
find_session_mock_bin
start_session_mock --seeds "$SEEDS_FILE"
echo "conformance: session-mock at $BASE_URL (seeds: Seeds/default.json)"

# --- Known good identifiers -----------------------------------------------------------------------
# Without them nearly every generated request would end in 400/404, and the 200 bodies would never be
# checked against the vendor schemas. Half of the generated values are drawn from the seed; entries
# that a fault rule targets (forced 500s, delays) are left out: they are the seed's own failures.
"$VENV/bin/python" - "$SEEDS_FILE" >"$WORK/schemathesis.toml" <<'PY'
import json, sys

seed = json.load(open(sys.argv[1], encoding="utf-8"))
faults = seed.get("faults") or []
faulted_codes = {f["match"].get("code") for f in faults if f.get("match")}
faulted_ids = {f["match"].get("sessionId") for f in faults if f.get("match")}
codes = [e["challenge"]["code"] for e in (seed.get("walletkit") or {}).get("sessionChallenges") or []
         if e["challenge"]["code"] not in faulted_codes]
sessions = [e for e in (seed.get("zitadel") or {}).get("sessions") or [] if e["session"]["id"] not in faulted_ids]
ids = [e["session"]["id"] for e in sessions]
tokens = [e["sessionToken"] for e in sessions if e.get("sessionToken")]

def dictionary(name, values):
    if values:
        print(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")
    return bool(values)

bindings = []
if dictionary("walletkit-codes", codes):
    bindings.append('"query.code" = { dictionary = "walletkit-codes", probability = 0.5 }')
if dictionary("zitadel-session-ids", ids):
    bindings.append('"path.sessionId" = { dictionary = "zitadel-session-ids", probability = 0.5 }')
if dictionary("zitadel-session-tokens", tokens):
    bindings.append('"query.sessionToken" = { dictionary = "zitadel-session-tokens", probability = 0.5 }')
print("[parameters]")
print("\n".join(bindings))
PY

# --- Checks that cannot hold for this mock --------------------------------------------------------
# positive_data_acceptance: the vendor specs type `code`, `sessionId` and `sessionToken` as bare
#   strings, but the real services (and the pinned contract) answer 400 to an empty `code`, an unknown
#   challenge code, an empty sessionToken or a sessionId over 200 chars (ZITADEL's proto validation).
WALLETKIT_EXCLUDED="positive_data_acceptance"
ZITADEL_EXCLUDED="positive_data_acceptance"
# The lifecycle operations (contract §7), besides positive_data_acceptance as above:
# negative_data_rejection: the swagger marks each body required, but grpc-gateway (ZITADEL's REST
#   layer) decodes a missing body (io.EOF) as the empty message, and so does the mock; the only
#   "invalid" request this check sends that the mock accepts is that one.
# response_schema_conformance (CreateSession only): the swagger documents 200, but ZITADEL's gateway
#   answers 201 (the proto's http_response.success_code) and the contract pins 201, so the success
#   body is checked against the `default` (rpcStatus) schema. ZitadelLifecycleTests checks it instead.
CREATE_EXCLUDED="positive_data_acceptance,negative_data_rejection,response_schema_conformance"
LIFECYCLE_EXCLUDED="positive_data_acceptance,negative_data_rejection"

declare -a SUMMARY=()
FAILED=0

run_operation() {
    local spec="$1" operation="$2" excluded="$3" header="$4" phases="${5:-examples,coverage,fuzzing}"
    local log="$WORK/$operation.log" rc=0
    echo
    echo "conformance: ---- $operation ($(basename "$spec")) ----"
    (
        cd "$WORK"
        "$ST" --config-file "$WORK/schemathesis.toml" run "$spec" \
            --url "$BASE_URL" \
            --include-operation-id "$operation" \
            -H "$header" \
            --phases "$phases" \
            --checks all \
            --exclude-checks "$excluded" \
            --max-examples "$MAX_EXAMPLES" \
            --seed "$SEED" \
            --continue-on-failure \
            --request-timeout 10 \
            --generation-database none \
            --output-sanitize false \
            --no-color
    ) 2>&1 | tee "$log" || rc=$?
    record_schemathesis_result "$operation" "$rc" "$log"
}

run_operation "$WALLETKIT_SPEC" users_get-session-challenge "$WALLETKIT_EXCLUDED" "X-WalletKit-Project-ID: proj_demo"
run_operation "$ZITADEL_SPEC" SessionService_GetSession "$ZITADEL_EXCLUDED" "Authorization: Bearer admin-pat"
# No examples phase for the bodies: the swagger's `consumes` also lists application/grpc and
# application/grpc-web+proto, which schemathesis cannot serialize (and REST does not take).
run_operation "$ZITADEL_SPEC" SessionService_CreateSession "$CREATE_EXCLUDED" "Authorization: Bearer admin-pat" coverage,fuzzing
for operation in SessionService_SetSession SessionService_DeleteSession SessionService_ListSessions; do
    run_operation "$ZITADEL_SPEC" "$operation" "$LIFECYCLE_EXCLUDED" "Authorization: Bearer admin-pat" coverage,fuzzing
done

echo
summary="$(printf '%s; ' "${SUMMARY[@]}")"
echo "conformance summary: ${summary%; }"
exit "$FAILED"

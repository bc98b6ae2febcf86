#!/usr/bin/env bash
# Schemathesis against the vendors' own specs, limited to the operations session-mock fakes:
# WalletKit `users_get-session-challenge` and its login flow (create-session-challenge,
# login-with-email, login-with-magic-link, verify-login, refresh-token, logout), and ZITADEL's five
# Session Service operations.
# Called by `make conformance` after `swift build`.
#
# Environment:
#   SESSION_MOCK_BIN          path to a built session-mock (default: `swift build --show-bin-path`)
#   SWIFT_BUILD_FLAGS         extra flags for that `swift build --show-bin-path` (default: none)
#   SHARED                    folder holding the vendors' specs in contracts/ (default: ../shared, relative to
#                             the repo root)
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
# The login flow's one-shot values are made here, on the running server: approved challenges for
# verify-login's `session_challenge_code` and sessions for refresh-token's `session_id`/`refresh_token`
# (each works once; the hooks below mint fresh ones for a share of the cases).
PYTHONPATH="$REPO_ROOT/scripts" "$VENV/bin/python" - "$SEEDS_FILE" "$BASE_URL" >"$WORK/schemathesis.toml" <<'PY'
import json, sys

from walletkit_login import LoginFlow

seed = json.load(open(sys.argv[1], encoding="utf-8"))
base = sys.argv[2]
project = "proj_demo"
faults = seed.get("faults") or []
faulted_codes = {f["match"].get("code") for f in faults if f.get("match")}
faulted_ids = {f["match"].get("sessionId") for f in faults if f.get("match")}
walletkit = seed.get("walletkit") or {}
entries = [e for e in walletkit.get("sessionChallenges") or [] if e["challenge"]["code"] not in faulted_codes]
codes = [e["challenge"]["code"] for e in entries]
sessions = [e for e in (seed.get("zitadel") or {}).get("sessions") or [] if e["session"]["id"] not in faulted_ids]
ids = [e["session"]["id"] for e in sessions]
tokens = [e["sessionToken"] for e in sessions if e.get("sessionToken")]
# The users a proj_demo caller can log in as (a user without `project` is in every project).
users = [u for u in walletkit.get("users") or [] if u.get("project") in (None, project)]


flow = LoginFlow(base, project)
call, approved_challenge = flow.call, flow.approved_code


try:
    approved = [approved_challenge() for _ in range(20)]
    login_sessions = [call("POST", "/users/verify-login", {"session_challenge_code": approved_challenge()}) for _ in range(10)]
except Exception as error:  # the fixtures need the login flow to work at all
    sys.exit(f"conformance: could not set up WalletKit login fixtures at {base}: {error}")
# Seeded challenges that are completed, unexpired and of this project (or of every project) verify once too.
approved += [e["challenge"]["code"] for e in entries
             if e["challenge"]["completed"] and not e["challenge"]["expired"] and e.get("project") in (None, project)]


# Each dictionary of known values and the request part schemathesis draws it into half of the time.
dictionaries = [
    ("walletkit-codes", "query.code", codes),
    ("walletkit-emails", "body.email", [u["email"] for u in users]),
    ("walletkit-user-ids", "body.user_id", [u["userId"] for u in users]),
    ("walletkit-verification-codes", "body.verification_code",
     sorted({u["verificationCode"] for u in users if u.get("verificationCode")})),
    ("walletkit-approved-codes", "body.session_challenge_code", approved),
    ("walletkit-session-ids", "body.session_id", [s["id"] for s in login_sessions]),
    ("walletkit-refresh-tokens", "body.refresh_token", [s["refresh_token"] for s in login_sessions]),
    ("zitadel-session-ids", "path.sessionId", ids),
    ("zitadel-session-tokens", "query.sessionToken", tokens),
]
bindings = []
for name, location, values in dictionaries:
    if values:
        print(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")
        bindings.append(f'"{location}" = {{ dictionary = "{name}", probability = 0.5 }}')
print("[parameters]")
print("\n".join(bindings))
PY

# --- Hooks: fresh credentials for the login flow ----------------------------------------------------
# A verify-login code or challenge, a refresh token and an access token each work once, so dictionaries
# alone reach 200/204 a few times only. Two thirds of the positive verify-login and refresh-token cases
# get a fresh valid login form (an approved challenge, or a code login-with-email just sent) or session
# pair; every logout case gets a fresh access token through schemathesis' dynamic auth (without it,
# schemathesis sends no Authorization or a generated one, and only 401s are ever seen). Dynamic auth is
# explicit auth: `ignored_auth` then also checks that the same request without it, or with a wrong one,
# is refused.
cat >"$WORK/hooks.py" <<'HOOKS'
import json
import os
import urllib.parse
import zlib

import schemathesis
from walletkit_login import LoginFlow

BASE_URL = os.environ["CONFORMANCE_BASE_URL"]
PROJECT = "proj_demo"
_seed = json.load(open(os.environ["CONFORMANCE_SEEDS_FILE"], encoding="utf-8"))
_users = [u for u in (_seed.get("walletkit") or {}).get("users") or [] if u.get("project") in (None, PROJECT)]
EMAIL = _users[0]["email"] if _users else None


_flow = LoginFlow(BASE_URL, PROJECT)
call = _flow.call


def approved_challenge():
    return {"session_challenge_code": _flow.approved_code()}


def emailed_code():
    if EMAIL is None:
        return approved_challenge()
    user_id = call("POST", "/users/login-with-email", {"email": EMAIL})["user_id"]
    outbox = call("GET", "/__admin/walletkit/outbox?email=" + urllib.parse.quote(EMAIL), walletkit_api=False)
    return {"user_id": user_id, "verification_code": outbox["messages"][0]["code"]}


def fresh_session():
    return call("POST", "/users/verify-login", approved_challenge())


@schemathesis.hook
def map_case(context, case):
    path = case.operation.path
    if path not in ("/users/verify-login", "/users/refresh-token") or case.meta is None:
        return case
    if case.meta.generation.mode != schemathesis.GenerationMode.POSITIVE or not isinstance(case.body, dict):
        return case
    pick = zlib.crc32(json.dumps(case.body, sort_keys=True, default=str).encode()) % 3
    if pick == 0:
        return case
    if path == "/users/verify-login":
        for key in ("session_challenge_code", "user_id", "verification_code"):
            case.body.pop(key, None)
        case.body.update(approved_challenge() if pick == 1 else emailed_code())
    else:
        session = fresh_session()
        case.body["session_id"] = session["id"]
        case.body["refresh_token"] = session["refresh_token"]
    return case


@schemathesis.auth(refresh_interval=None).apply_to(path="/users/logout")
class FreshAccessToken:
    def get(self, case, context):
        return fresh_session()["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
HOOKS

# --- Checks that cannot hold for this mock --------------------------------------------------------
# positive_data_acceptance: the vendor specs type `code`, `sessionId` and `sessionToken` as bare
#   strings, but the real services (and the mock: docs/walletkit.md, docs/zitadel.md) answer 400 to an
#   empty `code`, an unknown challenge code, an empty sessionToken or a sessionId over 200 chars
#   (ZITADEL's proto validation).
WALLETKIT_EXCLUDED="positive_data_acceptance"
ZITADEL_EXCLUDED="positive_data_acceptance"
# The lifecycle operations (docs/zitadel.md#the-session-lifecycle), besides positive_data_acceptance as
# above:
# negative_data_rejection: the swagger marks each body required, but grpc-gateway (ZITADEL's REST
#   layer) decodes a missing body (io.EOF) as the empty message, and so does the mock; the only
#   "invalid" request this check sends that the mock accepts is that one.
# response_schema_conformance (CreateSession only): the swagger documents 200, but ZITADEL's gateway
#   answers 201 (the proto's http_response.success_code) and so does the mock, so the success
#   body is checked against the `default` (rpcStatus) schema. ZitadelLifecycleTests checks it instead.
# allow_header_conformance (ListSessions only): `/v2/sessions/search` is also `/v2/sessions/{sessionId}`
#   with the id "search" (grpc-gateway matches GET, PATCH and DELETE there to GetSession, SetSession and
#   DeleteSession; so does the mock's router), so a 405 there truthfully lists `Allow: POST, GET, HEAD,
#   PATCH, DELETE`, while the swagger documents only POST under that literal path.
CREATE_EXCLUDED="positive_data_acceptance,negative_data_rejection,response_schema_conformance"
LIFECYCLE_EXCLUDED="positive_data_acceptance,negative_data_rejection"
LIST_EXCLUDED="$LIFECYCLE_EXCLUDED,allow_header_conformance"
# The login flow (docs/walletkit.md#the-login-flow), per operation (create-session-challenge and logout:
# every check holds; logout gets a fresh access token per case, see the hooks above):
# positive_data_acceptance (login-with-email, login-with-magic-link): the vendor types `email` as a bare
#   string, but an email no seeded user of the project has is 400 user_not_found, and an empty one 400
#   missing_field, one over 254 bytes 400 invalid_field (docs/walletkit.md#the-login-flow).
# positive_data_acceptance (verify-login): the vendor's body requires no member and types each as a
#   nullable string, but every login that does not verify is a 400: neither form
#   (missing_field), both forms (conflicting_fields), only a login method the mock does not fake
#   (unsupported_login_method), a challenge that is unknown, not completed, expired or spent, a wrong or
#   spent verification code, an unknown user_id.
# positive_data_acceptance (refresh-token): an empty `session_id` / `refresh_token` counts as missing
#   (400 missing_field) and one over 1024 bytes is 400 invalid_field; unknown tokens answer 401, which
#   the check accepts.
declare -A LOGIN_EXCLUDED=(
    [users_create-session-challenge]=""
    [users_login-with-email]="positive_data_acceptance"
    [users_login-with-magic-link]="positive_data_acceptance"
    [users_verify-login]="positive_data_acceptance"
    [users_refresh-token]="positive_data_acceptance"
    [users_logout]=""
)

declare -a SUMMARY=()
declare -a RAN=()
FAILED=0

run_operation() {
    local spec="$1" operation="$2" excluded="$3" header="$4" phases="${5:-examples,coverage,fuzzing}"
    local log="$WORK/$operation.log" rc=0
    RAN+=("$operation")
    echo
    echo "conformance: ---- $operation ($(basename "$spec")) ----"
    (
        cd "$WORK"
        PYTHONPATH="$REPO_ROOT/scripts" CONFORMANCE_BASE_URL="$BASE_URL" CONFORMANCE_SEEDS_FILE="$SEEDS_FILE" SCHEMATHESIS_HOOKS="$WORK/hooks.py" \
        "$ST" --config-file "$WORK/schemathesis.toml" run "$spec" \
            --url "$BASE_URL" \
            --include-operation-id "$operation" \
            -H "$header" \
            --phases "$phases" \
            --checks all \
            ${excluded:+--exclude-checks "$excluded"} \
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
for operation in users_create-session-challenge users_login-with-email users_login-with-magic-link users_verify-login \
        users_refresh-token users_logout; do
    run_operation "$WALLETKIT_SPEC" "$operation" "${LOGIN_EXCLUDED[$operation]}" "X-WalletKit-Project-ID: proj_demo"
done
run_operation "$ZITADEL_SPEC" SessionService_GetSession "$ZITADEL_EXCLUDED" "Authorization: Bearer admin-pat"
# No examples phase for the bodies: the swagger's `consumes` also lists application/grpc and
# application/grpc-web+proto, which schemathesis cannot serialize (and REST does not take).
run_operation "$ZITADEL_SPEC" SessionService_CreateSession "$CREATE_EXCLUDED" "Authorization: Bearer admin-pat" coverage,fuzzing
for operation in SessionService_SetSession SessionService_DeleteSession; do
    run_operation "$ZITADEL_SPEC" "$operation" "$LIFECYCLE_EXCLUDED" "Authorization: Bearer admin-pat" coverage,fuzzing
done
run_operation "$ZITADEL_SPEC" SessionService_ListSessions "$LIST_EXCLUDED" "Authorization: Bearer admin-pat" coverage,fuzzing

# Every endpoint the server declares (`session-mock routes --endpoints`) that the vendors' specs
# describe has its run above (the ZITADEL spec here covers the Session Service only).
while read -r operation; do
    grep -q -e "\"operationId\": *\"$operation\"" -e "operationId: *$operation\$" "$WALLETKIT_SPEC" "$ZITADEL_SPEC" || continue
    if ! printf '%s\n' "${RAN[@]}" | grep -qx "$operation"; then
        echo "conformance: the declared endpoint $operation is not run against its vendor spec" >&2
        SUMMARY+=("$operation: not run")
        FAILED=1
    fi
done < <("$BIN" routes --endpoints | "$VENV/bin/python" -c 'import json, sys; print("\n".join(e["vendorOperationId"] for e in json.load(sys.stdin)))')

echo
summary="$(printf '%s; ' "${SUMMARY[@]}")"
echo "conformance summary: ${summary%; }"
exit "$FAILED"

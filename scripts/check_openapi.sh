#!/usr/bin/env bash
# Checks session-mock's own OpenAPI document, openapi/openapi.yaml:
#   1. openapi-spec-validator: the document is valid OpenAPI;
#   2. schemathesis: every control API operation it describes (/__admin/...) against a running server
#      (Seeds/ with its scenarios, and --admin-token, so the bearer scheme is exercised), zero failures.
# The mocked endpoints are fuzzed against the vendors' own specs by scripts/conformance.sh.
#
# Environment:
#   SESSION_MOCK_BIN       path to a built session-mock (default: `swift build --show-bin-path`)
#   SWIFT_BUILD_FLAGS      extra flags for that `swift build --show-bin-path` (default: none)
#   OPENAPI_MAX_EXAMPLES   test cases per operation and phase (default: 50)
#   OPENAPI_SEED           schemathesis random seed (default: 20250306, so runs repeat)
#   OPENAPI_WORKERS        schemathesis workers (default: 1: with more, the stateful interleavings vary)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

SCHEMATHESIS_VERSION=4.32.5
SPEC_VALIDATOR_VERSION=0.9.0
VENV="$REPO_ROOT/.venv"
SPEC="$REPO_ROOT/openapi/openapi.yaml"
SEEDS_DIR="$REPO_ROOT/Seeds"
MAX_EXAMPLES="${OPENAPI_MAX_EXAMPLES:-50}"
SEED="${OPENAPI_SEED:-20250306}"
WORKERS="${OPENAPI_WORKERS:-1}"
ADMIN_TOKEN="check-openapi-admin-token"
[[ -f "$SPEC" ]] || { echo "check_openapi: missing $SPEC" >&2; exit 2; }

# --- Python venv (shared with scripts/conformance.sh; reruns skip pip) ---------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
version_of() { "$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true; }
if [[ "$(version_of schemathesis)" != "$SCHEMATHESIS_VERSION" || "$(version_of openapi-spec-validator)" != "$SPEC_VALIDATOR_VERSION" ]]; then
    echo "check_openapi: installing schemathesis==$SCHEMATHESIS_VERSION openapi-spec-validator==$SPEC_VALIDATOR_VERSION into $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$SPEC_VALIDATOR_VERSION"
fi
ST="$VENV/bin/schemathesis"

# --- 1. The document is valid OpenAPI -------------------------------------------------------------
echo "check_openapi: openapi-spec-validator $SPEC_VALIDATOR_VERSION"
"$VENV/bin/openapi-spec-validator" "$SPEC"
# The Seed* schemas (request bodies of the control API) are Seeds/seed.schema.json's: they must not drift.
"$VENV/bin/python" - "$SPEC" "$SEEDS_DIR/seed.schema.json" <<'PY'
import json, sys
import yaml

spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["components"]["schemas"]
seed = json.load(open(sys.argv[2], encoding="utf-8"))

def name(key):
    return "Seed" + key[0].upper() + key[1:]

def renamed(node):
    if isinstance(node, dict):
        return {k: ("#/components/schemas/" + name(v.rsplit("/", 1)[-1]) if k == "$ref" else renamed(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [renamed(v) for v in node]
    return node

used = {ref.rsplit("/", 1)[-1] for ref in json.dumps(seed).split('"$ref": "')[1:] for ref in [ref.split('"', 1)[0]]}
expected = {name(k): renamed(v) for k, v in seed["$defs"].items() if k in used}
expected["SeedDocument"] = renamed({k: v for k, v in seed.items() if k not in ("$schema", "$defs")})
drifted = sorted(k for k, v in expected.items() if spec.get(k) != v)
if drifted:
    sys.exit(f"check_openapi: components {', '.join(drifted)} differ from Seeds/seed.schema.json; copy them over")
print(f"check_openapi: {len(expected)} Seed* schemas match Seeds/seed.schema.json")
PY

# --- The server -----------------------------------------------------------------------------------
NAME=check_openapi
# shellcheck source=scripts/server_lib.sh
source "$(dirname "$0")/server_lib.sh"
find_session_mock_bin

# The operations the document describes are exactly the server's route table (`session-mock routes`).
"$BIN" routes | "$VENV/bin/python" -c '
import re, sys, yaml
spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["paths"]
norm = lambda p: re.sub(r"(:[^/]+|\{[^}]+\})", "{}", p)
documented = {(m.upper(), norm(p)) for p, ops in spec.items() for m in ops if m in ("get", "put", "post", "patch", "delete")}
routed = {(m, norm(p)) for m, p in (line.split(" ", 1) for line in sys.stdin.read().split("\n") if line)}
for label, missing in (("routed but not in the document", routed - documented), ("documented but not routed", documented - routed)):
    if missing:
        sys.exit("check_openapi: " + label + ": " + ", ".join(f"{m} {p}" for m, p in sorted(missing)))
print(f"check_openapi: the document and the route table agree on all {len(routed)} operations")
' "$SPEC"
start_session_mock --seeds "$SEEDS_DIR" --admin-token "$ADMIN_TOKEN"
echo "check_openapi: session-mock at $BASE_URL (seeds: Seeds/, with --admin-token)"

# --- WalletKit sessions ---------------------------------------------------------------------------
# The login flow's sessions exist only once verify-login issued them: a few in the default scenario (the seeded
# COMPLETED challenge, then bob's emailed codes), so GET/DELETE /__admin/walletkit/sessions/{id} find records.
# Best effort: with a default seed that lacks them, those operations are fuzzed with 404s only.
walletkit_session() {  # verify-login BODY -> the new session's id, or nothing
    curl -fsS -X POST -H "X-WalletKit-Project-ID: proj_demo" -d "$1" "$BASE_URL/users/verify-login" 2>/dev/null \
        | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["id"])' 2>/dev/null || true
}
bob_code() {  # login-with-email for bob -> the code the outbox shows, or nothing
    curl -fsS -o /dev/null -X POST -H "X-WalletKit-Project-ID: proj_demo" -d '{"email":"bob@example.com"}' \
        "$BASE_URL/users/login-with-email" 2>/dev/null || return 0
    curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/__admin/walletkit/outbox?email=bob@example.com" 2>/dev/null \
        | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["messages"][0]["code"])' 2>/dev/null || true
}
declare -a WALLETKIT_SESSIONS=()
WALLETKIT_SESSIONS+=("$(walletkit_session '{"session_challenge_code":"COMPLETED"}')")
for _ in 1 2 3; do
    WALLETKIT_SESSIONS+=("$(walletkit_session "{\"user_id\":\"usr_bob\",\"verification_code\":\"$(bob_code)\"}")")
done

# --- Known good identifiers -----------------------------------------------------------------------
# Half of the generated scenario names, challenge codes, session ids and outbox emails come from the seeds
# (and the WalletKit sessions above), so that GET/PUT/PATCH/DELETE of existing records (200) are exercised,
# not only 404s.
"$VENV/bin/python" - "$SEEDS_DIR" "${WALLETKIT_SESSIONS[@]}" >"$WORK/schemathesis.toml" <<'PY'
import json, pathlib, sys

names, codes, ids, emails = [], [], [], []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    if path.name.endswith(".schema.json"):
        continue
    seed = json.loads(path.read_text(encoding="utf-8"))
    names.append(path.stem)
    codes += [e["challenge"]["code"] for e in (seed.get("walletkit") or {}).get("sessionChallenges") or []]
    ids += [e["session"]["id"] for e in (seed.get("zitadel") or {}).get("sessions") or []]
    emails += [u["email"] for u in (seed.get("walletkit") or {}).get("users") or []]
ids += [arg for arg in sys.argv[2:] if arg]  # WalletKit session ids: the path parameter is `id` on both session stores
selectors = names + [f"{name}@check-openapi" for name in names]

def dictionary(name, values):
    print(f"[dictionaries.{name}]\nvalues = {json.dumps(values)}\n")

dictionary("scenarios", selectors)
# Installed under new names only: replacing a seeded scenario would lose its records for good
# (reset goes back to the replacement).
dictionary("new-names", ["check-openapi-a", "check-openapi-b"])
dictionary("codes", codes)
dictionary("session-ids", ids)
dictionary("emails", sorted(set(emails)))
dictionary("journal-paths", ["/users/session-challenge", "/v2/sessions/312909075212468632"])
print("[parameters]")
print('"query.scenario" = { dictionary = "scenarios", probability = 0.5 }')
print('"path.name" = { dictionary = "new-names", probability = 0.3 }')
print('"path.code" = { dictionary = "codes", probability = 0.5 }')
print('"path.id" = { dictionary = "session-ids", probability = 0.5 }')
print('"query.path" = { dictionary = "journal-paths", probability = 0.5 }')
print('"query.email" = { dictionary = "emails", probability = 0.5 }')
PY

# Some journal entries, so GET /__admin/requests has entries to check against JournalEntry.
curl -fsS -o /dev/null -H "X-WalletKit-Project-ID: proj_demo" "$BASE_URL/users/session-challenge?code=K7PX-22QA" || true
curl -sS -o /dev/null -H "Authorization: Bearer admin-pat" "$BASE_URL/v2/sessions/312909075212468632" || true
curl -sS -o /dev/null -H "Authorization: Bearer admin-pat" -H "X-Mock-Scenario: polling@check-openapi" \
    "$BASE_URL/v2/sessions/poll-session" || true

# GET /__admin/openapi.yaml is checked once the server serves it.
declare -a SKIP=()
openapi_status="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/__admin/openapi.yaml" || true)"
if [[ "$openapi_status" != "200" ]]; then
    echo "check_openapi: note: GET /__admin/openapi.yaml answers $openapi_status, not 200; leaving admin_openapi out"
    SKIP+=(--exclude-operation-id admin_openapi)
fi

# Most generated PUT bodies name another code/id than the path (a 400): make two thirds of the
# positive ones agree with the path, so creating and replacing records (201/200) is exercised too.
cat >"$WORK/hooks.py" <<'HOOKS'
import zlib

import schemathesis

TARGETS = {
    "/__admin/walletkit/session-challenges/{code}": ("code", "challenge", "code"),
    "/__admin/zitadel/sessions/{id}": ("id", "session", "id"),
}


@schemathesis.hook
def map_case(context, case):
    target = TARGETS.get(case.operation.path)
    if case.operation.method.upper() != "PUT" or target is None or case.meta is None:
        return case
    if case.meta.generation.mode != schemathesis.GenerationMode.POSITIVE or not isinstance(case.body, dict):
        return case
    parameter, member, key = target
    value = (case.path_parameters or {}).get(parameter)
    inner = case.body.get(member)
    if isinstance(value, str) and isinstance(inner, dict) and zlib.crc32(value.encode()) % 3:
        inner[key] = value
        if member == "challenge" and isinstance(case.body.get("project"), str):
            case.body["project"] = "proj_demo"  # listed in the default scenario's walletkit.projects
    return case
HOOKS

# --- Checks that cannot hold for this mock --------------------------------------------------------
# positive_data_acceptance: schema-valid bodies are still refused (400) by rules a schema cannot state:
#   the body's code/id must equal the path's, a challenge's project must be among the scenario's
#   projects, codes/ids/tokens unique, days valid for their month, durations up to 100 years.
EXCLUDED="positive_data_acceptance"

# --- 2. Schemathesis against the control API ------------------------------------------------------
# Two runs against the same server: first every operation but the four that replace or empty a whole
# store (so the records the others read, patch and delete mostly exist; resets restore them), then those four.
BULK=(admin_challenges_replace admin_challenges_clear admin_sessions_replace admin_sessions_clear)
declare -a BULK_EXCLUDE=() BULK_INCLUDE=()
for op in "${BULK[@]}"; do BULK_EXCLUDE+=(--exclude-operation-id "$op"); BULK_INCLUDE+=(--include-operation-id "$op"); done

declare -a SUMMARY=()
FAILED=0

run_schemathesis() {
    local label="$1" rc=0
    shift
    local log="$WORK/$label.log"
    echo
    echo "check_openapi: ---- control API: $label ----"
    (
        cd "$WORK"
        SCHEMATHESIS_HOOKS="$WORK/hooks.py" "$ST" --config-file "$WORK/schemathesis.toml" run "$SPEC" \
            --url "$BASE_URL" \
            "$@" \
            -H "Authorization: Bearer $ADMIN_TOKEN" \
            --phases examples,coverage,fuzzing,stateful \
            --checks all \
            --exclude-checks "$EXCLUDED" \
            --max-examples "$MAX_EXAMPLES" \
            --seed "$SEED" \
            --workers "$WORKERS" \
            --continue-on-failure \
            --request-timeout 10 \
            --generation-database none \
            --output-sanitize false \
            --no-color
    ) 2>&1 | tee "$log" || rc=$?
    record_schemathesis_result "$label" "$rc" "$log"
}

run_schemathesis records --include-path-regex '^/__admin/' "${BULK_EXCLUDE[@]}" ${SKIP[@]+"${SKIP[@]}"}
run_schemathesis bulk "${BULK_INCLUDE[@]}"

echo
summary="$(printf '%s; ' "${SUMMARY[@]}")"
echo "check_openapi summary: spec valid; ${summary%; }"
exit "$FAILED"

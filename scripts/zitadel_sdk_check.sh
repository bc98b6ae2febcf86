#!/usr/bin/env bash
# ZITADEL's official Python SDK (zitadel-client 4.1.0) against the built server: a whole login
# (create, set password, get, list, delete) through the SDK unchanged but for its host
# (scripts/zitadel_sdk/check.py). Makes/reuses .venv, starts the built server (scripts/server_lib.sh),
# exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=$(basename "$0" .sh)
# shellcheck source=scripts/server_lib.sh
source scripts/server_lib.sh
python_venv zitadel-client==4.1.0

find_session_mock_bin
start_session_mock --seeds Seeds/default.json
url=$BASE_URL

run_check() {
    echo "zitadel-sdk: $1"
    PYTHONDONTWRITEBYTECODE=1 PYTHONWARNINGS=ignore "$VENV/bin/python" scripts/zitadel_sdk/check.py "$2"
}
run_check "plain HTTP, $url" "$url"
# Base-URL isolation (docs/testing.md#isolation-by-base-url-__scenarionamekey): the SDK's host with a
# /__scenario/NAME@KEY prefix, a private copy.
run_check "base URL $url/__scenario/default@sdk-worker" "$url/__scenario/default@sdk-worker"

# HTTPS with the CA `session-mock cert` writes, trusted the way Python clients trust one (SSL_CERT_FILE /
# REQUESTS_CA_BUNDLE), certificate checks on.
CERTS="$(mktemp -d "${TMPDIR:-/tmp}/session-mock-sdk-certs.XXXXXX")"
"$BIN" cert --out "$CERTS" >/dev/null
stop_session_mock
start_session_mock --seeds Seeds/default.json --tls-cert "$CERTS/server.pem" --tls-key "$CERTS/server-key.pem"
SSL_CERT_FILE="$CERTS/ca.pem" REQUESTS_CA_BUNDLE="$CERTS/ca.pem" run_check "HTTPS, $BASE_URL, trusting ca.pem" "$BASE_URL"
rm -rf "$CERTS"

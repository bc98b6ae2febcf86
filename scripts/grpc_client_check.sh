#!/usr/bin/env bash
# A real third-party native gRPC client against the built server: grpcio (the gRPC project's Python
# client) calls over HTTP/2 with prior knowledge on the server's one plain port, a login UI's whole flow
# and the error, gzip, deadline, X-Mock-*, isolation and journal rows (scripts/grpc_client/check.py),
# with the message stubs committed in scripts/connect_client/gen/ (made by scripts/generate_proto.sh);
# health and reflection as gRPC tooling reads them (grpcio-health-checking, grpcio-reflection); then the
# same port over TLS with `session-mock cert`'s CA (ALPN h2).
# Makes/reuses .venv, starts the built server (scripts/server_lib.sh), exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=$(basename "$0" .sh)
# shellcheck source=scripts/server_lib.sh
source scripts/server_lib.sh
python_venv -r scripts/grpc_client/requirements.txt

find_session_mock_bin
start_session_mock --seeds Seeds/default.json
url=$BASE_URL

# No __pycache__ next to the committed stubs.
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" scripts/grpc_client/check.py "$url"
stop_session_mock

# The same port over TLS: `session-mock cert` makes the CA, grpcio trusts it and offers ALPN h2.
certs=$(mktemp -d "${TMPDIR:-/tmp}/session-mock-certs.XXXXXX")
"$BIN" cert --out "$certs" >/dev/null
start_session_mock --seeds Seeds/default.json --tls-cert "$certs/server.pem" --tls-key "$certs/server-key.pem"
status=0
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" scripts/grpc_client/check.py "$BASE_URL" "$certs/ca.pem" || status=$?
rm -rf "$certs"
exit $status

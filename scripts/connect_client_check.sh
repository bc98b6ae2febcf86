#!/usr/bin/env bash
# A real third-party client against the built server: the Connect project's Python runtime
# (connectrpc 0.13.0) calls GetSession over Connect JSON, Connect proto and gRPC-Web, through the
# stubs committed in scripts/connect_client/gen/ (made by scripts/generate_proto.sh from proto/).
# Makes/reuses .venv, starts the built server (scripts/server_lib.sh), exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=$(basename "$0" .sh)
# shellcheck source=scripts/server_lib.sh
source scripts/server_lib.sh
# The runtime and its message library (protobuf-py, which connectrpc's generated code targets),
# plus the two protoc plugins scripts/generate_proto.sh uses to regenerate the stubs: one pinned list.
python_venv -r scripts/connect_client/requirements.txt

find_session_mock_bin
start_session_mock --seeds Seeds/default.json
url=$BASE_URL

# No __pycache__ next to the committed stubs.
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" scripts/connect_client/check.py "$url"

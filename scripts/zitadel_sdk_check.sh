#!/usr/bin/env bash
# ZITADEL's official Python SDK (zitadel-client 4.1.0) against the built server: a whole login
# (create, set password, get, list, delete) through the SDK unchanged but for its host
# (scripts/zitadel_sdk/check.py). Makes/reuses .venv, starts the built server (scripts/server_lib.sh),
# exits non-zero on any failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check zitadel-client==4.1.0

NAME=$(basename "$0" .sh)
# shellcheck source=scripts/server_lib.sh
source scripts/server_lib.sh
find_session_mock_bin
start_session_mock --seeds Seeds/default.json
url=$BASE_URL

PYTHONDONTWRITEBYTECODE=1 PYTHONWARNINGS=ignore "$VENV/bin/python" scripts/zitadel_sdk/check.py "$url"

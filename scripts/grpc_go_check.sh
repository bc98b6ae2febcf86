#!/usr/bin/env bash
# A second real native gRPC client against the built server: grpc-go, the stack zitadel-go dials with
# (Debian's golang-google-grpc-dev, grpc-go 1.33, built in GOPATH mode without generated ZITADEL code).
# scripts/grpc_go/main.go calls GetSession through a raw-bytes codec (the seeded session, the unknown id
# with its zitadel.v1.ErrorDetail, no authorization, unknown methods, a deadline shorter than
# x-mock-delay-ms), health and reflection v1alpha, over HTTP/2 with prior knowledge on the server's one port.
# Installs golang-go and golang-google-grpc-dev with apt-get when missing (root or sudo), starts the built server
# (scripts/server_lib.sh), builds the client into its temp scratch folder (Go's build cache in .build-go/,
# gitignored) and exits with the client's status.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=$(basename "$0" .sh)
GOCODE=/usr/share/gocode

if ! command -v go >/dev/null || [[ ! -d "$GOCODE/src/google.golang.org/grpc" ]]; then
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            SUDO=sudo
        else
            echo "$NAME: needs Go and grpc-go: install golang-go and golang-google-grpc-dev" \
                "(apt-get install golang-go golang-google-grpc-dev)" >&2
            exit 2
        fi
    fi
    echo "$NAME: installing golang-go and golang-google-grpc-dev"
    if ! { $SUDO apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go golang-google-grpc-dev >/dev/null; }; then
        echo "$NAME: could not install golang-go and golang-google-grpc-dev; install them (apt-get) and rerun" >&2
        exit 2
    fi
fi

# shellcheck source=scripts/server_lib.sh
source scripts/server_lib.sh
find_session_mock_bin
start_session_mock --seeds Seeds/default.json

# The client goes into the server's scratch folder (a temp folder stop_session_mock removes on exit).
started=$(date +%s)
gocache="$PWD/.build-go/cache"
(cd scripts/grpc_go && GO111MODULE=off GOPATH="$GOCODE" GOCACHE="$gocache" go build -o "$WORK/grpc-go-check" .)
echo "$NAME: built the grpc-go client in $(($(date +%s) - started)) s"

status=0
"$WORK/grpc-go-check" "${BASE_URL#http://}" || status=$?
exit $status

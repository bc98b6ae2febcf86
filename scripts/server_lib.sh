# shellcheck shell=bash
# Sourced by the scripts that test a running session-mock (conformance.sh, check_openapi.sh and the
# *_check.sh client checks): makes their Python venv, finds the built binary, starts it on a free port
# in a scratch folder, waits for the ready line, and stops it on exit. Callers set NAME (the log
# prefix) first.

# Makes the venv at $VENV (default .venv) unless it exists, then pip-installs "$@" into it: `-r FILE`
# or pinned packages (pip skips what is installed already).
python_venv() {
    VENV=${VENV:-.venv}
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$@"
}

# BIN: $SESSION_MOCK_BIN, or the binary `swift build $SWIFT_BUILD_FLAGS` made.
find_session_mock_bin() {
    if [[ -n "${SESSION_MOCK_BIN:-}" ]]; then
        BIN="$SESSION_MOCK_BIN"
    else
        local build_flags
        read -r -a build_flags <<< "${SWIFT_BUILD_FLAGS:-}"
        BIN="$(swift build ${build_flags[@]+"${build_flags[@]}"} --show-bin-path)/session-mock"
    fi
    [[ -x "$BIN" ]] || { echo "$NAME: no session-mock binary at $BIN (run swift build first)" >&2; exit 2; }
}

# Starts `session-mock serve --host 127.0.0.1 --port 0 "$@"`; sets WORK (a scratch folder, removed on
# exit: schemathesis keeps its caches in its working directory), SERVER_PID and BASE_URL.
start_session_mock() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/session-mock-$NAME.XXXXXX")"
    SERVER_PID=""
    trap stop_session_mock EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$BIN" serve --host 127.0.0.1 --port 0 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    BASE_URL=""
    local line
    for _ in $(seq 1 100); do  # 10 s
        line="$(grep -m1 -E '^session-mock listening on https?://[^ ]+$' "$WORK/server.out" || true)"
        if [[ -n "$line" ]]; then BASE_URL="${line#session-mock listening on }"; break; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$BASE_URL" ]]; then
        echo "$NAME: session-mock did not print its ready line within 10 s; its stderr:" >&2
        cat "$WORK/server.err" >&2
        exit 1
    fi
}

# shellcheck disable=SC2317  # called through the EXIT trap
stop_session_mock() {
    if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -n "${WORK:-}" ]] && rm -rf "$WORK"
}

# After one schemathesis run: fails it if the server died meanwhile, and appends
# "LABEL: N cases, passed|FAILED" to SUMMARY (setting FAILED=1 on failure).
# Usage: record_schemathesis_result LABEL EXIT_CODE LOG_FILE
# shellcheck disable=SC2034  # SUMMARY and FAILED belong to the calling script
record_schemathesis_result() {
    local label="$1" rc="$2" log="$3" cases
    cases="$(grep -oE '[0-9]+ generated' "$log" | tail -1 | cut -d' ' -f1 || true)"
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "$NAME: session-mock died during '$label'; its stderr:" >&2
        tail -n 50 "$WORK/server.err" >&2
        rc=1
    fi
    if [[ "$rc" -eq 0 ]]; then
        SUMMARY+=("$label: ${cases:-?} cases, passed")
    else
        SUMMARY+=("$label: ${cases:-?} cases, FAILED (exit $rc)")
        FAILED=1  # read by the calling script
    fi
}

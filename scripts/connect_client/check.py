"""Calls session-mock's GetSession with the Connect project's own Python client (connectrpc),
through stubs generated from proto/zitadel/*.proto, over every protocol that client offers on
HTTP/1.1: Connect with JSON, Connect with binary protobuf, and gRPC-Web. Exits non-zero on any
mismatch. Usage: check.py BASE_URL
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "gen"))

from connectrpc.code import Code  # noqa: E402
from connectrpc.codec import proto_json_codec  # noqa: E402
from connectrpc.errors import ConnectError  # noqa: E402
from connectrpc.protocol import ProtocolType  # noqa: E402

from zitadel.error_detail_pb import ErrorDetail  # noqa: E402
from zitadel.session_service_connect import SessionServiceClientSync  # noqa: E402
from zitadel.session_service_pb import GetSessionRequest  # noqa: E402

SESSION_ID = "312909075212468632"
ADMIN = {"authorization": "Bearer admin-pat"}

failures: list[str] = []


def check(label: str, condition: bool, detail: object = "") -> None:
    print(f"{'ok  ' if condition else 'FAIL'} {label}{'' if condition else f': {detail}'}")
    if not condition:
        failures.append(label)


def run(base_url: str, name: str, **client_options: object) -> None:
    with SessionServiceClientSync(base_url, **client_options) as client:
        # 200: the seeded session, field by field.
        response = client.get_session(GetSessionRequest(session_id=SESSION_ID), headers=ADMIN)
        session = response.session
        check(f"{name}: session id", session.id == SESSION_ID, session.id)
        check(f"{name}: sequence", session.sequence == 4, session.sequence)
        check(f"{name}: creation date",
              (session.creation_date.seconds, session.creation_date.nanos) == (1741272127, 731226000),
              session.creation_date)
        check(f"{name}: user factor", session.factors.user.login_name == "minnie@example.com", session.factors.user)
        check(f"{name}: webAuthN userVerified", session.factors.web_auth_n.user_verified is True, session.factors)
        check(f"{name}: metadata bytes", session.metadata.get("tenant") == b"acme", session.metadata)
        check(f"{name}: user agent header",
              list(session.user_agent.header["accept-language"].values) == ["de-CH", "en"], session.user_agent)

        # The right session token lets any valid caller read it.
        response = client.get_session(
            GetSessionRequest(session_id=SESSION_ID, session_token="tok-full"),
            headers={"authorization": "Bearer stranger-pat"})
        check(f"{name}: session token grants", response.session.id == SESSION_ID, response.session.id)

        # not_found, with ZITADEL's message and its ErrorDetail.
        try:
            client.get_session(GetSessionRequest(session_id="nope"), headers=ADMIN)
            check(f"{name}: not_found raised", False, "no error")
        except ConnectError as error:
            check(f"{name}: not_found code", error.code == Code.NOT_FOUND, error.code)
            check(f"{name}: not_found message", error.message == "Session does not exist (QUERY-SFeaa)", error.message)
            details = [d.value(ErrorDetail) for d in error.details]
            check(f"{name}: not_found detail",
                  len(details) == 1 and details[0] is not None
                  and (details[0].id, details[0].message) == ("QUERY-SFeaa", "Session does not exist"),
                  error.details)

        # unauthenticated without a token.
        try:
            client.get_session(GetSessionRequest(session_id=SESSION_ID))
            check(f"{name}: unauthenticated raised", False, "no error")
        except ConnectError as error:
            check(f"{name}: unauthenticated", error.code == Code.UNAUTHENTICATED and error.message == "auth header missing",
                  (error.code, error.message))

        # The client's deadline: a 1.5 s fault delay against a 300 ms timeout.
        try:
            client.get_session(GetSessionRequest(session_id="slow-1"), headers=ADMIN, timeout_ms=300)
            check(f"{name}: deadline raised", False, "no error")
        except ConnectError as error:
            check(f"{name}: deadline_exceeded", error.code == Code.DEADLINE_EXCEEDED, (error.code, error.message))


def main() -> int:
    base_url = sys.argv[1].rstrip("/")
    # connectrpc gzips request bodies by default; the first run keeps that, the others send plain bodies.
    run(base_url, "connect+json", codec=proto_json_codec())
    run(base_url, "connect+proto", send_compression=None)
    run(base_url, "grpc-web+proto", protocol=ProtocolType.GRPC_WEB)
    run(base_url, "grpc-web+proto plain", protocol=ProtocolType.GRPC_WEB, send_compression=None)
    if failures:
        print(f"{len(failures)} check(s) failed: {', '.join(failures)}")
        return 1
    print("connectrpc client: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

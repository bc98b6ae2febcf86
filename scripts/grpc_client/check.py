"""Calls session-mock over native gRPC (HTTP/2 with prior knowledge, plain TCP) with grpcio, the gRPC
project's own Python client: a login UI's whole flow in the order docs/zitadel.md walks it, the error
rows with their google.rpc.Status details, gzip, the deadline, X-Mock-Status, scenario isolation and
the request journal. Messages are the protobuf-py stubs committed in scripts/connect_client/gen/
(made by scripts/generate_proto.sh from proto/), sent through grpcio's generic
`channel.unary_unary(path, request_serializer=..., response_deserializer=...)`; google.rpc.Status has
no stub there, so its three fields are read off the wire here. Expects a freshly started server
with Seeds/default.json (the flow ends the seeded auth request; the journal check counts every call).
Exits non-zero on any mismatch. Usage: check.py BASE_URL
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any as AnyType
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "connect_client" / "gen"))

import grpc  # noqa: E402
from protobuf import Oneof  # noqa: E402
from protobuf.wkt.google.protobuf.any_pb import Any  # noqa: E402

from zitadel.error_detail_pb import CredentialsCheckError, ErrorDetail  # noqa: E402
from zitadel.object_pb import TextQueryMethod  # noqa: E402
from zitadel.oidc_service_pb import (  # noqa: E402
    CreateCallbackRequest,
    CreateCallbackResponse,
    GetAuthRequestRequest,
    GetAuthRequestResponse,
    Prompt,
)
from zitadel.oidc_service_pb import Session as CallbackSession  # noqa: E402
from zitadel.org_service_pb import (  # noqa: E402
    DefaultOrganizationQuery,
    ListOrganizationsRequest,
    ListOrganizationsResponse,
    OrganizationState,
)
from zitadel.org_service_pb import SearchQuery as OrganizationSearchQuery  # noqa: E402
from zitadel.session_service_pb import (  # noqa: E402
    CheckPassword,
    Checks,
    CheckUser,
    CreateSessionRequest,
    CreateSessionResponse,
    GetSessionRequest,
    GetSessionResponse,
    IDsQuery,
    ListSessionsRequest,
    ListSessionsResponse,
    SetSessionRequest,
    SetSessionResponse,
)
from zitadel.session_service_pb import SearchQuery as SessionSearchQuery  # noqa: E402
from zitadel.settings_service_pb import (  # noqa: E402
    GetActiveIdentityProvidersRequest,
    GetActiveIdentityProvidersResponse,
    GetBrandingSettingsRequest,
    GetBrandingSettingsResponse,
    GetLockoutSettingsRequest,
    GetLockoutSettingsResponse,
    GetLoginSettingsRequest,
    GetLoginSettingsResponse,
    GetPasswordExpirySettingsRequest,
    GetPasswordExpirySettingsResponse,
    GetSecuritySettingsRequest,
    GetSecuritySettingsResponse,
    MultiFactorType,
    PasskeysType,
    ResourceOwnerType,
    SecondFactorType,
    ThemeMode,
)
from zitadel.user_service_pb import (  # noqa: E402
    AuthenticationMethodType,
    GetUserByIDRequest,
    GetUserByIDResponse,
    ListAuthenticationMethodTypesRequest,
    ListAuthenticationMethodTypesResponse,
    ListUsersRequest,
    ListUsersResponse,
    LoginNameQuery,
    UserState,
)
from zitadel.user_service_pb import SearchQuery as UserSearchQuery  # noqa: E402

SESSION = "/zitadel.session.v2.SessionService/"
USER = "/zitadel.user.v2.UserService/"
SETTINGS = "/zitadel.settings.v2.SettingsService/"
ORG = "/zitadel.org.v2.OrganizationService/"
OIDC = "/zitadel.oidc.v2.OIDCService/"

SEEDED_SESSION = "312909075212468632"
MINNIE = "312909037640286104"
MINNIE_ORG = "312908994858385304"
AUTH_REQUEST = "V2_312909100000000001"
REDIRECT_URI = "https://app.example.com/callback"
PASSWORD = "V3ryS3cure!"

failures: list[str] = []


def check(label: str, condition: bool, detail: object = "") -> None:
    print(f"{'ok  ' if condition else 'FAIL'} {label}{'' if condition else f': {detail}'}")
    if not condition:
        failures.append(label)


@dataclass
class Outcome:
    """One unary call's end: the response (OK) or the status, and the trailers either way."""

    code: grpc.StatusCode
    details: str | None = None
    response: AnyType = None
    trailers: dict[str, str | bytes] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code == grpc.StatusCode.OK

    def describe(self) -> str:
        return f"{self.code.name} {self.details!r}" if not self.ok else f"OK {self.response!r}"


@dataclass
class JournalExpectation:
    scenario: str
    path: str
    grpc_status: int


class Client:
    def __init__(self, target: str, root_certificates: bytes | None = None) -> None:
        # No proxy: an http_proxy in the environment would otherwise carry the HTTP/2 connection.
        options = [("grpc.enable_http_proxy", 0)]
        if root_certificates is None:
            self.channel = grpc.insecure_channel(target, options=options)
        else:
            # TLS with the CA of `session-mock cert`; grpcio offers ALPN h2, so the server's HTTP/2 side answers.
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self.channel = grpc.secure_channel(target, credentials, options=options)
        # Every call to a served RPC, as the journal should show it (unknown procedures are not journaled).
        self.calls: list[JournalExpectation] = []

    def call(
        self,
        path: str,
        request: AnyType,
        response_type: AnyType,
        token: str | None = "login-pat",
        metadata: list[tuple[str, str]] | None = None,
        timeout: float = 10.0,
        compression: grpc.Compression | None = None,
        journaled: bool = True,
        extra: bytes = b"",
    ) -> Outcome:
        method = self.channel.unary_unary(
            path,
            request_serializer=lambda message: message.to_binary() + extra,
            response_deserializer=response_type.from_binary,
        )
        sent = [("authorization", f"Bearer {token}")] if token is not None else []
        sent += metadata or []
        scenario = next((value for key, value in sent if key == "x-mock-scenario"), "default")
        started = time.monotonic()
        try:
            response, call = method.with_call(request, metadata=sent, timeout=timeout, compression=compression)
            outcome = Outcome(grpc.StatusCode.OK, call.details(), response, dict(call.trailing_metadata() or ()))
        except grpc.RpcError as error:
            outcome = Outcome(error.code(), error.details(), None, dict(error.trailing_metadata() or ()))
        outcome.seconds = time.monotonic() - started
        if journaled:
            self.calls.append(JournalExpectation(scenario, path, outcome.code.value[0]))
        return outcome


def varint(buffer: bytes, offset: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = buffer[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, offset


def wire_fields(buffer: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of every field of one protobuf message; varints and length-delimited only."""
    fields: list[tuple[int, int | bytes]] = []
    offset = 0
    while offset < len(buffer):
        key, offset = varint(buffer, offset)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, offset = varint(buffer, offset)
            fields.append((number, value))
        elif wire_type == 2:
            length, offset = varint(buffer, offset)
            fields.append((number, bytes(buffer[offset:offset + length])))
            offset += length
        else:
            raise ValueError(f"unexpected wire type {wire_type} for field {number}")
    return fields


@dataclass
class RPCStatus:
    """google.rpc.Status: code = 1, message = 2, repeated google.protobuf.Any details = 3."""

    code: int
    message: str
    details: list[Any]


def status_details(outcome: Outcome) -> RPCStatus | None:
    raw = outcome.trailers.get("grpc-status-details-bin")
    if raw is None:
        return None
    if isinstance(raw, str):  # grpcio hands `-bin` values over base64-decoded; be safe if not.
        raw = base64.b64decode(raw + "=" * (-len(raw) % 4))
    status = RPCStatus(0, "", [])
    for number, value in wire_fields(raw):
        if number == 1 and isinstance(value, int):
            status.code = value
        elif number == 2 and isinstance(value, bytes):
            status.message = value.decode()
        elif number == 3 and isinstance(value, bytes):
            status.details.append(Any.from_binary(value))
    return status


def check_error(
    label: str,
    outcome: Outcome,
    code: grpc.StatusCode,
    message: str,
    detail_type: str | None = None,
    detail: object = None,
) -> None:
    """The status, its text, and google.rpc.Status in grpc-status-details-bin: one Any of detail_type
    equal to detail, or no trailer at all when detail_type is None."""
    check(f"{label}: {code.name}", outcome.code == code, outcome.describe())
    check(f"{label}: message", outcome.details == message, outcome.details)
    try:
        status = status_details(outcome)
    except Exception as error:  # noqa: BLE001 (any decoding failure is a failed check, not a crash)
        check(f"{label}: grpc-status-details-bin decodes", False, error)
        return
    if detail_type is None:
        check(f"{label}: no grpc-status-details-bin", status is None, status)
        return
    check(f"{label}: google.rpc.Status code and message",
          status is not None and (status.code, status.message) == (code.value[0], message), status)
    anys = status.details if status else []
    check(f"{label}: one {detail_type} detail",
          len(anys) == 1 and anys[0].type_url == f"type.googleapis.com/{detail_type}",
          [a.type_url for a in anys])
    if len(anys) == 1:
        kind = CredentialsCheckError if detail_type.endswith("CredentialsCheckError") else ErrorDetail
        decoded = kind.from_binary(anys[0].value)
        check(f"{label}: detail", decoded == detail, decoded)


def unknown_field(number: int, text: str) -> bytes:
    """A length-delimited field the message does not declare, as a newer client's extra field is."""
    def varint_bytes(value: int) -> bytes:
        out = bytearray()
        while value >= 0x80:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
        return bytes(out)
    data = text.encode()
    return varint_bytes(number << 3 | 2) + varint_bytes(len(data)) + data


def seconds(timestamp: AnyType) -> tuple[int, int]:
    return (timestamp.seconds, timestamp.nanos)


def login_flow(client: Client) -> None:
    # 2. The login UI reads the auth request (session.read: admin-pat), then the settings and organization.
    out = client.call(OIDC + "GetAuthRequest", GetAuthRequestRequest(auth_request_id=AUTH_REQUEST),
                      GetAuthRequestResponse, token="admin-pat")
    check("login: GetAuthRequest OK", out.ok, out.describe())
    if out.ok:
        request = out.response.auth_request
        check("login: GetAuthRequest fields",
              (request.id, request.client_id, request.redirect_uri, list(request.scope), request.login_hint)
              == (AUTH_REQUEST, "app-1", REDIRECT_URI, ["openid", "profile", "email"], "minnie@example.com"),
              request)
        check("login: GetAuthRequest prompt and creation date",
              list(request.prompt) == [Prompt.LOGIN] and seconds(request.creation_date) == (1741272000, 0),
              (request.prompt, request.creation_date))

    out = client.call(ORG + "ListOrganizations",
                      ListOrganizationsRequest(queries=[OrganizationSearchQuery(
                          query=Oneof("default_query", DefaultOrganizationQuery()))]),
                      ListOrganizationsResponse)
    check("login: ListOrganizations OK", out.ok, out.describe())
    if out.ok:
        orgs = [(o.id, o.name, o.state, o.primary_domain) for o in out.response.result]
        check("login: ListOrganizations the default organization",
              orgs == [(MINNIE_ORG, "ZITADEL", OrganizationState.ACTIVE, "zitadel.localhost")]
              and out.response.details.total_result == 1, out.response)

    out = client.call(SETTINGS + "GetLoginSettings", GetLoginSettingsRequest(), GetLoginSettingsResponse)
    check("login: GetLoginSettings OK", out.ok, out.describe())
    if out.ok:
        s = out.response.settings
        check("login: GetLoginSettings allowances",
              (s.allow_username_password, s.allow_local_authentication, s.allow_register, s.allow_external_idp,
               s.force_mfa, s.passkeys_type, s.allow_domain_discovery)
              == (True, True, True, True, False, PasskeysType.ALLOWED, True), s)
        check("login: GetLoginSettings lifetimes",
              (s.password_check_lifetime.seconds, s.external_login_check_lifetime.seconds,
               s.second_factor_check_lifetime.seconds, s.multi_factor_check_lifetime.seconds,
               s.mfa_init_skip_lifetime.seconds) == (864000, 864000, 64800, 43200, 2592000), s)
        check("login: GetLoginSettings factors",
              list(s.second_factors) == [SecondFactorType.OTP, SecondFactorType.U2F]
              and list(s.multi_factors) == [MultiFactorType.U2F_WITH_VERIFICATION]
              and s.resource_owner_type == ResourceOwnerType.INSTANCE, s)

    out = client.call(SETTINGS + "GetActiveIdentityProviders", GetActiveIdentityProvidersRequest(),
                      GetActiveIdentityProvidersResponse)
    check("login: GetActiveIdentityProviders OK, none",
          out.ok and len(out.response.identity_providers) == 0 and out.response.details.has_field("timestamp"),
          out.describe())

    out = client.call(SETTINGS + "GetBrandingSettings", GetBrandingSettingsRequest(), GetBrandingSettingsResponse)
    check("login: GetBrandingSettings OK", out.ok, out.describe())
    if out.ok:
        s = out.response.settings
        themes = [(t.primary_color, t.background_color, t.warn_color, t.font_color)
                  for t in (s.light_theme, s.dark_theme)]
        check("login: GetBrandingSettings themes",
              themes == [("#5469d4", "#fafafa", "#cd3d56", "#000000"), ("#2073c4", "#111827", "#ff3b5b", "#ffffff")]
              and s.theme_mode == ThemeMode.AUTO, s)

    # 3. It finds the user (a login name matches case-insensitively) and starts a session with a user check.
    out = client.call(USER + "ListUsers",
                      ListUsersRequest(queries=[UserSearchQuery(query=Oneof("login_name_query", LoginNameQuery(
                          login_name="MINNIE@Example.COM", method=TextQueryMethod.EQUALS)))]),
                      ListUsersResponse)
    check("login: ListUsers OK", out.ok, out.describe())
    if out.ok:
        users = [(u.user_id, u.username, u.preferred_login_name, u.state) for u in out.response.result]
        check("login: ListUsers by login name, any case",
              users == [(MINNIE, "minnie", "minnie@example.com", UserState.ACTIVE)]
              and out.response.details.total_result == 1, out.response)

    out = client.call(SESSION + "CreateSession",
                      CreateSessionRequest(checks=Checks(user=CheckUser(search=Oneof("login_name",
                                                                                      "minnie@example.com")))),
                      CreateSessionResponse)
    check("login: CreateSession OK", out.ok and bool(out.response.session_id) and bool(out.response.session_token),
          out.describe())
    if not out.ok:
        return
    session_id, token = out.response.session_id, out.response.session_token
    check("login: CreateSession details",
          (out.response.details.sequence, out.response.details.resource_owner) == (1, MINNIE_ORG), out.response)

    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=session_id), GetSessionResponse)
    check("login: GetSession OK", out.ok, out.describe())
    if out.ok:
        session = out.response.session
        check("login: GetSession user factor only",
              session.id == session_id and session.factors.user.id == MINNIE
              and session.factors.user.login_name == "minnie@example.com"
              and not session.factors.has_field("password"), session)

    out = client.call(SETTINGS + "GetSecuritySettings", GetSecuritySettingsRequest(), GetSecuritySettingsResponse,
                      token="admin-pat")
    check("login: GetSecuritySettings OK (admin-pat)", out.ok, out.describe())
    if out.ok:
        s = out.response.settings
        check("login: GetSecuritySettings embeddedIframe off, no impersonation",
              s.has_field("embedded_iframe") and not s.embedded_iframe.enabled
              and list(s.embedded_iframe.allowed_origins) == [] and not s.enable_impersonation, s)
    out = client.call(SETTINGS + "GetSecuritySettings", GetSecuritySettingsRequest(), GetSecuritySettingsResponse)
    check_error("login: GetSecuritySettings with login-pat", out, grpc.StatusCode.PERMISSION_DENIED,
                "No matching permissions found (AUTH-AWfge)", "zitadel.v1.ErrorDetail",
                ErrorDetail(id="AUTH-AWfge", message="No matching permissions found"))

    out = client.call(USER + "ListAuthenticationMethodTypes", ListAuthenticationMethodTypesRequest(user_id=MINNIE),
                      ListAuthenticationMethodTypesResponse)
    check("login: ListAuthenticationMethodTypes",
          out.ok and list(out.response.auth_method_types) == [
              AuthenticationMethodType.PASSWORD, AuthenticationMethodType.PASSKEY, AuthenticationMethodType.IDP,
              AuthenticationMethodType.TOTP, AuthenticationMethodType.OTP_EMAIL]
          and out.response.details.total_result == 5, out.describe())

    # 4. A wrong password: INVALID_ARGUMENT with a CredentialsCheckError, failedAttempts 1; then the right one.
    out = client.call(SESSION + "SetSession",
                      SetSessionRequest(session_id=session_id, session_token=token,
                                        checks=Checks(password=CheckPassword(password="nope"))),
                      SetSessionResponse)
    check_error("login: SetSession wrong password", out, grpc.StatusCode.INVALID_ARGUMENT,
                "Password is invalid (COMMAND-3M0fs)", "zitadel.v1.CredentialsCheckError",
                CredentialsCheckError(id="COMMAND-3M0fs", message="Password is invalid", failed_attempts=1))

    out = client.call(SESSION + "SetSession",
                      SetSessionRequest(session_id=session_id, session_token=token,
                                        checks=Checks(password=CheckPassword(password=PASSWORD))),
                      SetSessionResponse)
    check("login: SetSession right password, a new token",
          out.ok and bool(out.response.session_token) and out.response.session_token != token, out.describe())
    if not out.ok:
        return
    token = out.response.session_token

    out = client.call(USER + "GetUserByID", GetUserByIDRequest(user_id=MINNIE), GetUserByIDResponse)
    check("login: GetUserByID OK", out.ok, out.describe())
    if out.ok:
        user = out.response.user
        human = user.type.value if user.type is not None and user.type.field == "human" else None
        check("login: GetUserByID the human user",
              (user.user_id, user.state, user.username, list(user.login_names), out.response.details.resource_owner)
              == (MINNIE, UserState.ACTIVE, "minnie", ["minnie@example.com"], MINNIE_ORG)
              and human is not None
              and (human.profile.given_name, human.profile.family_name, human.profile.display_name,
                   human.email.email, human.email.is_verified)
              == ("Minnie", "Mouse", "Minnie Mouse", "minnie@example.com", True), user)

    out = client.call(SETTINGS + "GetPasswordExpirySettings", GetPasswordExpirySettingsRequest(),
                      GetPasswordExpirySettingsResponse)
    check("login: GetPasswordExpirySettings no expiry",
          out.ok and (out.response.settings.max_age_days, out.response.settings.expire_warn_days) == (0, 0)
          and out.response.settings.resource_owner_type == ResourceOwnerType.INSTANCE, out.describe())

    out = client.call(SETTINGS + "GetLockoutSettings", GetLockoutSettingsRequest(), GetLockoutSettingsResponse)
    check("login: GetLockoutSettings no lockout",
          out.ok and (out.response.settings.max_password_attempts, out.response.settings.max_otp_attempts) == (0, 0)
          and out.response.settings.resource_owner_type == ResourceOwnerType.INSTANCE, out.describe())

    out = client.call(SESSION + "ListSessions",
                      ListSessionsRequest(queries=[SessionSearchQuery(query=Oneof("ids_query",
                                                                                  IDsQuery(ids=[session_id])))]),
                      ListSessionsResponse)
    check("login: ListSessions OK", out.ok, out.describe())
    if out.ok:
        sessions = out.response.sessions
        check("login: ListSessions the checked session",
              out.response.details.total_result == 1 and len(sessions) == 1 and sessions[0].id == session_id
              and sessions[0].factors.user.id == MINNIE and sessions[0].factors.has_field("password"),
              out.response)

    # 5. It hands the session to the auth request.
    out = client.call(OIDC + "CreateCallback",
                      CreateCallbackRequest(auth_request_id=AUTH_REQUEST,
                                            callback_kind=Oneof("session", CallbackSession(session_id=session_id,
                                                                                           session_token=token))),
                      CreateCallbackResponse)
    check("login: CreateCallback OK", out.ok, out.describe())
    if out.ok:
        url = out.response.callback_url
        query = parse_qs(urlsplit(url).query)
        check("login: CreateCallback callbackUrl",
              url.startswith(REDIRECT_URI + "?") and "code=" in url and "state=" in url
              and len(query.get("code", [""])[0]) >= 16 and query.get("state") == ["af0ifjsldkj"], url)


def error_rows(client: Client) -> None:
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id="nope"), GetSessionResponse,
                      token="admin-pat")
    check_error("errors: GetSession unknown id", out, grpc.StatusCode.NOT_FOUND,
                "Session does not exist (QUERY-SFeaa)", "zitadel.v1.ErrorDetail",
                ErrorDetail(id="QUERY-SFeaa", message="Session does not exist"))

    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token=None)
    check_error("errors: no authorization", out, grpc.StatusCode.UNAUTHENTICATED, "auth header missing")

    out = client.call(SESSION + "NoSuchRpc", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token="admin-pat", journaled=False)
    check("errors: unknown method of a known service: UNIMPLEMENTED", out.code == grpc.StatusCode.UNIMPLEMENTED,
          out.describe())
    out = client.call("/zitadel.nosuch.v1.NoSuchService/GetSession", GetSessionRequest(session_id=SEEDED_SESSION),
                      GetSessionResponse, token="admin-pat", journaled=False)
    check("errors: unknown service: UNIMPLEMENTED", out.code == grpc.StatusCode.UNIMPLEMENTED, out.describe())


def check_seeded_session(label: str, out: Outcome) -> None:
    check(f"{label}: OK", out.ok, out.describe())
    if out.ok:
        session = out.response.session
        check(f"{label}: the seeded session",
              (session.id, session.sequence, seconds(session.creation_date), session.factors.user.login_name,
               session.factors.web_auth_n.user_verified, session.metadata.get("tenant"))
              == (SEEDED_SESSION, 4, (1741272127, 731226000), "minnie@example.com", True, b"acme"), session)


def transport(client: Client) -> None:
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token="admin-pat")
    check_seeded_session("identity: GetSession", out)
    # grpcio sends a message compressed only when that makes it smaller, so the request carries an unknown
    # field (protobuf ignores it) that compresses well: without it the frame would go out uncompressed.
    padding = unknown_field(999, "newer-client-field " * 50)
    request = GetSessionRequest(session_id=SEEDED_SESSION).to_binary() + padding
    compressible = len(gzip.compress(request)) < len(request)
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token="admin-pat", compression=grpc.Compression.Gzip, extra=padding)
    check_seeded_session(f"gzip: GetSession, a {len(request)}-byte request compressed", out)
    check("gzip: the request is one grpcio compresses", compressible, len(request))
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token="admin-pat", compression=grpc.Compression.Deflate, extra=padding)
    check("gzip: a deflate-compressed request: UNIMPLEMENTED", out.code == grpc.StatusCode.UNIMPLEMENTED,
          out.describe())
    # A small message goes out uncompressed under grpc-encoding: deflate; the encoding is refused all the same.
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token="admin-pat", compression=grpc.Compression.Deflate)
    check("gzip: grpc-encoding deflate on an uncompressed message: UNIMPLEMENTED",
          out.code == grpc.StatusCode.UNIMPLEMENTED, out.describe())

    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token="admin-pat", metadata=[("x-mock-delay-ms", "2000")], timeout=0.3)
    check("deadline: DEADLINE_EXCEEDED", out.code == grpc.StatusCode.DEADLINE_EXCEEDED, out.describe())
    check("deadline: says deadline exceeded", "deadline exceeded" in (out.details or "").lower(), out.details)
    check(f"deadline: returned in under 1.5 s ({out.seconds:.3f} s)", out.seconds < 1.5, f"{out.seconds:.3f} s")

    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION), GetSessionResponse,
                      token="admin-pat", metadata=[("x-mock-status", "500")])
    check_error("x-mock-status 500", out, grpc.StatusCode.INTERNAL, "An internal error occurred (QUERY-SAder)",
                "zitadel.v1.ErrorDetail", ErrorDetail(id="QUERY-SAder", message="An internal error occurred"))


def isolation(client: Client) -> None:
    private = [("x-mock-scenario", "default@grpc1")]
    out = client.call(SESSION + "CreateSession",
                      CreateSessionRequest(checks=Checks(user=CheckUser(search=Oneof("user_id", MINNIE)))),
                      CreateSessionResponse, metadata=private)
    check("isolation: CreateSession in default@grpc1", out.ok and bool(out.response.session_id), out.describe())
    if not out.ok:
        return
    session_id = out.response.session_id
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=session_id), GetSessionResponse,
                      metadata=private)
    check("isolation: GetSession in default@grpc1", out.ok and out.response.session.id == session_id, out.describe())
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=session_id), GetSessionResponse)
    check_error("isolation: GetSession in default", out, grpc.StatusCode.NOT_FOUND,
                "Session does not exist (QUERY-SFeaa)", "zitadel.v1.ErrorDetail",
                ErrorDetail(id="QUERY-SFeaa", message="Session does not exist"))


def journal(base_url: str, client: Client) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base_url}/__admin/requests", timeout=10) as reply:
        entries = json.load(reply)["requests"]
    grpc_entries = [e for e in entries if e.get("protocol") == "grpc"]
    seen = [(e.get("scenario"), e["path"], e.get("grpcStatus")) for e in grpc_entries]
    expected = [(c.scenario, c.path, c.grpc_status) for c in client.calls]
    first_difference = next((i for i, pair in enumerate(zip(seen, expected)) if pair[0] != pair[1]),
                            min(len(seen), len(expected)))
    check(f"journal: {len(expected)} gRPC calls, each with \"protocol\":\"grpc\", its scenario and grpcStatus",
          seen == expected,
          f"{len(seen)} journaled, {len(expected)} made; first difference at #{first_difference}: journal "
          f"{seen[first_difference] if first_difference < len(seen) else None}, expected "
          f"{expected[first_difference] if first_difference < len(expected) else None}")
    check("journal: every gRPC entry HTTP status 200", all(e.get("status") == 200 for e in grpc_entries),
          [e.get("status") for e in grpc_entries])
    gzipped = [e for e in grpc_entries
               if any(h["name"] == "grpc-encoding" and h["value"] == "gzip" for h in e.get("headers", []))]
    check("journal: the gzip call sent grpc-encoding: gzip",
          len(gzipped) == 1 and gzipped[0].get("grpcStatus") == 0, gzipped)
    deadline = [e for e in grpc_entries
                if any(h["name"] == "x-mock-delay-ms" for h in e.get("headers", []))]
    check("journal: the server answered the deadline call with grpcStatus 4",
          len(deadline) == 1 and deadline[0].get("grpcStatus") == 4
          and any(h["name"] == "grpc-timeout" for h in deadline[0].get("headers", [])), deadline)
    others = [e for e in entries if e.get("protocol") != "grpc"]
    check("journal: no non-gRPC entries from this client", others == [], [e["path"] for e in others])


def clock(base_url: str, client: Client) -> None:
    """A copy's clock, frozen over the control API, dates what grpcio creates in that copy."""
    copy = "default@grpcclock"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{base_url}/__admin/clock?scenario={copy}", method="POST",
                                     data=b'{"set":"2026-01-01T00:00:00Z","advance":"90s","freeze":true}')
    with opener.open(request, timeout=10) as reply:
        reading = json.load(reply)
    check("clock: POST /__admin/clock freezes the copy at 00:01:30",
          reading["now"] == "2026-01-01T00:01:30Z" and reading["frozen"] is True, reading)
    private = [("x-mock-scenario", copy)]
    out = client.call(SESSION + "CreateSession",
                      CreateSessionRequest(checks=Checks(user=CheckUser(search=Oneof("user_id", MINNIE)))),
                      CreateSessionResponse, metadata=private, journaled=False)
    check("clock: CreateSession's details.changeDate is the copy's time",
          out.ok and seconds(out.response.details.change_date) == (1767225690, 0), out.describe())
    if not out.ok:
        return
    out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=out.response.session_id),
                      GetSessionResponse, metadata=private, journaled=False)
    check("clock: GetSession's creationDate and user verifiedAt are the copy's time",
          out.ok and seconds(out.response.session.creation_date) == (1767225690, 0)
          and seconds(out.response.session.factors.user.verified_at) == (1767225690, 0), out.describe())


def services(client: Client, label: str) -> None:
    """Health and reflection as gRPC tooling uses them (grpcurl, Postman and Kreya read reflection)."""
    from google.protobuf.descriptor_pool import DescriptorPool
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    health = health_pb2_grpc.HealthStub(client.channel)
    for service in ["", "zitadel.session.v2.SessionService"]:
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        check(f"{label}: Health.Check {service!r}: SERVING", answer.status == health_pb2.HealthCheckResponse.SERVING,
              answer)
    try:
        health.Check(health_pb2.HealthCheckRequest(service="nope.Service"), timeout=5)
        check(f"{label}: Health.Check of an unknown service: NOT_FOUND", False, "answered")
    except grpc.RpcError as error:
        check(f"{label}: Health.Check of an unknown service: NOT_FOUND",
              error.code() == grpc.StatusCode.NOT_FOUND and error.details() == "unknown service nope.Service",
              (error.code(), error.details()))
    watch = health.Watch(health_pb2.HealthCheckRequest(service="nope.Service"), timeout=5)
    first = next(watch)
    watch.cancel()
    check(f"{label}: Health.Watch sends the status and stays open",
          first.status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN, first)

    database = ProtoReflectionDescriptorDatabase(client.channel)
    listed = list(database.get_services())
    check(f"{label}: reflection lists the served services",
          listed[:5] == ["zitadel.session.v2.SessionService", "zitadel.user.v2.UserService",
                         "zitadel.settings.v2.SettingsService", "zitadel.org.v2.OrganizationService",
                         "zitadel.oidc.v2.OIDCService"] and "grpc.health.v1.Health" in listed, listed)
    pool = DescriptorPool(database)
    session_service = pool.FindServiceByName("zitadel.session.v2.SessionService")
    check(f"{label}: reflection describes SessionService",
          [m.name for m in session_service.methods]
          == ["ListSessions", "GetSession", "CreateSession", "SetSession", "DeleteSession"],
          [m.name for m in session_service.methods])
    message = pool.FindMessageTypeByName("zitadel.session.v2.Session")
    check(f"{label}: reflection describes zitadel.session.v2.Session with its imports",
          "factors" in message.fields_by_name and "creation_date" in message.fields_by_name,
          list(message.fields_by_name))


def main() -> int:
    base_url = sys.argv[1].rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port \
            or (parts.scheme == "https") != (len(sys.argv) == 3):
        print(f"usage: check.py http://HOST:PORT | check.py https://HOST:PORT CA.pem (got {sys.argv[1:]!r})")
        return 2
    if parts.scheme == "https":
        # TLS: the certificate names localhost, as grpcio's hostname check wants.
        client = Client(f"localhost:{parts.port}", root_certificates=open(sys.argv[2], "rb").read())
        try:
            out = client.call(SESSION + "GetSession", GetSessionRequest(session_id=SEEDED_SESSION),
                              GetSessionResponse, token="admin-pat")
            check_seeded_session("TLS (ALPN h2): GetSession", out)
            services(client, "TLS (ALPN h2)")
        finally:
            client.channel.close()
    else:
        client = Client(f"{parts.hostname}:{parts.port}")
        try:
            login_flow(client)
            error_rows(client)
            transport(client)
            isolation(client)
            journal(base_url, client)
            clock(base_url, client)
            services(client, "services")
        finally:
            client.channel.close()
    if failures:
        print(f"{len(failures)} check(s) failed: {', '.join(failures)}")
        return 1
    print("grpcio client: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""ZITADEL's official Python SDK (zitadel-client, pinned) drives a whole login against session-mock,
unchanged but for its host: create with a user check, set the password, get, list, delete, and the
deleted session's 404; the login UI's other calls; and a session dated by a frozen clock. Exits non-zero
if a check failed."""
import datetime
import json
import sys
import urllib.request

from zitadel_client import Zitadel
from zitadel_client.exceptions import ApiError
from zitadel_client.models import (
    SessionServiceCheckPassword, SessionServiceCheckUser, SessionServiceChecks,
    SessionServiceCreateSessionRequest, SessionServiceDeleteSessionRequest, SessionServiceGetSessionRequest,
    SessionServiceIDsQuery, SessionServiceListSessionsRequest, SessionServiceSearchQuery,
    SessionServiceSetSessionRequest,
    OrganizationServiceListOrganizationsRequest, SettingsServiceGetLoginSettingsRequest,
    UserServiceGetUserByIDRequest, UserServiceListAuthenticationMethodTypesRequest, UserServiceListUsersRequest,
    UserServiceLoginNameQuery, UserServiceSearchQuery,
)

url = sys.argv[1]
failures = 0


def check(name, condition):
    global failures
    print(("ok   " if condition else "FAIL ") + name)
    if not condition:
        failures += 1


login = Zitadel.with_access_token(url, "login-pat")
admin = Zitadel.with_access_token(url, "admin-pat")

created = login.sessions.create_session(SessionServiceCreateSessionRequest(
    checks=SessionServiceChecks(user=SessionServiceCheckUser(login_name="minnie@example.com")), lifetime="18000s"))
check("CreateSession: an 18-digit id", created.session_id is not None and len(created.session_id) == 18)
check("CreateSession: a session token", created.session_token is not None and len(created.session_token) >= 32)
check("CreateSession: details", created.details is not None and created.details.resource_owner == "312908994858385304")

try:
    login.sessions.set_session(SessionServiceSetSessionRequest(
        session_id=created.session_id, checks=SessionServiceChecks(password=SessionServiceCheckPassword(password="nope"))))
    check("SetSession: a wrong password is refused", False)
except ApiError as error:
    check("SetSession: a wrong password is refused with 400", error.code == 400)
    check("SetSession: ...and ZITADEL's error ID", "COMMAND-3M0fs" in str(error.response_body))
    # Connect JSON: the CredentialsCheckError detail, readable under `debug`, counts the attempts.
    body = error.response_body if isinstance(error.response_body, (dict, list)) else json.loads(error.response_body)
    debug = body["details"][0]["debug"]
    check("SetSession: ...a CredentialsCheckError counting 1 failed attempt",
          body["details"][0]["type"] == "zitadel.v1.CredentialsCheckError" and debug.get("failedAttempts") == 1)

updated = login.sessions.set_session(SessionServiceSetSessionRequest(
    session_id=created.session_id, checks=SessionServiceChecks(password=SessionServiceCheckPassword(password="V3ryS3cure!"))))
check("SetSession: a new token", updated.session_token not in (None, created.session_token))

got = admin.sessions.get_session(SessionServiceGetSessionRequest(session_id=created.session_id))
session = got.session
check("GetSession: the user factor", session.factors.user.login_name == "minnie@example.com")
check("GetSession: the password factor", session.factors.password is not None and session.factors.password.verified_at is not None)
check("GetSession: sequence 2", str(session.sequence) == "2")
check("GetSession: an expiration date", session.expiration_date is not None)

listed = login.sessions.list_sessions(SessionServiceListSessionsRequest(
    queries=[SessionServiceSearchQuery(ids_query=SessionServiceIDsQuery(ids=[created.session_id]))]))
check("ListSessions: one match", str(listed.details.total_result) == "1" and len(listed.sessions) == 1)
check("ListSessions: the same session", listed.sessions[0].id == created.session_id)

admin.sessions.delete_session(SessionServiceDeleteSessionRequest(session_id=created.session_id))
try:
    admin.sessions.get_session(SessionServiceGetSessionRequest(session_id=created.session_id))
    check("GetSession after DeleteSession: 404", False)
except ApiError as error:
    check("GetSession after DeleteSession: 404", error.code == 404 and "QUERY-SFeaa" in str(error.response_body))

# The calls a login UI makes around its sessions: find the user, read the settings and organization.
found = login.users.list_users(UserServiceListUsersRequest(
    queries=[UserServiceSearchQuery(login_name_query=UserServiceLoginNameQuery(login_name="MINNIE@example.com"))]))
check("ListUsers: the login name, case-insensitively", len(found.result) == 1 and found.result[0].user_id == "312909037640286104")
user = admin.users.get_user_by_id(UserServiceGetUserByIDRequest(user_id="312909037640286104")).user
check("GetUserByID: a human with its profile and email",
      user.human.profile.given_name == "Minnie" and user.human.email.email == "minnie@example.com"
      and user.human.email.is_verified is True and str(user.state).endswith("USER_STATE_ACTIVE"))
methods = login.users.list_authentication_method_types(
    UserServiceListAuthenticationMethodTypesRequest(user_id="312909037640286104"))
check("ListAuthenticationMethodTypes: from the seed",
      [str(m).rsplit(".", 1)[-1].replace("AUTHENTICATION_METHOD_TYPE_", "") for m in methods.auth_method_types]
      == ["PASSWORD", "PASSKEY", "IDP", "TOTP", "OTP_EMAIL"])
settings = login.settings.get_login_settings(SettingsServiceGetLoginSettingsRequest()).settings
check("GetLoginSettings: a new instance's", settings.allow_username_password is True
      and settings.password_check_lifetime == "864000s")
general = login.settings.get_general_settings({})
check("GetGeneralSettings: default organization and language",
      general.default_org_id == "312908994858385304" and general.default_language == "en")
organizations = login.organizations.list_organizations(OrganizationServiceListOrganizationsRequest())
check("ListOrganizations: the default organization",
      len(organizations.result) == 1 and organizations.result[0].name == "ZITADEL")

# The active scenario's clock, frozen over the control API, dates what the SDK creates.
def move_clock(method, body=None):
    # Under a /__scenario/NAME@KEY base URL the copy is that one; the control API is at the root.
    root, _, scenario = url.partition("/__scenario/")
    target = f"{root}/__admin/clock" + (f"?scenario={scenario}" if scenario else "")
    request = urllib.request.Request(target, data=body, method=method)
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as reply:
        return json.load(reply)


def epoch_seconds(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


move_clock("POST", b'{"set":"2026-01-01T00:00:00Z","freeze":true}')
dated = login.sessions.create_session(SessionServiceCreateSessionRequest(
    checks=SessionServiceChecks(user=SessionServiceCheckUser(login_name="minnie@example.com")), lifetime="600s"))
check("Clock: CreateSession's details.changeDate is the frozen 2026-01-01T00:00:00Z",
      epoch_seconds(dated.details.change_date) == 1767225600)
dated_session = admin.sessions.get_session(SessionServiceGetSessionRequest(session_id=dated.session_id)).session
check("Clock: creationDate is the clock's, expirationDate ten minutes on",
      epoch_seconds(dated_session.creation_date) == 1767225600
      and epoch_seconds(dated_session.expiration_date) == 1767225600 + 600)
check("Clock: DELETE /__admin/clock puts it back on the wall clock", move_clock("DELETE")["frozen"] is False)

if failures:
    sys.exit(f"zitadel-client: {failures} checks failed")
print("zitadel-client: all checks passed")

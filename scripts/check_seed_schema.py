#!/usr/bin/env python3
"""Checks Seeds/seed.schema.json against the seed files and against hand-made good and broken seeds.

Every Seeds/*.json file (but the schema) and every GOOD case must validate; every BAD case must not.
With --bin PATH (or env SESSION_MOCK_BIN) each case also goes through `session-mock validate`, which
must agree, so the schema and SeedParser.swift cannot drift apart unnoticed. Exit 1 on any mismatch.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import jsonschema
except ImportError:
    sys.exit("check_seed_schema: the Python package 'jsonschema' is missing (pip install jsonschema)")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "Seeds"
SCHEMA = SEEDS / "seed.schema.json"

CHALLENGE = {"id": "sc_1", "code": "PENDING", "expired": False, "completed": False}
SESSION = {"id": "s-1", "creationDate": "now", "changeDate": "now", "sequence": "1"}


def seed(**parts):
    """A small valid seed with `parts` replacing or adding top-level members."""
    doc = {
        "walletkit": {"projects": ["proj_demo"], "sessionChallenges": [{"project": "proj_demo", "challenge": dict(CHALLENGE)}]},
        "zitadel": {"tokens": [{"token": "pat", "userId": "1", "permissions": ["session.read"]}],
                    "sessions": [{"sessionToken": "tok", "creatorUserId": "1", "session": dict(SESSION)}]},
    }
    doc.update(copy.deepcopy(parts))
    return doc


def challenge_entry(**entry):
    return seed(walletkit={"sessionChallenges": [{"challenge": dict(CHALLENGE), **entry}]})


def challenge(**fields):
    return seed(walletkit={"sessionChallenges": [{"challenge": {**CHALLENGE, **fields}}]})


def session(**fields):
    return seed(zitadel={"sessions": [{"session": {**SESSION, **fields}}]})


def session_without(name):
    wire = {k: v for k, v in SESSION.items() if k != name}
    return seed(zitadel={"sessions": [{"session": wire}]})


def token(**fields):
    return seed(zitadel={"tokens": [fields]})


def fault(**rule):
    return seed(faults=[rule])


WALLETKIT_USER = {"userId": "usr_1", "email": "a@example.com"}


def zitadel_user(**fields):
    return seed(zitadel={"users": [{"userId": "1", "loginName": "a@example.com", **fields}]})


def walletkit_users(*users):
    return seed(walletkit={"projects": ["proj_demo"], "users": list(users)})


def walletkit_user(**fields):
    return walletkit_users({**WALLETKIT_USER, **fields})


def walletkit_settings(**settings):
    return seed(walletkit={"settings": settings})


GOOD = {
    "zitadel user with every profile field": zitadel_user(
        state="USER_STATE_INITIAL", username="a", email="a@example.com", emailVerified=True, phone="+41790000000",
        phoneVerified=False, givenName="A", familyName="B", preferredLanguage="en", otpSms=True, otpEmail=False,
        passwordChangeRequired=True),
    "empty document": {},
    "small seed": seed(),
    "nulls mean unset": {"$schema": None, "walletkit": None, "zitadel": {"tokens": None, "sessions": None}, "faults": None},
    "challenge without project, null project": seed(walletkit={"sessionChallenges": [
        {"challenge": dict(CHALLENGE)}, {"project": None, "challenge": {**CHALLENGE, "code": "OTHER", "id": "sc_2"}}]}),
    "timeline afterPolls and after": challenge_entry(timeline=[
        {"afterPolls": 0, "set": {"completed": True}}, {"after": "1h30m", "set": {"expired": True, "completed": None}}]),
    "relative and offset timestamps": session(creationDate="now-2h", changeDate="now+1500ms",
                                              expirationDate="2025-03-06T15:42:07.123456789+01:00"),
    "lowercase t and z": session(creationDate="2025-03-06t14:42:07z"),
    "sequence as a number": session(sequence=4),
    "snake_case aliases": seed(zitadel={"sessions": [{"session": {
        "id": "s-1", "sequence": "1", "creation_date": "now-1m", "change_date": "now", "expiration_date": "now+15m",
        "user_agent": {"fingerprint_id": "fp", "ip": "203.0.113.7",
                       "header": {"accept": {"values": ["*/*"]}, "x-empty": {}}},
        "factors": {"user": {"verified_at": "now", "id": "42", "login_name": "a@b.c", "display_name": "A",
                             "organization_id": "7"},
                    "web_auth_n": {"verified_at": "now", "user_verified": True},
                    "otp_sms": {"verified_at": "now"}, "otp_email": {"verified_at": "now"},
                    "recovery_code": {"verified_at": "now"}, "intent": {"verifiedAt": "now"}, "totp": None},
    }}]}),
    "metadata base64 variants": session(metadata={"a": "YWNtZQ==", "b": "YWNtZQ", "c": "cHJv", "d": "", "e": "-_-_"}),
    "token without permissions": token(token="pat", userId="1"),
    "fault status": fault(match={"api": "walletkit", "code": "BOOM"}, status=500, times=1),
    "fault zitadel 404": fault(match={"api": "ZITADEL"}, status=404),
    "fault own body for other status": fault(match={}, status=418, body={"teapot": True}),
    "fault 2xx without body": fault(match={"path": "/users/session-challenge"}, status=204),
    "fault delay only": fault(match={"sessionId": "slow-1", "method": "get"}, delayMs=1500),
    "fault drop": fault(match={"query": {"code": "DROP"}, "headers": {"x-test": "1"}}, drop=True),
    "fault drop false with delay": fault(match={}, drop=False, delayMs=0),
    "walletkit user minimal": walletkit_users(dict(WALLETKIT_USER)),
    "walletkit user full": walletkit_user(project="proj_demo", verificationCode="123456"),
    "walletkit user nulls": walletkit_user(project=None, verificationCode=None),
    "walletkit same email in two projects": seed(walletkit={"projects": ["p1", "p2"], "users": [
        {"userId": "u1", "email": "a@example.com", "project": "p1"}, {"userId": "u2", "email": "A@example.com", "project": "p2"}]}),
    "walletkit email of 254 bytes": walletkit_user(email="a@" + "b" * 252),
    "walletkit users and settings null": seed(walletkit={"users": None, "settings": None}),
    "walletkit settings empty": walletkit_settings(),
    "walletkit settings full": walletkit_settings(challengeTtl="10m", accessTokenTtl="1h30m", refreshTokenTtl="30d",
                                                  codeLength=12, newChallengeTimeline=[
                                                      {"afterPolls": 2, "set": {"completed": True}},
                                                      {"after": "1500ms", "set": {"expired": True}}]),
    "walletkit settings nulls": walletkit_settings(challengeTtl=None, accessTokenTtl=None, refreshTokenTtl=None,
                                                   codeLength=None, newChallengeTimeline=None),
    "walletkit settings shortest": walletkit_settings(challengeTtl="1ms", codeLength=4),
    "zitadel settings and an organization's": seed(zitadel={
        "settings": {"login": {"allowRegister": False, "passkeysType": None}, "lockout": {"maxPasswordAttempts": "3"},
                     "general": {"supportedLanguages": ["de"]}, "security": None,
                     "identityProviders": [{"id": "g", "type": "IDENTITY_PROVIDER_TYPE_GOOGLE"}]},
        "organizations": [{"id": "o", "name": "O", "primaryDomain": "o.example",
                           "settings": {"branding": {"themeMode": "THEME_MODE_DARK"}, "identityProviders": []}}]}),
    "clock start and frozen": seed(clock={"start": "2026-01-01T00:00:00Z", "frozen": True}),
    "clock start relative": seed(clock={"start": "now-1h"}),
    "clock empty, nulls": seed(clock={"start": None, "frozen": None}),
    "clock null": seed(clock=None),
    "randomSeed 0": seed(randomSeed=0),
    "randomSeed max": seed(randomSeed=18446744073709551615, clock={"frozen": False}),
}

BAD = {
    "not an object": [],
    "unknown top-level key": seed(walletKit={}),
    "unknown walletkit key": seed(walletkit={"challenges": []}),
    "empty project id": seed(walletkit={"projects": [""]}),
    "challenge missing completed": seed(walletkit={"sessionChallenges": [{"challenge": {"id": "a", "code": "B", "expired": False}}]}),
    "challenge extra field": challenge(status="pending"),
    "challenge empty code": challenge(code=""),
    "challenge expired as string": challenge(expired="false"),
    "challenge entry without challenge": seed(walletkit={"sessionChallenges": [{"project": "proj_demo"}]}),
    "challenge null": seed(walletkit={"sessionChallenges": [{"challenge": None}]}),
    "timeline both triggers": challenge_entry(timeline=[{"afterPolls": 2, "after": "1m", "set": {"completed": True}}]),
    "timeline no trigger": challenge_entry(timeline=[{"set": {"completed": True}}]),
    "timeline sets nothing": challenge_entry(timeline=[{"afterPolls": 2, "set": {}}]),
    "timeline without set": challenge_entry(timeline=[{"afterPolls": 2}]),
    "timeline negative polls": challenge_entry(timeline=[{"afterPolls": -1, "set": {"completed": True}}]),
    "timeline bad duration": challenge_entry(timeline=[{"after": "10 minutes", "set": {"expired": True}}]),
    "timeline duration without unit": challenge_entry(timeline=[{"after": "10", "set": {"expired": True}}]),
    "token with a space": token(token="a b", userId="1"),
    "token without userId": token(token="pat"),
    "token unknown field": token(token="pat", userId="1", scopes=[]),
    "zitadel user unknown state": zitadel_user(state="USER_STATE_GONE"),
    "zitadel user empty email": zitadel_user(email=""),
    "zitadel user otpSms not a bool": zitadel_user(otpSms="yes"),
    "session entry without session": seed(zitadel={"sessions": [{"sessionToken": "tok"}]}),
    "session empty sessionToken": seed(zitadel={"sessions": [{"sessionToken": "", "session": dict(SESSION)}]}),
    "session without id": session_without("id"),
    "session id too long": session(id="x" * 201),
    "session unknown field": session(state="active"),
    "session both spellings": session(creation_date="now"),
    "timestamp words": session(creationDate="yesterday"),
    "timestamp now+": session(creationDate="now+"),
    "timestamp month 13": session(creationDate="2025-13-01T00:00:00Z"),
    "timestamp without zone": session(creationDate="2025-03-06T14:42:07"),
    "sequence negative": session(sequence="-1"),
    "sequence text": session(sequence="four"),
    "factor without verifiedAt": session(factors={"password": {}}),
    "factor verifiedAt null": session(factors={"user": {"verifiedAt": None, "id": "1"}}),
    "unknown factor": session(factors={"sms": {"verifiedAt": "now"}}),
    "factor both spellings": session(factors={"webAuthN": {"verifiedAt": "now"}, "web_auth_n": {"verifiedAt": "now"}}),
    "metadata not base64": session(metadata={"a": "not base64!"}),
    "metadata bad length": session(metadata={"a": "YWNtZ"}),
    "metadata bad padding": session(metadata={"a": "YW="}),
    "userAgent header as list": session(userAgent={"header": {"accept": ["*/*"]}}),
    "fault without match": fault(status=500),
    "fault does nothing": fault(match={}),
    "fault drop and status": fault(match={}, drop=True, status=500),
    "fault body without status": fault(match={}, delayMs=10, body={"x": 1}),
    "fault undocumented walletkit 404": fault(match={"api": "walletkit"}, status=404),
    "fault 404 for both apis": fault(match={}, status=404),
    "fault status out of range": fault(match={}, status=700),
    "fault unknown api": fault(match={"api": "stripe"}, status=500),
    "fault unknown match key": fault(match={"host": "x"}, status=500),
    "fault times zero": fault(match={}, status=500, times=0),
    "fault delay too long": fault(match={}, delayMs=600001),
    "walletkit user without userId": walletkit_users({"email": "a@example.com"}),
    "walletkit user without email": walletkit_users({"userId": "usr_1"}),
    "walletkit user empty userId": walletkit_user(userId=""),
    "walletkit user userId null": walletkit_user(userId=None),
    "walletkit user email null": walletkit_user(email=None),
    "walletkit user email without @": walletkit_user(email="alice.example.com"),
    "walletkit user email over 254 bytes": walletkit_user(email="a@" + "b" * 253),
    "walletkit user email a number": walletkit_user(email=5),
    "walletkit user empty project": walletkit_user(project=""),
    "walletkit user empty verificationCode": walletkit_user(verificationCode=""),
    "walletkit user numeric verificationCode": walletkit_user(verificationCode=123456),
    "walletkit user unknown field": walletkit_user(password="x"),
    "walletkit user not an object": walletkit_users("usr_1"),
    "walletkit users not an array": seed(walletkit={"users": {"userId": "usr_1", "email": "a@example.com"}}),
    "walletkit settings not an object": seed(walletkit={"settings": []}),
    "walletkit settings unknown field": walletkit_settings(sessionTtl="1h"),
    "walletkit settings zero ttl": walletkit_settings(challengeTtl="0m"),
    "walletkit settings zero ttl in parts": walletkit_settings(refreshTokenTtl="0h00m"),
    "walletkit settings bad duration": walletkit_settings(accessTokenTtl="1 hour"),
    "walletkit settings ttl a number": walletkit_settings(accessTokenTtl=3600),
    "walletkit settings codeLength 3": walletkit_settings(codeLength=3),
    "walletkit settings codeLength 13": walletkit_settings(codeLength=13),
    "walletkit settings codeLength text": walletkit_settings(codeLength="6"),
    "walletkit settings timeline step without trigger": walletkit_settings(newChallengeTimeline=[{"set": {"completed": True}}]),
    "walletkit settings timeline not an array": walletkit_settings(newChallengeTimeline={"afterPolls": 1, "set": {"completed": True}}),
    "zitadel settings unknown key": seed(zitadel={"settings": {"colors": {}}}),
    "zitadel settings object a list": seed(zitadel={"settings": {"login": []}}),
    "zitadel settings identityProviders an object": seed(zitadel={"settings": {"identityProviders": {}}}),
    "zitadel organization general settings": seed(zitadel={"organizations": [
        {"id": "o", "name": "O", "primaryDomain": "o.example", "settings": {"general": {}}}]}),
    "clock start words": seed(clock={"start": "yesterday"}),
    "clock frozen as string": seed(clock={"frozen": "yes"}),
    "clock unknown key": seed(clock={"speed": 2}),
    "clock not an object": seed(clock=True),
    "randomSeed negative": seed(randomSeed=-1),
    "randomSeed fraction": seed(randomSeed=1.5),
    "randomSeed string": seed(randomSeed="42"),
    "randomSeed past uint64": seed(randomSeed=18446744073709551616),
}


def parser_accepts(binary, doc):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(doc, handle)
        path = handle.name
    try:
        return subprocess.run([binary, "validate", path], capture_output=True, timeout=30).returncode == 0
    finally:
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("SESSION_MOCK_BIN"),
                        help="session-mock binary: also require `session-mock validate` to agree")
    args = parser.parse_args()

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = []

    cases = [(f"Seeds/{p.name}", json.loads(p.read_text(encoding="utf-8")), True)
             for p in sorted(SEEDS.glob("*.json")) if p != SCHEMA]
    cases += [(f"good: {name}", doc, True) for name, doc in GOOD.items()]
    cases += [(f"bad: {name}", doc, False) for name, doc in BAD.items()]

    for name, doc, expected in cases:
        error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
        if (error is None) != expected:
            detail = f": {error.json_path}: {error.message[:200]}" if error else ""
            problems.append(f"schema {'rejects' if error else 'accepts'} {name}{detail}")
        if args.bin and parser_accepts(args.bin, doc) != expected:
            problems.append(f"session-mock validate {'rejects' if expected else 'accepts'} {name}")

    for problem in problems:
        print(f"check_seed_schema: {problem}", file=sys.stderr)
    checked = "schema" + (" and session-mock validate" if args.bin else "")
    print(f"check_seed_schema: {len(cases)} cases checked against the {checked}, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

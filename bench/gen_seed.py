#!/usr/bin/env python3
"""Writes a large session-mock seed for the benchmark (100,000 sessions + 100,000 challenges by default).

The seed keeps the default scenario's benchmark records (challenge K7PX-22QA of proj_demo, session
312909075212468632, token admin-pat) byte-for-byte, so the same wrk requests get the same bodies, and adds
generated records shaped like them:

  challenges:  code "BENCH-%06d" (i = 0..N-1), id "sc_bench_%06d", project proj_demo
  sessions:    id str(400000000000000000 + i), a user + password + webAuthN session like 312909075212468632
  tokens:      admin-pat (session.read) and "bench-pat-%04d" (no permissions, creators of the sessions)

Usage: gen_seed.py OUT.json [--sessions N] [--challenges N] [--tokens N]
"""
import argparse
import json
import os
import sys

SESSION_BASE = 400000000000000000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--challenges", type=int, default=100_000)
    ap.add_argument("--tokens", type=int, default=1_000)
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "Seeds", "default.json"), encoding="utf-8") as f:
        default = json.load(f)
    full = next(s for s in default["zitadel"]["sessions"] if s["session"]["id"] == "312909075212468632")
    k7 = next(c for c in default["walletkit"]["sessionChallenges"] if c["challenge"]["code"] == "K7PX-22QA")

    challenges = [k7]
    for i in range(args.challenges):
        challenges.append({"project": "proj_demo", "challenge": {
            "id": "sc_bench_%06d" % i, "code": "BENCH-%06d" % i, "expired": False, "completed": i % 7 == 0}})

    tokens = [{"token": "admin-pat", "userId": "9001", "permissions": ["session.read"]}]
    for t in range(args.tokens):
        tokens.append({"token": "bench-pat-%04d" % t, "userId": str(800000000000000000 + t), "permissions": []})

    sessions = [full]
    for i in range(args.sessions):
        sid = str(SESSION_BASE + i)
        uid = str(500000000000000000 + i)
        sec = i % 60
        mn = (i // 60) % 60
        created = "2025-03-06T14:%02d:%02d.%06dZ" % (mn, sec, (i * 7919) % 1_000_000)
        changed = "2025-03-06T15:%02d:%02d.%06dZ" % (mn, sec, (i * 104729) % 1_000_000)
        sessions.append({
            "sessionToken": "tok-bench-%06d" % i,
            "creatorUserId": str(800000000000000000 + (i % max(1, args.tokens))),
            "session": {
                "id": sid,
                "creationDate": created,
                "changeDate": changed,
                "sequence": str(1 + i % 50),
                "factors": {
                    "user": {"verifiedAt": created, "id": uid, "loginName": "user%06d@example.com" % i,
                             "displayName": "Bench User %06d" % i, "organizationId": "312908994858385304"},
                    "password": {"verifiedAt": changed},
                    "webAuthN": {"verifiedAt": changed, "userVerified": i % 2 == 0},
                },
                "metadata": {"tenant": "YWNtZQ=="},
                "userAgent": {"fingerprintId": "fp-%06x" % i, "ip": "203.0.113.%d" % (i % 254 + 1),
                              "description": "Chrome 122 on macOS",
                              "header": {"accept-language": {"values": ["de-CH", "en"]}}},
                "expirationDate": "2025-03-07T02:%02d:%02d.000000Z" % (mn, sec),
            },
        })

    seed = {
        "description": "Benchmark scenario: %d challenges, %d sessions, %d tokens (bench/gen_seed.py)."
                       % (len(challenges), len(sessions), len(tokens)),
        "walletkit": {"projects": ["proj_demo"], "sessionChallenges": challenges},
        "zitadel": {"tokens": tokens, "sessions": sessions},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(seed, f, separators=(",", ":"))
    size = os.path.getsize(args.out)
    print("wrote %s: %d challenges, %d sessions, %d tokens, %.1f MB"
          % (args.out, len(challenges), len(sessions), len(tokens), size / 1e6), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

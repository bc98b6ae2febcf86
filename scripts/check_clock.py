#!/usr/bin/env python3
"""Fails when anything but the clock types reads the time, or anything but ScenarioRandom draws
randomness for a scenario copy.

Everything a scenario copy answers reads its ScenarioClock (Sources/Store/ScenarioClock.swift),
the only reader of WallClock.nowMicros besides what rightly stays on wall time (listed below
with the reason). The operating system's clocks are read in Sources/Platform/WallClock.swift
only, with the certificate maker and the engine's timers as named exceptions. Monotonic time is
for latencies and timers, never for a copy's state.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "Sources"

# (pattern, files allowed to use it, why)
RULES = [
    (
        r"\b(clock_gettime|gettimeofday|time\(nil\)|time\(NULL\)|Date\(\)|Date\.now|ContinuousClock|"
        r"SuspendingClock|DispatchWallTime)\b",
        {
            "Platform/WallClock.swift": "the one reader of the system's clocks",
            "Platform/TLSCertificates.swift": "a certificate's validity starts at the real time",
        },
    ),
    (
        r"DispatchTime\.now",
        {"MicroHTTP/HTTPServer.swift": "the stop's drain deadline, an engine timer"},
    ),
    (
        r"WallClock\.nowMicros",
        {
            "Store/ScenarioClock.swift": "the scenario copies' clock",
            "SessionMock/SessionMockApp.swift": "the journal's timestamps are when a request really came",
            "MicroHTTP/HTTP2Engine.swift": "HTTP's Date header is the server's real time",
        },
    ),
    (
        r"WallClock\.monotonicNanos",
        {
            "MicroHTTP/HTTP2Client.swift": "the test client's timeout",
            "MicroHTTP/SniffingListener.swift": "the engine's idle timers",
            "SessionMock/SessionMockApp.swift": "the journal's latency",
            "SessionMock/Control/AdminAPI.swift": "the process's uptime",
        },
    ),
    (
        r"SystemRandomNumberGenerator|\.random\(|randomElement|shuffled\(\)|arc4random|getrandom",
        {
            "Platform/RandomText.swift": "ScenarioRandom: the copies' generator, the system's without a seed",
            "Platform/TLSCertificates.swift": "a certificate's serial number is no copy's answer",
        },
    ),
]

GENERATED = re.compile(r"\.pb\.swift$|/Descriptors\.swift$|/Bundled[A-Za-z]*\.swift$")


def code_lines(text):
    """Lines without `//` comments, so a comment naming a call is no use of it."""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = re.sub(r"//.*", "", line)
        if stripped.strip():
            yield number, stripped


def main():
    problems = []
    files = sorted(p for p in SOURCES.rglob("*") if p.suffix in {".swift", ".c", ".h"})
    for path in files:
        relative = path.relative_to(SOURCES).as_posix()
        if GENERATED.search("/" + relative):
            continue
        text = path.read_text()
        for pattern, allowed in RULES:
            if relative in allowed:
                continue
            for number, line in code_lines(text):
                if re.search(pattern, line):
                    problems.append(f"Sources/{relative}:{number}: {line.strip()}")
    if problems:
        print("time or randomness read outside the clock and random types:", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        print("read the copy's ScenarioClock / ScenarioRandom instead (scripts/check_clock.py)", file=sys.stderr)
        return 1
    print(f"clock-check: {len(files)} files, only the clock and random types read time and randomness")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Attacks session-mock's HTTP/2 side the ways docs and CVEs name (docs/cli.md#robustness-limits) and checks
that each attack ends only its own connection: rapid reset (CVE-2023-44487), SETTINGS and PING
floods, an HPACK bomb (and, beside it, a large-but-sane header list that must get 431), a peer that
never reads, an idle connection, and a connection that stops half-way through the preface.

Frames are made by h2 (and its hpack/hyperframe) and written to raw sockets; what the server sends
back is read frame by frame with hyperframe, so every line says which frame (or EOF/reset) ended a
connection and after how long. After every case a fresh connection must still get
`/__admin/health` over HTTP/2 and over HTTP/1.1, and the server process must still run.

Expects a server started with `--idle-timeout IDLE`. Exits non-zero on any failed check.
Usage: check.py BASE_URL SERVER_PID IDLE_TIMEOUT_SECONDS
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import hpack
from h2.errors import ErrorCodes
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CASE_SECONDS = 30  # no case may take longer than this (SIGALRM)

BASE_URL, SERVER_PID, IDLE = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
HOST, PORT = urlsplit(BASE_URL).hostname or "127.0.0.1", urlsplit(BASE_URL).port or 80
AUTHORITY = f"{HOST}:{PORT}"
# An attack must have ended its connection before the idle timeout could have done it.
ATTACK_DEADLINE = IDLE - 0.5
FAILED = False


def report(ok: bool, name: str, observed: str) -> None:
    global FAILED
    FAILED |= not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {observed}", flush=True)


def code_name(code: int) -> str:
    try:
        return f"{ErrorCodes(code).name}(0x{code:x})"
    except ValueError:
        return f"0x{code:x}"


def connect() -> socket.socket:
    sock = socket.create_connection((HOST, PORT), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_headers(path: str, method: str = "GET") -> list[tuple[str, str]]:
    return [(":method", method), (":scheme", "http"), (":authority", AUTHORITY), (":path", path)]


# MARK: - Reading what the server sends, frame by frame


class Wire:
    """The server's side of one connection: frames as they arrive (with their time since `t0`),
    header blocks decoded with one HPACK decoder, and how the connection ended (EOF or reset)."""

    def __init__(self, sock: socket.socket, t0: float, auto_ack: bool = False) -> None:
        self.sock, self.t0, self.auto_ack = sock, t0, auto_ack
        self.buffer = bytearray()
        self.frames: list[tuple[float, Frame]] = []
        self.closed: tuple[str, float] | None = None
        self.decoder = hpack.Decoder()
        self.decoder.max_header_list_size = 1 << 24
        self.block: dict[int, bytes] = {}
        self.headers: dict[int, list[list[tuple[str, str]]]] = {}  # decoded blocks per stream
        self.data: dict[int, bytearray] = {}
        self.ended: set[int] = set()  # streams the server ended (END_STREAM)

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def read(self, deadline: float, stop: Callable[[Frame], bool] = lambda _: False) -> Frame | None:
        """Reads until a frame for which `stop` is true (returned), EOF/reset or `deadline` (None)."""
        while True:
            while len(self.buffer) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(self.buffer[:9]))
                if len(self.buffer) < 9 + length:
                    break
                frame.parse_body(memoryview(bytes(self.buffer[9 : 9 + length])))
                del self.buffer[: 9 + length]
                self.note(frame)
                if stop(frame):
                    return frame
            if self.closed:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except TimeoutError:
                return None
            except ConnectionResetError:
                self.closed = ("reset (ECONNRESET)", self.elapsed())
                continue
            if not chunk:
                self.closed = ("EOF", self.elapsed())
                continue
            self.buffer += chunk

    def note(self, frame: Frame) -> None:
        self.frames.append((self.elapsed(), frame))
        if isinstance(frame, (HeadersFrame, ContinuationFrame)):
            self.block[frame.stream_id] = self.block.get(frame.stream_id, b"") + frame.data
            if "END_HEADERS" in frame.flags:
                fields = self.decoder.decode(self.block.pop(frame.stream_id), raw=False)
                self.headers.setdefault(frame.stream_id, []).append(fields)
        if isinstance(frame, DataFrame):
            self.data.setdefault(frame.stream_id, bytearray()).extend(frame.data)
        if isinstance(frame, (HeadersFrame, DataFrame)) and "END_STREAM" in frame.flags:
            self.ended.add(frame.stream_id)
        if self.auto_ack and isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            self.sock.sendall(SettingsFrame(0, flags=["ACK"]).serialize())

    def goaway(self) -> tuple[float, GoAwayFrame] | None:
        return next(((t, f) for t, f in self.frames if isinstance(f, GoAwayFrame)), None)

    def status(self, stream: int) -> str | None:
        for block in self.headers.get(stream, []):
            for name, value in block:
                if name == ":status":
                    return value
        return None

    def summary(self) -> str:
        """The frames seen, runs of the same kind counted, then how the connection ended."""
        parts: list[list] = []
        for t, frame in self.frames:
            label = describe(frame)
            if parts and parts[-1][0] == label:
                parts[-1][1] += 1
                continue
            parts.append([label, 1, t])
        text = ", ".join(f"{label}{f' x{count}' if count > 1 else ''} @{t:.2f}s" for label, count, t in parts)
        end = f"{self.closed[0]} @{self.closed[1]:.2f}s" if self.closed else "still open"
        return f"[{text or 'no frames'}] then {end}"


def describe(frame: Frame) -> str:
    if isinstance(frame, GoAwayFrame):
        return f"GOAWAY({code_name(frame.error_code)}, last_stream={frame.last_stream_id})"
    if isinstance(frame, RstStreamFrame):
        return f"RST_STREAM({code_name(frame.error_code)})"
    kind = type(frame).__name__.removesuffix("Frame").upper()  # SETTINGS, PING, DATA, HEADERS, WINDOWUPDATE…
    if isinstance(frame, (SettingsFrame, PingFrame)) and "ACK" in frame.flags:
        return f"{kind}(ACK)"
    return kind


def blast(sock: socket.socket, payload: bytes) -> tuple[int, str]:
    """Writes without reading: until the send would block, all is sent, or the socket fails."""
    sock.setblocking(False)
    sent = 0
    try:
        while sent < len(payload):
            try:
                sent += sock.send(payload[sent : sent + (1 << 16)])
            except BlockingIOError:
                return sent, "send blocked"
            except OSError as error:
                return sent, f"send failed: {errno.errorcode.get(error.errno, error.errno)}"
        return sent, "all sent"
    finally:
        sock.setblocking(True)


def tcp_state(sock: socket.socket) -> int:
    """The kernel's TCP state of our end (Linux TCP_INFO): 8 CLOSE_WAIT = the peer's FIN arrived,
    7 CLOSE = reset. Read without touching the receive queue."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[0]


# MARK: - Ordinary requests (h2 end to end, and urllib for HTTP/1.1)


@dataclass
class Answer:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    error: str | None = None


def h2_get(path: str, timeout: float = 5.0) -> Answer:
    """One GET on a fresh HTTP/2 connection, with h2 doing the whole protocol."""
    answer = Answer()
    t0 = time.monotonic()
    try:
        with connect() as sock:
            conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
            conn.initiate_connection()
            conn.send_headers(1, request_headers(path), end_stream=True)
            sock.sendall(conn.data_to_send())
            deadline = t0 + timeout
            body = bytearray()
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    answer.error = f"no answer within {timeout:.0f} s"
                    break
                sock.settimeout(remaining)
                chunk = sock.recv(1 << 16)
                if not chunk:
                    answer.error = "connection closed before the answer ended"
                    break
                done = False
                for event in conn.receive_data(chunk):
                    if isinstance(event, h2.events.ResponseReceived):
                        answer.headers = dict(event.headers)
                        answer.status = int(answer.headers.get(":status", "0"))
                    elif isinstance(event, h2.events.DataReceived):
                        body += event.data
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        done = True
                    elif isinstance(event, h2.events.StreamReset):
                        answer.error, done = f"stream reset ({code_name(event.error_code)})", True
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        answer.error, done = f"GOAWAY ({code_name(event.error_code)})", True
                sock.sendall(conn.data_to_send())
                if done:
                    break
            answer.body = bytes(body)
    except (OSError, h2.exceptions.ProtocolError) as error:
        answer.error = f"{type(error).__name__}: {error}"
    answer.seconds = time.monotonic() - t0
    return answer


def http1_get(path: str, timeout: float = 5.0) -> Answer:
    answer = Answer()
    t0 = time.monotonic()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(BASE_URL + path, timeout=timeout) as response:
            answer.status, answer.body = response.status, response.read()
            answer.headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        answer.status, answer.body = error.code, error.read()
    except OSError as error:
        answer.error = f"{type(error).__name__}: {error}"
    answer.seconds = time.monotonic() - t0
    return answer


def healthy(answer: Answer) -> bool:
    if answer.error or answer.status != 200:
        return False
    try:
        return json.loads(answer.body).get("status") == "ok"
    except ValueError:
        return False


def shown(answer: Answer) -> str:
    if answer.error:
        return f"{answer.error} after {answer.seconds:.2f}s"
    return f"{answer.status} {answer.headers.get('content-type', '')} {len(answer.body)} B in {answer.seconds:.3f}s"


def server_alive() -> bool:
    try:
        os.kill(SERVER_PID, 0)
        return True
    except OSError:
        return False


def still_serving(case: str) -> None:
    """A fresh connection over each protocol still gets the health answer: the attack ended its own
    connection only."""
    for protocol, get in (("HTTP/2", h2_get), ("HTTP/1.1", http1_get)):
        answer = get("/__admin/health")
        report(healthy(answer), f"{case} / afterwards {protocol} /__admin/health", shown(answer))
    report(server_alive(), f"{case} / server process {SERVER_PID}", "running" if server_alive() else "GONE")


# MARK: - The cases


def case_sanity(name: str) -> None:
    answer = h2_get("/__admin/health")
    ok = healthy(answer) and answer.headers.get("content-type", "").startswith("application/json")
    report(ok, name, f"{shown(answer)} {answer.body[:80]!r}")


def attack_verdict(
    name: str, wire: Wire, what: str, codes: tuple[int, ...] = (ErrorCodes.ENHANCE_YOUR_CALM,)
) -> None:
    """The connection must have ended (GOAWAY and/or EOF/reset) before the idle timeout could have
    ended it, and a GOAWAY must name one of `codes`: NO_ERROR would be the idle timeout's, and
    PROTOCOL_ERROR would mean the attack was malformed and never reached the code under test."""
    goaway = wire.goaway()
    ends = ([goaway[0]] if goaway else []) + ([wire.closed[1]] if wire.closed else [])
    ended_at = min(ends) if ends else None
    ok = ended_at is not None and ended_at < ATTACK_DEADLINE
    if goaway and goaway[1].error_code not in codes:
        ok = False
    how = f"ended @{ended_at:.2f}s" if ended_at is not None else f"NOT ended within {wire.elapsed():.2f}s"
    allowed = " or ".join(code_name(code) for code in codes)
    limits = f"must be < {ATTACK_DEADLINE:.1f}s, any GOAWAY {allowed}"
    report(ok, name, f"{what}; {how} ({limits}); server sent {wire.summary()}")


def case_rapid_reset(name: str, streams: int = 1200, batch: int = 100) -> None:
    sock = connect()
    t0 = time.monotonic()
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sent_streams, outcome = 0, "all sent"
    for first in range(0, streams, batch):
        for index in range(first, min(first + batch, streams)):
            stream = 2 * index + 1
            conn.send_headers(stream, request_headers("/v2/sessions/x"), end_stream=True)
            conn.reset_stream(stream, ErrorCodes.CANCEL)
        try:
            sock.sendall(conn.data_to_send())
        except OSError as error:
            outcome = f"send failed: {errno.errorcode.get(error.errno, error.errno)}"
            break
        sent_streams = min(first + batch, streams)
    sent_in = time.monotonic() - t0
    wire = Wire(sock, t0)
    wire.read(t0 + IDLE + 2.0)
    sock.close()
    what = f"{sent_streams} of {streams} HEADERS+RST_STREAM(CANCEL) pairs written in {sent_in:.3f}s ({outcome})"
    attack_verdict(name, wire, what)


def case_flood(name: str, frame: bytes, count: int, label: str) -> None:
    sock = connect()
    t0 = time.monotonic()
    # The preface's own SETTINGS first (without it the first PING is a PROTOCOL_ERROR, not a flood).
    opening = PREFACE + SettingsFrame(0).serialize()
    sent, outcome = blast(sock, opening + frame * count)
    frames_sent = max(0, sent - len(opening)) // len(frame)
    sent_in = time.monotonic() - t0
    wire = Wire(sock, t0)
    wire.read(t0 + IDLE + 2.0)
    sock.close()
    acks = sum(1 for _, f in wire.frames if isinstance(f, (SettingsFrame, PingFrame)) and "ACK" in f.flags)
    what = (
        f"preface+SETTINGS, then {frames_sent}/{count} {label} frames written in {sent_in:.3f}s without reading "
        f"({outcome}); {acks} ACKs came back"
    )
    attack_verdict(name, wire, what)


def headers_frames(stream: int, block: bytes, end_stream: bool = True) -> bytes:
    """One header block as HEADERS (+ CONTINUATION) frames of at most 16 KiB."""
    pieces = [block[i : i + 16384] for i in range(0, len(block), 16384)] or [b""]
    out = b""
    for index, piece in enumerate(pieces):
        flags = ["END_HEADERS"] if index == len(pieces) - 1 else []
        if index == 0:
            out += HeadersFrame(stream, data=piece, flags=flags + (["END_STREAM"] if end_stream else [])).serialize()
        else:
            out += ContinuationFrame(stream, data=piece, flags=flags).serialize()
    return out


def case_hpack(name: str, references: int, bomb: bool) -> None:
    """One request whose header block inserts a 4,000-byte value into the dynamic table once and
    names it again `references - 1` times by index (one byte each)."""
    sock = connect()
    t0 = time.monotonic()
    encoder = hpack.Encoder()
    fields = request_headers("/v2/sessions/x") + [("x-bomb", "b" * 4000)] * references
    block = encoder.encode(fields)
    decoded = sum(len(n) + len(v) for n, v in fields)
    sock.sendall(PREFACE + SettingsFrame(0).serialize() + headers_frames(1, block))
    wire = Wire(sock, t0, auto_ack=True)
    what = f"{len(block)} B header block decoding to {decoded} B ({decoded / 1024:.0f} KiB)"
    if bomb:
        wire.read(t0 + IDLE + 2.0)
        sock.close()
        attack_verdict(name, wire, what, (ErrorCodes.ENHANCE_YOUR_CALM, ErrorCodes.COMPRESSION_ERROR))
        return
    # Not a bomb: the stream gets its answer and the connection lives on for the next request.
    wire.read(t0 + 5.0, lambda f: 1 in wire.ended or isinstance(f, (RstStreamFrame, GoAwayFrame)))
    status = wire.status(1)
    body = bytes(wire.data.get(1, b""))
    ok = status == "431" and 1 in wire.ended and not wire.closed and not wire.goaway()
    report(ok, name, f"{what}; stream 1 got :status {status} {body[:100]!r}; server sent {wire.summary()}")
    sock.sendall(headers_frames(3, encoder.encode(request_headers("/__admin/health"))))
    wire.read(time.monotonic() + 5.0, lambda f: 3 in wire.ended or isinstance(f, (RstStreamFrame, GoAwayFrame)))
    status = wire.status(3)
    report(
        status == "200" and 3 in wire.ended,
        f"{name} / same connection, next stream",
        f"GET /__admin/health on stream 3 got :status {status}; server sent {wire.summary()}",
    )
    sock.close()


DROP_SCENARIO = {
    "zitadel": {"tokens": [{"token": "t", "userId": "u", "permissions": ["session.read"]}],
                "sessions": [{"session": {"id": "kept", "sequence": "1"}}, {"session": {"id": "gone", "sequence": "1"}}]},
    "faults": [{"match": {"api": "zitadel", "sessionId": "gone"}, "drop": True}],
}


def case_drop(name: str) -> None:
    """A `drop` fault over HTTP/2 resets its own stream (RST_STREAM INTERNAL_ERROR) only: the
    request beside it on the same connection is answered, and the connection stays open."""
    install = urllib.request.Request(f"{BASE_URL}/__admin/scenarios/h2drop", data=json.dumps(DROP_SCENARIO).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(install, timeout=5) as answer:
        installed = answer.status
    sock = connect()
    t0 = time.monotonic()
    encoder = hpack.Encoder()
    extra = [("authorization", "Bearer t"), ("x-mock-scenario", "h2drop")]
    sock.sendall(PREFACE + SettingsFrame(0).serialize()
                 + headers_frames(1, encoder.encode(request_headers("/v2/sessions/gone") + extra))
                 + headers_frames(3, encoder.encode(request_headers("/v2/sessions/kept") + extra)))
    wire = Wire(sock, t0, auto_ack=True)
    resets: dict[int, int] = {}

    def done(frame: Frame) -> bool:
        if isinstance(frame, RstStreamFrame):
            resets[frame.stream_id] = frame.error_code
        return 3 in wire.ended and 1 in resets

    wire.read(t0 + 5.0, done)
    sock.sendall(headers_frames(5, encoder.encode(request_headers("/__admin/health"))))
    wire.read(time.monotonic() + 5.0, lambda f: 5 in wire.ended)
    sock.close()
    ok = (installed in (200, 201) and resets.get(1) == ErrorCodes.INTERNAL_ERROR and 1 not in wire.ended
          and wire.status(3) == "200" and wire.status(5) == "200" and not wire.goaway())
    report(ok, name, f"stream 1 reset with {code_name(resets[1]) if 1 in resets else 'nothing'}, stream 3 "
                     f":status {wire.status(3)}, stream 5 (after) :status {wire.status(5)}; server sent {wire.summary()}")


def case_never_reads(name: str) -> None:
    """GET /__admin/openapi.yaml, then neither a read nor a WINDOW_UPDATE: the answer stalls once the
    65,535-byte windows are spent. Our socket's TCP state shows when the server's FIN (or RST) came."""
    sock = connect()
    t0 = time.monotonic()
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    conn.send_headers(1, request_headers("/__admin/openapi.yaml"), end_stream=True)
    sock.sendall(conn.data_to_send())
    limit = IDLE + 2.0
    closed_at = None
    while time.monotonic() - t0 < limit + 2.0:
        if tcp_state(sock) != 1:  # no longer ESTABLISHED
            closed_at = time.monotonic() - t0
            break
        time.sleep(0.05)
    state = tcp_state(sock)
    wire = Wire(sock, t0)  # frames' times below are when they were read, after the close
    wire.read(time.monotonic() + 2.0)
    sock.close()
    data = len(wire.data.get(1, b""))
    ok = closed_at is not None and closed_at <= limit and wire.closed is not None
    seen = (
        f"FIN/RST seen @{closed_at:.2f}s (TCP state {state})"
        if closed_at is not None
        else f"still ESTABLISHED after {limit + 2.0:.1f}s"
    )
    report(
        ok,
        name,
        f"{seen} (must be <= {limit:.1f}s); reading afterwards: :status {wire.status(1)}, {data} B of DATA, "
        f"stream ended: {1 in wire.ended}; server sent {wire.summary()}",
    )


def case_idle(name: str) -> None:
    """The preface and one SETTINGS, then silence (not even the ACK of the server's SETTINGS)."""
    sock = connect()
    t0 = time.monotonic()
    sock.sendall(PREFACE + SettingsFrame(0).serialize())
    wire = Wire(sock, t0)
    wire.read(t0 + 2 * IDLE + 4.0)
    sock.close()
    goaway = wire.goaway()
    ok = (
        goaway is not None
        and goaway[1].error_code == ErrorCodes.NO_ERROR
        and IDLE - 0.25 <= goaway[0] <= IDLE + 1.5
        and wire.closed is not None
        and wire.closed[1] <= goaway[0] + IDLE + 1.5
    )
    report(
        ok,
        name,
        f"server sent {wire.summary()} (GOAWAY(NO_ERROR) expected in [{IDLE - 0.25:.2f}, {IDLE + 1.5:.1f}]s, "
        f"close within {IDLE + 1.5:.1f}s after it)",
    )


def case_silent_sniff(name: str) -> None:
    silent = connect()
    t0 = time.monotonic()
    silent.sendall(b"PRI * HTTP/2.0\r\n")
    for protocol, get in (("HTTP/1.1", http1_get), ("HTTP/2", h2_get)):
        answer = get("/__admin/health")
        report(
            healthy(answer) and answer.seconds < 1.0,
            f"{name} / {protocol} meanwhile",
            f"{shown(answer)} (must be < 1.0s) while the silent connection waits",
        )
    received = bytearray()
    how = None
    silent.settimeout(IDLE + 3.0)
    try:
        while True:
            chunk = silent.recv(1 << 16)
            if not chunk:
                how = "EOF"
                break
            received += chunk
    except TimeoutError:
        pass
    except ConnectionResetError:
        how = "reset (ECONNRESET)"
    closed_at = time.monotonic() - t0
    silent.close()
    ok = how is not None and IDLE - 0.25 <= closed_at <= IDLE + 1.5
    shown_bytes = f"{len(received)} B received {bytes(received[:60])!r}" if received else "nothing received"
    report(
        ok,
        f"{name} / silent connection",
        f"{how or 'still open'} @{closed_at:.2f}s (expected in [{IDLE - 0.25:.2f}, {IDLE + 1.5:.1f}]s), {shown_bytes}",
    )


class CaseTimeout(Exception):
    pass


def run(name: str, case: Callable[[str], None]) -> None:
    def expire(*_: object) -> None:
        raise CaseTimeout

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(CASE_SECONDS)
    try:
        case(name)
    except CaseTimeout:
        report(False, name, f"did not finish within {CASE_SECONDS} s")
    except Exception as error:  # noqa: BLE001 - a broken case is a failed check, and the others still run
        report(False, name, f"{type(error).__name__}: {error}")
    finally:
        signal.alarm(0)
    signal.alarm(CASE_SECONDS)
    try:
        still_serving(name)
    except CaseTimeout:
        report(False, f"{name} / afterwards", f"health checks did not finish within {CASE_SECONDS} s")
    finally:
        signal.alarm(0)


def main() -> int:
    print(f"http2-abuse: server {BASE_URL} (pid {SERVER_PID}), --idle-timeout {IDLE:g}", flush=True)
    run("1 sanity: HTTP/2 GET /__admin/health", case_sanity)
    run("2 rapid reset (CVE-2023-44487)", case_rapid_reset)
    run("3 SETTINGS flood", lambda n: case_flood(n, SettingsFrame(0).serialize(), 10_000, "SETTINGS"))
    run("4 PING flood", lambda n: case_flood(n, PingFrame(0, opaque_data=b"abusive!").serialize(), 10_000, "PING"))
    run("5a HPACK bomb", lambda n: case_hpack(n, references=64, bomb=True))
    run("5b large header list (20 KiB)", lambda n: case_hpack(n, references=5, bomb=False))
    run("6 peer that never reads", case_never_reads)
    run("7 idle connection", case_idle)
    run("8 silent sniffing (preface prefix only)", case_silent_sniff)
    run("9 drop fault: that stream only", case_drop)
    alive = server_alive()
    report(alive, "server process at the end", f"pid {SERVER_PID} {'running' if alive else 'GONE'}")
    print("http2-abuse: " + ("FAILED" if FAILED else "all checks passed"), flush=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())

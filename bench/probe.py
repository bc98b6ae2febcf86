#!/usr/bin/env python3
"""Small measuring tools for bench/run.sh (standard library only, loopback only).

  probe.py fetch PORT PATH [-H 'Name: value']...      body bytes of one GET to 127.0.0.1:PORT (exit 1 unless 200)
  probe.py ready PORT PATH --runs N --log FILE [-H ...] -- CMD ARGS...
      N cold starts of CMD: milliseconds from spawn to the first 200 on PATH (raw socket, polled every 1 ms);
      each process is stopped (SIGTERM, then SIGKILL after 15 s) before the next. Prints one JSON object.
  probe.py rss PID...                                   summed VmRSS in kB of the PIDs and all their descendants
  probe.py cpu PID...                                   summed utime+stime (clock ticks, 100/s) of the PIDs and descendants
  probe.py rss-peak SECONDS PID...                      highest summed VmRSS (kB) seen, sampled every 100 ms for SECONDS
  probe.py wait PORT PATH SECONDS [-H ...]             waits (bounded) until PATH answers 200; exit 1 on time-out
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

HOST = "127.0.0.1"


def request_bytes(port, path, headers):
    lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (HOST, port)]
    lines += headers
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def status_of(port, path, headers, timeout=1.0):
    """The status code of one GET, or None when nothing answers (yet)."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(request_bytes(port, path, headers))
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            parts = data.split(b" ", 2)
            return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
    except OSError:
        return None


def fetch(port, path, headers, timeout=5.0):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(request_bytes(port, path, headers))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split(" ")[1])
    fields = {}
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if fields.get("transfer-encoding", "").lower() == "chunked":
        out, rest = b"", body
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out += rest[:size]
            rest = rest[size + 2:]
        body = out
    elif "content-length" in fields:
        body = body[: int(fields["content-length"])]
    return status, fields, body


def descendants(pids):
    """The PIDs and every descendant of them (nginx master + workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            ppid = int(stat[stat.rfind(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    seen, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.append(pid)
        todo.extend(children.get(pid, []))
    return seen


def rss_kb(pids):
    """Summed VmRSS of the given PIDs."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_ticks(pids):
    """utime + stime (clock ticks) summed over the PIDs (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
            fields = stat[stat.rfind(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total


def stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def ready(port, path, headers, runs, log, cmd):
    times = []
    for _ in range(runs):
        with open(log, "ab") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
            try:
                deadline = start + 180
                while True:
                    if status_of(port, path, headers) == 200:
                        elapsed = (time.perf_counter() - start) * 1000
                        break
                    if proc.poll() is not None:
                        sys.exit("ready: %s exited with %s before answering" % (cmd[0], proc.returncode))
                    if time.perf_counter() > deadline:
                        sys.exit("ready: %s did not answer 200 on %s within 180 s" % (cmd[0], path))
                    time.sleep(0.001)
                times.append(elapsed)
                time.sleep(0.2)  # settle, then the idle RSS of a fresh process
                rss = rss_kb(descendants([proc.pid]))
            finally:
                stop(proc)
        time.sleep(0.3)
    print(json.dumps({"ready_ms": times, "median_ms": statistics.median(times), "idle_rss_kb_last": rss}))


def parse_headers(args):
    headers, rest = [], []
    i = 0
    while i < len(args):
        if args[i] == "-H":
            headers.append(args[i + 1])
            i += 2
        else:
            rest.append(args[i])
            i += 1
    return headers, rest


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "fetch":
        headers, rest = parse_headers(args)
        status, _, body = fetch(int(rest[0]), rest[1], headers)
        sys.stdout.buffer.write(body)
        sys.exit(0 if status == 200 else 1)
    elif command == "ready":
        cut = args.index("--")
        headers, rest = parse_headers(args[:cut])
        port, path = int(rest[0]), rest[1]
        runs = int(rest[rest.index("--runs") + 1])
        log = rest[rest.index("--log") + 1]
        ready(port, path, headers, runs, log, args[cut + 1:])
    elif command == "rss":
        print(rss_kb(descendants([int(p) for p in args])))
    elif command == "cpu":
        print(cpu_ticks(descendants([int(p) for p in args])))
    elif command == "rss-peak":
        seconds, pids = float(args[0]), descendants([int(p) for p in args[1:]])
        end, peak = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            peak = max(peak, rss_kb(pids))
            time.sleep(0.1)
        print(peak)
    elif command == "wait":
        headers, rest = parse_headers(args)
        port, path, seconds = int(rest[0]), rest[1], float(rest[2])
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if status_of(port, path, headers) == 200:
                return
            time.sleep(0.005)
        sys.exit("wait: nothing answered 200 on 127.0.0.1:%d%s within %s s" % (port, path, seconds))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

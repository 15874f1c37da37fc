#!/usr/bin/env python3
"""Tarpit load for bench/tarpit.sh: holds many tarpitted connections open, and meanwhile measures
the server's memory and CPU and the greeting latency of a client the tarpit must not slow down.

usage: tarpit_load.py --port PORT --pid SERVER_PID --levels 10000,20000 [options]

First the idle server is measured. Then for each level, in order: opens connections from the
blocked --sources (spread over worker processes, each holding at most --per-worker sockets and
using one source address, so that no process runs out of file descriptors or ephemeral ports)
until LEVEL are held, each counted once its first tarpit byte has arrived; after that the clients
read nothing (the bytes wait in their kernel buffers). Then it measures: the server's CPU over
--settle seconds, its VmRSS (/proc/PID/status), the time of --samples sequential connects from
--allowed (connect() until the whole 220 line, then QUIT), and checks that every held connection
is still open and that the first bytes it received are "421-". After the last level, --renewals
times, every held connection hangs up and a new one takes its place (a server that has turned its
tarpit over once), and the same is measured again. With --jcmd, last, while they are still held:
the server's heap after a full GC. One line of key=value pairs per measurement on
stdout, for the shell script to format.

Only ever connects to HOST:PORT (127.0.0.1). Bounded: opening a level has a deadline (--timeout);
the workers are this program's children and end with it.
"""
import argparse
import os
import re
import selectors
import socket
import subprocess
import sys
import time

from loadcommon import Worker, heap_kb

IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: pick the source port at connect time, per 4-tuple
EXPECTED = b"421-"  # a tarpitted reply starts as a continuation line (Tarpit.java)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


# ---- worker: holds up to --per-worker connections from one source address -----------------------

def worker(host, port, source, max_pending, deadline_s):
    """Line protocol on stdin/stdout: 'open N' (hold N in all) and 'renew N' (close the oldest N,
    open as many new) -> 'ready N' | 'error TEXT'; 'check' -> 'checked open=N closed=C bad=B';
    'quit' -> exits (closing every socket)."""
    sel = selectors.DefaultSelector()
    held = []  # sockets that have received their first byte
    first = {}  # socket -> bytes received so far (only the start is kept)

    def open_to(target):
        pending = 0
        deadline = time.monotonic() + deadline_s
        while len(held) < target:
            while pending < max_pending and len(held) + pending < target:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((source, 0))
                s.setblocking(False)
                err = s.connect_ex((host, port))
                if err not in (0, 115):  # EINPROGRESS
                    s.close()
                    return f"connect from {source}: {os.strerror(err)}"
                sel.register(s, selectors.EVENT_READ)
                pending += 1
            left = deadline - time.monotonic()
            if left <= 0:
                return f"{pending} connections from {source} got no tarpit byte in {deadline_s}s"
            for key, _ in sel.select(timeout=min(1.0, left)):
                s = key.fileobj
                try:
                    data = s.recv(64)
                except OSError as e:
                    return f"connection from {source}: {e}"
                if not data:
                    return f"connection from {source} closed by the server before its first byte"
                sel.unregister(s)  # from now on the bytes wait in the kernel's receive buffer
                first[s] = data[: len(EXPECTED)]
                held.append(s)
                pending -= 1
        return None

    def check():
        closed = bad = 0
        for s in held:
            s.setblocking(False)
            got = first[s]
            try:
                while True:
                    data = s.recv(4096)
                    if not data:
                        closed += 1
                        break
                    if len(got) < len(EXPECTED):
                        got += data[: len(EXPECTED) - len(got)]
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
            first[s] = got
            if not EXPECTED.startswith(got[: len(EXPECTED)]):
                bad += 1
        return f"checked open={len(held) - closed} closed={closed} bad={bad}"

    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "open":
            err = open_to(int(cmd[1]))
            print(f"error {err}" if err else f"ready {len(held)}", flush=True)
        elif cmd[0] == "renew":
            # Turnover: the oldest N hang up and as many new ones take their places.
            n = min(int(cmd[1]), len(held))
            for s in held[:n]:
                first.pop(s)
                s.close()
            target = len(held)
            del held[:n]
            err = open_to(target)
            print(f"error {err}" if err else f"ready {len(held)}", flush=True)
        elif cmd[0] == "check":
            print(check(), flush=True)
        elif cmd[0] == "quit":
            break
    for s in held:
        s.close()


# ---- driver --------------------------------------------------------------------------------------

def greeting_latencies(host, port, source, samples):
    """Sequential connects from SOURCE: seconds from connect() to the whole 220 line."""
    out = []
    for _ in range(samples):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((source, 0))
            s.settimeout(10)
            t0 = time.perf_counter()
            s.connect((host, port))
            buf = b""
            while b"\r\n" not in buf:
                data = s.recv(512)
                if not data:
                    raise RuntimeError(f"closed before the greeting: {buf!r}")
                buf += data
            t1 = time.perf_counter()
            if not buf.startswith(b"220 "):
                raise RuntimeError(f"greeting from {source}: {buf[:80]!r}")
            s.sendall(b"QUIT\r\n")
            while s.recv(512):
                pass
        finally:
            s.close()
        out.append(t1 - t0)
    return out


def pct(sorted_values, p):
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def driver(args):
    levels = [int(x) for x in args.levels.split(",") if x]
    sources = [s for s in args.sources.split(",") if s]
    workers = []

    def ask(command_of):
        for w in workers:
            w.send(command_of(w))
        for w in workers:
            a = w.answer()
            if not a.startswith("ready"):
                raise RuntimeError(f"worker {w.source}: {a}")

    def measure(level, label, opened):
        # Steady state: the server's CPU while it paces LEVEL held connections and nothing else.
        c0, t0 = cpu_seconds(args.pid), time.monotonic()
        time.sleep(args.settle)
        cpu = (cpu_seconds(args.pid) - c0) / (time.monotonic() - t0) * 100
        rss = rss_kb(args.pid)
        ms = sorted(x * 1000 for x in
                    greeting_latencies(args.host, args.port, args.allowed, args.samples))
        rss_after = rss_kb(args.pid)
        open_n = closed = bad = 0
        for w in workers:
            w.send("check")
        for w in workers:
            a = dict(kv.split("=") for kv in w.answer().split()[1:])
            open_n += int(a["open"])
            closed += int(a["closed"])
            bad += int(a["bad"])
        print(f"level={level} label={label} held={open_n} closed={closed} bad={bad} "
              f"open_s={opened:.1f} cpu_pct={cpu:.1f} rss_kb={rss} rss_after_kb={rss_after} "
              f"fds={fd_count(args.pid)} p50_ms={pct(ms, 50):.2f} p99_ms={pct(ms, 99):.2f} "
              f"max_ms={ms[-1]:.2f}", flush=True)
        if closed or bad:
            raise RuntimeError(f"{closed} held connections closed early, {bad} got other bytes")

    try:
        measure(0, "idle", 0.0)
        for level in levels:
            t0 = time.monotonic()
            # Fill the workers in order, each up to --per-worker: counts only ever grow.
            need = -(-level // args.per_worker)
            while len(workers) < need:
                workers.append(Worker(__file__, args, sources[len(workers) % len(sources)]))
            left = level
            for w in workers:
                w.count = max(w.count, min(args.per_worker, left))
                left -= w.count
            ask(lambda w: f"open {w.count}")
            measure(level, "opened", time.monotonic() - t0)
        for r in range(args.renewals):
            t0 = time.monotonic()
            ask(lambda w: f"renew {w.count}")
            measure(levels[-1], f"renewed{r + 1}", time.monotonic() - t0)
        if args.jcmd:
            # What the held connections keep alive: the heap after a full GC, still holding them.
            # Last, because the full GC shrinks the heap and so changes the RSS after it.
            subprocess.run([args.jcmd, str(args.pid), "GC.run"], check=True, timeout=120,
                           stdout=subprocess.DEVNULL)
            info = subprocess.run([args.jcmd, str(args.pid), "GC.heap_info"], check=True,
                                  timeout=60, capture_output=True, text=True).stdout
            used = heap_kb(info)[1]
            if used < 0:
                raise RuntimeError(f"no 'used' in jcmd GC.heap_info: {info!r}")
            print(f"live held={sum(w.count for w in workers)} heap_used_kb={used}", flush=True)
    finally:
        for w in workers:
            w.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, help="the server's PID (for /proc/PID/status)")
    p.add_argument("--levels", default="10000,20000")
    p.add_argument("--sources", default="127.0.0.1,127.0.0.3,127.0.0.4,127.0.0.5")
    p.add_argument("--allowed", default="127.0.0.2")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--settle", type=float, default=5.0,
                   help="seconds between opening a level and measuring it (CPU is taken over them)")
    p.add_argument("--renewals", type=int, default=1,
                   help="after the last level, replace every held connection this many times")
    p.add_argument("--per-worker", type=int, default=5000)
    p.add_argument("--pending", type=int, default=200, help="connects in flight per worker")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to open one level")
    p.add_argument("--jcmd", help="jcmd of the server's JDK: at the end, the live heap after a full GC")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--source", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.host, args.port, args.source, args.pending, args.timeout)
        return 0
    if args.pid is None:
        p.error("--pid is required")
    try:
        driver(args)
    except RuntimeError as e:
        print(f"tarpit_load: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

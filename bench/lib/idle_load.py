#!/usr/bin/env python3
"""Idle-session load for bench/idle.sh: holds many served, idle SMTP sessions open against one
server and measures the server's memory (PSS and RSS) idle and at each level.

usage: idle_load.py --port PORT --pid SERVER_PID --levels 2000,10000 [options]

First, with --warmup N, N sessions come and go (connect, 220, EHLO, 250, QUIT). Then the idle
server is measured (after --settle seconds). Then for each level, in order: opens
sessions from the --sources (spread over worker processes, each holding at most --per-worker
sockets and using one source address, so that no process runs out of file descriptors or
ephemeral ports) until LEVEL are held. A session is held once it has read the whole 220 greeting,
sent "EHLO --helo" and read the whole (multi-line) 250 reply; after that the client sends nothing
more and waits. --settle seconds later the server is measured: PSS and RSS summed over the server
process and its descendants (/proc/PID/smaps_rollup), its descriptors and its CPU time over the
settle time. Then every held session is checked: still open and sent nothing more (a timeout
reply or a close counts as lost). With --jcmd (a JVM server), last, while the sessions are still
held: GC.heap_info, then GC.class_histogram (a full GC: the live objects), GC.heap_info again and
VM.native_memory summary (when the JVM runs with -XX:NativeMemoryTracking), saved under --dump;
then every session is closed and, after another full GC (GC.class_histogram again), the live heap
without them. Live objects are counted from the histograms (GC filler objects left out).

Output: one line of key=value pairs per measurement on stdout, for the shell script to format.
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
FINAL_REPLY = re.compile(rb"(?:^|\r\n)(\d{3}) [^\r\n]*\r\n$")  # last line of a reply: "250 ..."


# ---- the server's memory -------------------------------------------------------------------------

def process_tree(root):
    """ROOT and all its descendants (a server may fork workers)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def memory_kb(root):
    """(PSS, RSS, process count) in kB summed over ROOT's process tree."""
    pss = rss = n = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
            n += 1
        except OSError:
            pass  # ended meanwhile
    if n == 0:
        raise RuntimeError(f"server process {root} is gone")
    return pss, rss, n


def fd_count(root):
    n = 0
    for pid in process_tree(root):
        try:
            n += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return n


def cpu_seconds(root):
    total = 0.0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


# ---- worker: holds up to --per-worker idle sessions from one source address ---------------------

class Session:
    __slots__ = ("sock", "stage", "buf")

    def __init__(self, sock):
        self.sock = sock
        self.stage = "greeting"  # greeting -> ehlo -> held
        self.buf = b""


def worker(host, port, source, helo, max_pending, deadline_s):
    """Line protocol on stdin/stdout: 'open N' (hold N in all) and 'warm N' (N sessions through
    EHLO, then QUIT) -> 'ready N' | 'error TEXT';
    'check' -> 'checked open=N lost=L'; 'quit' -> exits (closing every socket)."""
    sel = selectors.DefaultSelector()
    held = []
    ehlo = f"EHLO {helo}\r\n".encode()

    def run_sessions(count, hold):
        """COUNT new sessions through EHLO; held (hold) or ended with QUIT (a warm-up)."""
        started = done = pending = 0
        deadline = time.monotonic() + deadline_s
        while done < count:
            while pending < max_pending and started < count:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((source, 0))
                s.setblocking(False)
                err = s.connect_ex((host, port))
                if err not in (0, 115):  # EINPROGRESS
                    s.close()
                    return f"connect from {source}: {os.strerror(err)}"
                sel.register(s, selectors.EVENT_READ, Session(s))
                started += 1
                pending += 1
            left = deadline - time.monotonic()
            if left <= 0:
                return f"{pending} sessions from {source} not through EHLO within {deadline_s}s"
            for key, _ in sel.select(timeout=min(1.0, left)):
                sess = key.data
                try:
                    data = sess.sock.recv(4096)
                except OSError as e:
                    return f"session from {source}: {e}"
                if sess.stage == "quit":  # the 221, then the server closes
                    if not data:
                        sel.unregister(sess.sock)
                        sess.sock.close()
                        pending -= 1
                        done += 1
                    continue
                if not data:
                    return (f"session from {source} closed by the server during the "
                            f"{sess.stage} (got {sess.buf[-80:]!r})")
                sess.buf += data
                m = FINAL_REPLY.search(sess.buf)
                if not m:
                    if len(sess.buf) > 65536:
                        return f"session from {source}: no end of reply in {sess.buf[:80]!r}..."
                    continue
                code = m.group(1)
                if sess.stage == "greeting":
                    if code != b"220":
                        return f"greeting to {source}: {sess.buf[-120:]!r}"
                    sess.stage, sess.buf = "ehlo", b""
                    sess.sock.sendall(ehlo)  # a few octets into an empty send buffer
                elif code != b"250":
                    return f"EHLO reply to {source}: {sess.buf[-120:]!r}"
                elif hold:
                    sel.unregister(sess.sock)  # from now on: silence both ways
                    sess.stage, sess.buf = "held", b""
                    held.append(sess.sock)
                    pending -= 1
                    done += 1
                else:
                    sess.stage, sess.buf = "quit", b""
                    sess.sock.sendall(b"QUIT\r\n")
        return None

    def check():
        lost = 0
        for s in held:
            try:
                data = s.recv(4096, socket.MSG_DONTWAIT)
                lost += 1  # a close (b"") or a reply (e.g. 421 timeout) to a silent client
                if data:
                    print(f"note: a held session from {source} got {data[:80]!r}", file=sys.stderr)
            except BlockingIOError:
                pass
            except OSError:
                lost += 1
        return f"checked open={len(held) - lost} lost={lost}"

    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "open":
            err = run_sessions(max(0, int(cmd[1]) - len(held)), hold=True)
            print(f"error {err}" if err else f"ready {len(held)}", flush=True)
        elif cmd[0] == "warm":
            err = run_sessions(int(cmd[1]), hold=False)
            print(f"error {err}" if err else f"ready {len(held)}", flush=True)
        elif cmd[0] == "check":
            print(check(), flush=True)
        elif cmd[0] == "quit":
            break
    for s in held:
        s.close()


# ---- driver --------------------------------------------------------------------------------------

def jcmd(args, *command):
    r = subprocess.run([args.jcmd, str(args.pid), *command], timeout=120,
                       capture_output=True, text=True)
    return r.stdout + r.stderr


def wait_fds_below(pid, n, seconds):
    """Waits (bounded) until the server has closed the sessions the load closed; the seconds that
    took, or -1 when it did not happen in time."""
    t0 = time.monotonic()
    while fd_count(pid) >= n:
        if time.monotonic() - t0 > seconds:
            return -1
        time.sleep(0.2)
    return time.monotonic() - t0


def histogram_live_kb(text):
    """The bytes of all objects in a jcmd GC.class_histogram, without the GC's filler objects
    (Serial's full GC leaves dead space as fillers, which GC.heap_info counts as used)."""
    total = 0
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0].endswith(":") and f[0][:-1].isdigit() and "jdk.internal.vm.Filler" not in f[3]:
            total += int(f[2])
    return total // 1024


def driver(args):
    levels = [int(x) for x in args.levels.split(",") if x]
    sources = [s for s in args.sources.split(",") if s]
    workers = []
    name = args.server

    def measure(level, label, opened):
        c0, t0 = cpu_seconds(args.pid), time.monotonic()
        time.sleep(args.settle)
        cpu = (cpu_seconds(args.pid) - c0) / (time.monotonic() - t0) * 100
        pss, rss, procs = memory_kb(args.pid)
        fds = fd_count(args.pid)
        heap = ""
        if args.jcmd:  # no GC: what the heap holds now, garbage included
            committed, used = heap_kb(jcmd(args, "GC.heap_info"))
            heap = f" heap_committed_kb={committed} heap_used_kb={used}"
        open_n = lost = 0
        for w in workers:
            w.send("check")
        for w in workers:
            a = dict(kv.split("=") for kv in w.answer().split()[1:])
            open_n += int(a["open"])
            lost += int(a["lost"])
        print(f"server={name} level={level} label={label} held={open_n} lost={lost} "
              f"open_s={opened:.1f} cpu_pct={cpu:.1f} pss_kb={pss} rss_kb={rss} procs={procs} "
              f"fds={fds}{heap}", flush=True)
        if lost:
            raise RuntimeError(f"{name}: {lost} held sessions were closed or answered early")

    try:
        if args.warmup > 0:
            # Sessions that come and go before anything is measured: the server's code has run
            # as often as in a server that has been up a while (a JVM has compiled it).
            t0 = time.monotonic()
            w = Worker(__file__, args, sources[0], ["--helo", args.helo])
            try:
                w.send(f"warm {args.warmup}")
                a = w.answer()
                if not a.startswith("ready"):
                    raise RuntimeError(f"{name}: warm-up: {a}")
            finally:
                w.stop()
            print(f"server={name} warmup={args.warmup} warm_s={time.monotonic() - t0:.1f}",
                  flush=True)
        args.idle_fds = fd_count(args.pid)
        measure(0, "idle", 0.0)
        for level in levels:
            t0 = time.monotonic()
            need = -(-level // args.per_worker)
            while len(workers) < need:
                workers.append(Worker(__file__, args, sources[len(workers) % len(sources)], ["--helo", args.helo]))
            left = level
            for w in workers:
                w.count = max(w.count, min(args.per_worker, left))
                left -= w.count
            for w in workers:
                w.send(f"open {w.count}")
            for w in workers:
                a = w.answer()
                if not a.startswith("ready"):
                    raise RuntimeError(f"{name}: worker {w.source}: {a}")
            measure(level, "held", time.monotonic() - t0)
        if args.jcmd:
            # Last, because the full GC changes the memory measured above.
            held = sum(w.count for w in workers)
            before = jcmd(args, "GC.heap_info")
            histogram = jcmd(args, "GC.class_histogram")  # a full GC first: live objects only
            after = jcmd(args, "GC.heap_info")
            nmt = jcmd(args, "VM.native_memory", "summary")
            pss, rss, _ = memory_kb(args.pid)
            # The same without the sessions: the difference is what they keep alive.
            for w in workers:
                w.stop()
            workers.clear()
            closed_s = wait_fds_below(args.pid, args.idle_fds + 50, 120)
            time.sleep(2)  # the sessions' threads end after their sockets close
            histogram_closed = jcmd(args, "GC.class_histogram")
            empty = jcmd(args, "GC.heap_info")
            if args.dump:
                for file, text in (("heap_info_before.txt", before),
                                   ("class_histogram.txt", histogram),
                                   ("heap_info_after.txt", after), ("nmt_summary.txt", nmt),
                                   ("heap_info_closed.txt", empty),
                                   ("class_histogram_closed.txt", histogram_closed)):
                    with open(os.path.join(args.dump, file), "w") as f:
                        f.write(text)
            nmt_kb = -1
            m = re.search(r"Total: reserved=\d+KB, committed=(\d+)KB", nmt)
            if m:
                nmt_kb = int(m.group(1))
            print(f"server={name} jvm held={held} heap_used_kb={heap_kb(before)[1]} "
                  f"heap_committed_kb={heap_kb(before)[0]} "
                  f"live_kb={heap_kb(after)[1]} committed_after_kb={heap_kb(after)[0]} "
                  f"live_closed_kb={heap_kb(empty)[1]} closed_s={closed_s:.1f} "
                  f"objects_kb={histogram_live_kb(histogram)} "
                  f"objects_closed_kb={histogram_live_kb(histogram_closed)} "
                  f"nmt_committed_kb={nmt_kb} pss_after_gc_kb={pss} rss_after_gc_kb={rss}",
                  flush=True)
    finally:
        for w in workers:
            w.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, help="the server's PID (its process tree is measured)")
    p.add_argument("--server", default="server", help="name printed with each measurement")
    p.add_argument("--levels", default="2000,10000")
    p.add_argument("--sources", default="127.0.0.1,127.0.0.3,127.0.0.4")
    p.add_argument("--helo", default="client.bench.test")
    p.add_argument("--settle", type=float, default=10.0,
                   help="seconds between opening a level and measuring it")
    p.add_argument("--warmup", type=int, default=0,
                   help="sessions through EHLO and QUIT before the idle measurement")
    p.add_argument("--per-worker", type=int, default=5000)
    p.add_argument("--pending", type=int, default=200, help="sessions in flight per worker")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to open one level")
    p.add_argument("--jcmd", help="jcmd of the server's JDK: at the end, heap and NMT figures")
    p.add_argument("--dump", help="directory for the jcmd outputs")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--source", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args.host, args.port, args.source, args.helo, args.pending, args.timeout)
        return 0
    if args.pid is None:
        p.error("--pid is required")
    try:
        driver(args)
    except RuntimeError as e:
        print(f"idle_load: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

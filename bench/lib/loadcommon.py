"""What tarpit_load.py and idle_load.py share: the coordinator's side of a load process (Worker),
and reading the JVM's heap from jcmd (heap_kb).

Each worker is the same script started again with --worker: it holds the connections of one
source address and answers the coordinator's one-line commands on stdout, one line each.
"""
import re
import subprocess
import sys


class Worker:
    def __init__(self, script, args, source, extra=()):
        """Starts `script --worker` for `source`; `extra` are more options for it."""
        self.source = source
        self.count = 0
        self.proc = subprocess.Popen(
            [sys.executable, script, "--worker", "--port", str(args.port), "--host", args.host,
             "--source", source, "--pending", str(args.pending), "--timeout", str(args.timeout),
             *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def answer(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker for {self.source} exited ({self.proc.wait()})")
        return line.strip()

    def stop(self):
        """Asks the worker to end; after 30 s it is killed (by its PID, which we started)."""
        try:
            self.send("quit")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def heap_kb(info):
    """(committed, used) in kB from jcmd GC.heap_info: the sum over the heap's top-level lines
    (G1: one "garbage-first heap" line; Serial and Parallel: one line per generation)."""
    committed = used = 0
    found = False
    for line in info.splitlines():
        if line[:1].isspace():
            continue  # regions, spaces, Metaspace
        m = re.search(r"total (?:reserved \d+K, committed )?(\d+)K, used (\d+)K", line)
        if m:
            committed += int(m.group(1))
            used += int(m.group(2))
            found = True
    return (committed, used) if found else (-1, -1)

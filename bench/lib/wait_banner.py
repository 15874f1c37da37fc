#!/usr/bin/env python3
"""Wait, bounded, until HOST:PORT accepts a TCP connection and greets with 220.

usage: wait_banner.py HOST PORT SECONDS [PID [SOURCE]]
Exit 0 once a 220 greeting arrives (then sends QUIT); 1 when SECONDS pass first or when PID
(a process we started, 0 = none) has exited. Connects from the local address SOURCE when given
(e.g. an allowed 127.0.0.2 when the server blocks 127.0.0.1). Only ever connects to the given
address.
"""
import os
import socket
import sys
import time


def alive(pid):
    if pid <= 0:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def main():
    host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    pid = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    source = (sys.argv[5], 0) if len(sys.argv) > 5 else None
    deadline = time.monotonic() + seconds
    last = "no attempt"
    while time.monotonic() < deadline:
        if not alive(pid):
            print(f"wait_banner: process {pid} exited", file=sys.stderr)
            return 1
        try:
            with socket.create_connection((host, port), timeout=min(5.0, max(0.5, deadline - time.monotonic())),
                                          source_address=source) as s:
                f = s.makefile("rb")
                line = f.readline(1024)
                if line.startswith(b"220"):
                    # Skip a multi-line greeting, then say goodbye politely.
                    while line[3:4] == b"-":
                        line = f.readline(1024)
                    try:
                        s.sendall(b"QUIT\r\n")
                        f.readline(1024)
                    except OSError:
                        pass
                    return 0
                last = f"greeting {line[:80]!r}"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    print(f"wait_banner: {host}:{port}: no 220 within {seconds:g}s (last: {last})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

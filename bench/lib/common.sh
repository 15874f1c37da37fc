# Shell functions the benchmark scripts share. Source it: . "$ROOT/bench/lib/common.sh"

# stop_pid PID NAME [SECONDS]: ends a process this script started: TERM, a bounded wait (default
# 10 s), then KILL. Never by name.
stop_pid() {
  local pid=$1 name=$2 limit=${3:-10} i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < limit * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$(basename "$0"): $name (pid $pid) ignored TERM for $limit s, sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# free_ports COUNT: prints COUNT distinct free loopback TCP ports, one per line.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
for s in socks:
    s.close()
PY
}

# raise_fd_limit WANT: raises this shell's descriptor limit (inherited by what it starts) to WANT,
# first raising the hard limit where this user may (root with CAP_SYS_RESOURCE), else as far as the
# hard limit allows. Check `ulimit -n` afterwards for what was had.
raise_fd_limit() {
  local want=$1 hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
    ulimit -Hn "$want" 2>/dev/null || true
    hard=$(ulimit -Hn)
  fi
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then
    ulimit -Sn "$want"
  else
    ulimit -Sn "$hard"
  fi
}

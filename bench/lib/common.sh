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

# free_cluster_ports COUNT: prints COUNT distinct free loopback TCP ports below 55536, one per
# line, each with its port + 10000 free too (a Redis Cluster node's bus) and none another's bus.
free_cluster_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks, ports = [], []
while len(ports) < int(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    p = s.getsockname()[1]
    if p + 10000 > 65535 or any(abs(p - q) == 10000 for q in ports):
        continue
    bus = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        bus.bind(("127.0.0.1", p + 10000))
    except OSError:
        continue
    finally:
        socks.append(bus)
    ports.append(p)
for p in ports:
    print(p)
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

# wait_port HOST PORT SECONDS PID: waits, bounded, until HOST:PORT accepts a TCP connection;
# fails when SECONDS pass first or PID (a process this script started) has exited.
wait_port() {
  local host=$1 port=$2 limit=$3 pid=$4 i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

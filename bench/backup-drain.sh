#!/usr/bin/env bash
# Backup drain benchmark: a backup mxtrap holds N queued 4 KB messages for a primary that is down;
# the primary comes up; how long until the backup's queue is empty, and did every message arrive
# exactly once?
#
#   bench/backup-drain.sh               # 10,000 messages
#   bench/backup-drain.sh --quick       # smoke test: 500 messages
#   bench/backup-drain.sh --help
#
# Like BackupIT: two `./mxtrap serve`, the primary on 127.0.0.10 and the backup (delivery.mode:
# mx) on 127.0.0.20, on free ports, and unbound on 127.0.0.1 serving the domain's zone (MX 10 the
# primary, MX 20 the backup); the backup asks only that unbound, neither does reverse lookups.
# Postfix's smtp-source fills the backup while the primary is down. Every wait is bounded; every
# process started here is ended by its PID on exit. See bench/README.md for what the figures mean.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib/common.sh"
HELPERS="$ROOT/bench/lib"

# ---- parameters (environment first, flags override) --------------------------------------------
MESSAGES=${BENCH_MESSAGES:-10000}         # messages queued on the backup
SIZE=${BENCH_SIZE:-4096}                  # message payload bytes (smtp-source -l)
SESSIONS=${BENCH_SESSIONS:-20}            # parallel sessions filling the backup
PROBE=${BENCH_PROBE:-1s}                  # the backup's trap.probe_interval: how soon it notices
FILL_TIMEOUT=${BENCH_FILL_TIMEOUT:-900}   # seconds to fill the backup and see every first attempt fail
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-900} # seconds for the backup's queue to empty
START_TIMEOUT=${BENCH_START_TIMEOUT:-60}  # seconds for a server to answer 220
BUILD_TIMEOUT=${BENCH_BUILD_TIMEOUT:-900} # seconds for the launcher to build the jar if needed
BASE_TMP=${BENCH_TMPDIR:-/var/tmp}        # where the spools and Maildirs live (use a real disk)
DOMAIN=${BENCH_DOMAIN:-bench.test}
KEEP=${BENCH_KEEP:-0}                     # 1: keep the temp dir (configs, logs)
PRIMARY_ADDR=127.0.0.10
BACKUP_ADDR=127.0.0.20

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<EOF

Options (each also settable by the environment variable in brackets):
  --quick               smoke test: --messages 500
  --messages N          messages queued on the backup         [BENCH_MESSAGES=$MESSAGES]
  --size BYTES          message payload size                  [BENCH_SIZE=$SIZE]
  --sessions N          smtp-source sessions filling it       [BENCH_SESSIONS=$SESSIONS]
  --probe DURATION      the backup's trap.probe_interval      [BENCH_PROBE=$PROBE]
  --drain-timeout SECS  bound on the drain                    [BENCH_DRAIN_TIMEOUT=$DRAIN_TIMEOUT]
  --tmpdir DIR          parent of the temp dir                [BENCH_TMPDIR=$BASE_TMP]
  --keep                keep the temp dir (configs, logs)     [BENCH_KEEP=1]
Also: BENCH_FILL_TIMEOUT, BENCH_START_TIMEOUT, BENCH_BUILD_TIMEOUT, BENCH_DOMAIN, MXTRAP_JAVA_OPTS.
Exit status: 0 drained and every message arrived once; 1 not; 2 usage error; 3 a start failed.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MESSAGES=500 ;;
    --messages) MESSAGES=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --sessions) SESSIONS=$2; shift ;;
    --probe) PROBE=$2; shift ;;
    --drain-timeout) DRAIN_TIMEOUT=$2; shift ;;
    --tmpdir) BASE_TMP=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "backup-drain.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }
for v in MESSAGES SIZE SESSIONS FILL_TIMEOUT DRAIN_TIMEOUT START_TIMEOUT BUILD_TIMEOUT; do
  is_uint "${!v}" && [ "${!v}" -ge 1 ] ||
    { echo "backup-drain.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
for tool in smtp-source unbound python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
    { echo "backup-drain.sh: '$tool' not found (apt-get install postfix unbound python3 coreutils)" >&2; exit 3; }
done
export PATH="$PATH:/usr/sbin:/sbin"

# ---- temp dir and cleanup ------------------------------------------------------------------------
mkdir -p "$BASE_TMP"
TMP=$(mktemp -d "$BASE_TMP/mxtrap-drain.XXXXXX")
PRIMARY_PID="" BACKUP_PID="" UNBOUND_PID="" LOAD_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$LOAD_PID" "timeout smtp-source"
  stop_pid "$PRIMARY_PID" "mxtrap primary"
  stop_pid "$BACKUP_PID" "mxtrap backup"
  stop_pid "$UNBOUND_PID" unbound
  if [ "$KEEP" = 1 ]; then echo "Temp dir kept: $TMP"; else rm -rf -- "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { echo "$EPOCHREALTIME"; }   # microsecond wall clock (bash >= 5)
count_files() { (find "$@" -type f 2>/dev/null || true) | wc -l; }

read -r P_PRIMARY P_BACKUP P_DNS P_ADMIN_P P_ADMIN_B < <(free_ports 5 | paste -sd' ')
raise_fd_limit 65536

# ---- unbound: the zone, on loopback --------------------------------------------------------------
mkdir -p "$TMP/unbound"
cat >"$TMP/unbound/$DOMAIN.zone" <<EOF
\$ORIGIN $DOMAIN.
\$TTL 300
@          IN SOA  ns hostmaster 1 3600 600 86400 60
@          IN NS   ns
ns         IN A    127.0.0.1
@          IN MX   10 mail
@          IN MX   20 backup
mail       IN A    $PRIMARY_ADDR
backup     IN A    $BACKUP_ADDR
EOF
# As src/test/java/org/mxtrap/it/LoopbackUnbound.java: no chroot, no user change, the zone
# served authoritatively, every other name refused (never the Internet).
cat >"$TMP/unbound/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: $P_DNS
  do-ip6: no
  so-reuseport: no
  num-threads: 1
  chroot: ""
  username: ""
  directory: "$TMP/unbound"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  local-zone: "." refuse
  local-zone: "$DOMAIN." transparent
remote-control:
  control-enable: no
auth-zone:
  name: "$DOMAIN."
  zonefile: "$TMP/unbound/$DOMAIN.zone"
  for-downstream: yes
  for-upstream: yes
  fallback-enabled: no
EOF
unbound -d -c "$TMP/unbound/unbound.conf" >"$TMP/unbound/unbound.log" 2>&1 &
UNBOUND_PID=$!
for ((i = 0; i < START_TIMEOUT * 10; i++)); do
  grep -q 'start of service' "$TMP/unbound/unbound.log" 2>/dev/null && break
  kill -0 "$UNBOUND_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q 'start of service' "$TMP/unbound/unbound.log" 2>/dev/null ||
  { echo "unbound: FAILED to start:" >&2; sed 's/^/  /' "$TMP/unbound/unbound.log" >&2; exit 3; }

# ---- the two mxtrap hosts ------------------------------------------------------------------------
# write_config NAME HOSTNAME ADDRESS PORT ADMIN_PORT EXTRA: the layout is the same on both hosts.
write_config() {
  mkdir -p "$TMP/$1"
  cat >"$TMP/$1/mxtrap.yml" <<EOF
# Generated by bench/backup-drain.sh.
hostname: $2
domains: [$DOMAIN]
data_dir: $TMP/$1/data
layout:
  - { preference: 10, host: mail.$DOMAIN, address: $PRIMARY_ADDR, port: $P_PRIMARY, role: primary }
  - { preference: 20, host: backup.$DOMAIN, address: $BACKUP_ADDR, port: $P_BACKUP, role: backup }
listen: ["$3:$4"]
admin: { bind: "127.0.0.1:$5" }
limits: { max_connections: 1000, max_per_ip: 1000 }
$6
EOF
}
write_config primary "mail.$DOMAIN" "$PRIMARY_ADDR" "$P_PRIMARY" "$P_ADMIN_P" \
  "dns: { ptr_budget: 0s }
trusted_relays: [\"127.0.0.1\"]"
# The backup's next attempt by backoff comes an hour later: only the primary's return (its
# prober, every $PROBE) makes the queue move.
write_config backup "backup.$DOMAIN" "$BACKUP_ADDR" "$P_BACKUP" "$P_ADMIN_B" \
  "delivery: { mode: mx }
dns: { resolver: \"127.0.0.1:$P_DNS\", ptr_budget: 0s }
queue: { min_backoff: 1h }
trap: { probe_interval: $PROBE }"

if ! (cd "$TMP" && timeout -k 5 "$BUILD_TIMEOUT" "$ROOT/mxtrap" --version) >"$TMP/version.log" 2>&1; then
  echo "mxtrap: FAILED: '$ROOT/mxtrap --version' did not succeed within ${BUILD_TIMEOUT}s:" >&2
  tail -n 20 "$TMP/version.log" | sed 's/^/  /' >&2
  exit 3
fi

start_mxtrap() { # NAME ADDRESS PORT; sets STARTED_PID
  (cd "$TMP/$1" && exec "$ROOT/mxtrap" serve --config "$TMP/$1/mxtrap.yml") >"$TMP/$1/mxtrap.log" 2>&1 &
  STARTED_PID=$!
}
wait_220() { # ADDRESS PORT PID
  python3 "$HELPERS/wait_banner.py" "$1" "$2" "$START_TIMEOUT" "$3"
}

echo "== mxtrap backup drain benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host:      $(uname -srm), nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
echo "spool fs:  $TMP ($(stat -f -c %T "$TMP" 2>/dev/null || echo unknown))"
echo "mxtrap:    $(tail -n 1 "$TMP/version.log")"
echo "load:      $MESSAGES messages of $SIZE bytes, $SESSIONS sessions; backup probe interval $PROBE"

start_mxtrap backup "$BACKUP_ADDR" "$P_BACKUP"
BACKUP_PID=$STARTED_PID
wait_220 "$BACKUP_ADDR" "$P_BACKUP" "$BACKUP_PID" ||
  { echo "backup: FAILED to start:" >&2; tail -n 30 "$TMP/backup/mxtrap.log" | sed 's/^/  /' >&2; exit 3; }
echo "backup:    pid $BACKUP_PID on $BACKUP_ADDR:$P_BACKUP; the primary ($PRIMARY_ADDR:$P_PRIMARY) is down"

# ---- fill the backup while the primary is down ---------------------------------------------------
FILL_CMD=(smtp-source -4 -M "client.$DOMAIN" -f "sender@client.$DOMAIN" -t "rcpt@$DOMAIN"
  -l "$SIZE" -s "$SESSIONS" -m "$MESSAGES" "$BACKUP_ADDR:$P_BACKUP")
echo "fill:      ${FILL_CMD[*]}"
t0=$(now)
timeout -k 5 "$FILL_TIMEOUT" "${FILL_CMD[@]}" >"$TMP/source.out" 2>"$TMP/source.err" </dev/null &
LOAD_PID=$!
rc=0; wait "$LOAD_PID" || rc=$?
LOAD_PID=""
if [ "$rc" != 0 ]; then
  echo "fill: FAILED: smtp-source exit $rc:" >&2; sed -n '1,5s/^/  /p' "$TMP/source.err" >&2; exit 1
fi
echo "           accepted in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
# Every message's first attempt must have failed (a state record each) before the primary comes:
# the figure is the flush, not the first attempts.
QUEUE="$TMP/backup/data/queue"
for ((i = 0; i < FILL_TIMEOUT * 10; i++)); do
  [ "$(count_files "$QUEUE/state")" -ge "$MESSAGES" ] && break
  sleep 0.1
done
queued=$(count_files "$QUEUE/active") attempted=$(count_files "$QUEUE/state")
echo "backup:    $queued queued, $attempted attempted once and deferred"
[ "$queued" = "$MESSAGES" ] && [ "$attempted" = "$MESSAGES" ] ||
  { echo "backup-drain.sh: expected $MESSAGES queued and deferred" >&2; exit 1; }

# ---- the primary returns -------------------------------------------------------------------------
start_mxtrap primary "$PRIMARY_ADDR" "$P_PRIMARY"
PRIMARY_PID=$STARTED_PID
# The clock starts when our own probe sees its first 220 (a few ms after the primary's first).
wait_220 "$PRIMARY_ADDR" "$P_PRIMARY" "$PRIMARY_PID" ||
  { echo "primary: FAILED to start:" >&2; tail -n 30 "$TMP/primary/mxtrap.log" | sed 's/^/  /' >&2; exit 3; }
t_up=$(now)
echo "primary:   pid $PRIMARY_PID on $PRIMARY_ADDR:$P_PRIMARY, answering"
left=$queued
for ((i = 0; i < DRAIN_TIMEOUT * 20; i++)); do
  left=$(count_files "$QUEUE/active")
  [ "$left" = 0 ] && break
  sleep 0.05
done
t_empty=$(now)
[ "$left" = 0 ] || { echo "backup-drain.sh: $left messages still queued after ${DRAIN_TIMEOUT}s" >&2; exit 1; }

# ---- every message arrived exactly once? ---------------------------------------------------------
INBOX="$TMP/primary/data/mail/$DOMAIN/rcpt/new"
landed=$(count_files "$INBOX")
# Each message carries the backup's queue ID in the backup's Received header ("id ID" on the
# line after "by backup...."): distinct IDs, one file each, means no message came twice.
distinct=$(cat "$INBOX"/* 2>/dev/null |
  awk '/^\tby backup\./ { want = 1; next } want && /^\tid / { print $2; want = 0 } /^[^\t ]/ { want = 0 }' |
  tr -d ';' | sort -u | wc -l)
# The primary logs one "connect from" line per connection; the backup's probes are among them.
conns=$(grep -c ']: connect from' "$TMP/primary/mxtrap.log" 2>/dev/null || true)
secs=$(awk -v a="$t_up" -v b="$t_empty" 'BEGIN { printf "%.2f", b - a }')
rate=$(awk -v m="$MESSAGES" -v t="$secs" 'BEGIN { printf "%.0f", (t > 0 ? m / t : 0) }')

echo
echo "Backup drain ($MESSAGES messages of $SIZE bytes):"
echo "  from the primary's first 220 to an empty backup queue: $secs s"
echo "  forwarded:                                             $rate msgs/s"
echo "  the primary's Maildir: $landed files, $distinct distinct backup queue IDs (each message once: $([ "$landed" = "$MESSAGES" ] && [ "$distinct" = "$MESSAGES" ] && echo yes || echo NO))"
echo "  connections the primary accepted: $conns (the backup's probes included)"
echo "  Postfix, from its documentation, with its defaults (minimal_backoff_time 300s,"
echo "  maximal_backoff_time 4000s, queue_run_delay 300s): a deferred message is retried only at"
echo "  its next backoff step, so up to 4000 s after the primary returns before it is even tried."
[ "$landed" = "$MESSAGES" ] && [ "$distinct" = "$MESSAGES" ] || exit 1

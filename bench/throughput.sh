#!/usr/bin/env bash
# Throughput benchmark: Postfix's smtp-source against mxtrap (Maildir delivery; relaying to a
# private smtp-sink; with its state in a private redis-server; on a private Redis Cluster), a
# private Postfix smtpd and smtp-sink, side by side on this machine, at
# several numbers of parallel sessions.
#
#   bench/throughput.sh                 # 5000 messages of 4 KB per run, at 1, 20, 100 sessions
#   bench/throughput.sh --quick         # smoke test: 200 messages per run, short warm-up
#   bench/throughput.sh --servers postfix,sink --messages 5000
#   bench/throughput.sh --servers mxtrap,nometrics --sessions 20   # the cost of the metrics
#   bench/throughput.sh --help
#
# Every server listens on a free loopback port; every load run is bounded in message count
# (smtp-source -m) and in time (timeout); all processes started here are ended by PID on exit.
# Postfix runs as a private instance (postfix -c DIR, own queue in a temp dir) and never does DNS.
# See bench/README.md for what the figures mean.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib/common.sh"
HELPERS="$ROOT/bench/lib"

# ---- parameters (environment first, flags override) --------------------------------------------
MESSAGES=${BENCH_MESSAGES:-5000}          # messages per measured smtp-source run (-m): at ~1,500 msgs/s, 2000 made runs too short to time well
SESSIONS=${BENCH_SESSIONS:-"1 20 100"}    # parallel sessions (-s), one measured run each
SIZE=${BENCH_SIZE:-4096}                  # message payload bytes (-l)
WARMUP=${BENCH_WARMUP:-20000}             # unmeasured messages per server before measuring (0: none): mxtrap's JIT compiles for ~20000 (bench/README.md)
WARMUP_SESSIONS=${BENCH_WARMUP_SESSIONS:-20}
REPEAT=${BENCH_REPEAT:-1}                 # measured runs per cell; the median is reported
REUSE=${BENCH_REUSE:-0}                   # 1: smtp-source -d (several messages per connection)
SERVERS=${BENCH_SERVERS:-mxtrap,relay,redis,cluster,postfix,sink}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}     # seconds, upper bound for one smtp-source run
START_TIMEOUT=${BENCH_START_TIMEOUT:-60}  # seconds for a server to answer 220
BUILD_TIMEOUT=${BENCH_BUILD_TIMEOUT:-900} # seconds for the launcher to build the jar if needed
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-120} # seconds to wait for Postfix to empty its queue
PAUSE=${BENCH_PAUSE:-1}                   # seconds of rest between runs
BASE_TMP=${BENCH_TMPDIR:-/var/tmp}        # where the servers' spools live (use a real disk)
DOMAIN=${BENCH_DOMAIN:-bench.test}
FROM=${BENCH_FROM:-sender@$DOMAIN}
TO=${BENCH_TO:-rcpt@$DOMAIN}
KEEP=${BENCH_KEEP:-0}                     # 1: keep the temp dir (logs, configs) for inspection
POSTFIX_DELIVERY=${BENCH_POSTFIX_DELIVERY:-discard}  # discard | maildir (virtual(8), like mxtrap's)
MXTRAP_EXTRA_YAML=${BENCH_MXTRAP_EXTRA_YAML:-}  # extra top-level YAML lines for mxtrap's config

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<EOF

Options (each also settable by the environment variable in brackets):
  --quick               smoke test: --messages 200 --warmup 50
  --messages N          messages per measured run            [BENCH_MESSAGES=$MESSAGES]
  --sessions "1 20 100" parallel session counts               [BENCH_SESSIONS]
  --size BYTES          message payload size                  [BENCH_SIZE=$SIZE]
  --warmup N            unmeasured warm-up messages per server [BENCH_WARMUP=$WARMUP]
  --repeat N            runs per cell, median reported        [BENCH_REPEAT=$REPEAT]
  --reuse               several messages per connection (-d)  [BENCH_REUSE=1]
  --servers LIST        any of mxtrap,nometrics (mxtrap-nometrics: admin.metrics
                        false),relay (mxtrap-relay),redis (mxtrap-redis),
                        cluster (mxtrap-cluster),postfix,sink [BENCH_SERVERS=$SERVERS]
  --run-timeout SECS    bound on one smtp-source run          [BENCH_RUN_TIMEOUT=$RUN_TIMEOUT]
  --start-timeout SECS  bound on a server's start (220)       [BENCH_START_TIMEOUT=$START_TIMEOUT]
  --tmpdir DIR          parent of the temp dir (spools)       [BENCH_TMPDIR=$BASE_TMP]
  --keep                keep the temp dir (configs, logs)     [BENCH_KEEP=1]
  --postfix-delivery M  discard, or maildir: Postfix delivers
                        into a Maildir as mxtrap does         [BENCH_POSTFIX_DELIVERY=$POSTFIX_DELIVERY]
Also: BENCH_BUILD_TIMEOUT, BENCH_DRAIN_TIMEOUT, BENCH_PAUSE, BENCH_WARMUP_SESSIONS, BENCH_DOMAIN,
BENCH_FROM, BENCH_TO, BENCH_MXTRAP_EXTRA_YAML, MXTRAP_JAVA_OPTS (passed on by ./mxtrap).
Exit status: 0 all runs succeeded; 1 a run failed; 2 usage error; 3 a server failed to start.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MESSAGES=200; WARMUP=50 ;;
    --messages) MESSAGES=$2; shift ;;
    --sessions) SESSIONS=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --reuse) REUSE=1 ;;
    --servers) SERVERS=$2; shift ;;
    --run-timeout) RUN_TIMEOUT=$2; shift ;;
    --start-timeout) START_TIMEOUT=$2; shift ;;
    --tmpdir) BASE_TMP=$2; shift ;;
    --postfix-delivery) POSTFIX_DELIVERY=$2; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "throughput.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }
for v in MESSAGES SIZE WARMUP WARMUP_SESSIONS REPEAT RUN_TIMEOUT START_TIMEOUT BUILD_TIMEOUT DRAIN_TIMEOUT PAUSE; do
  is_uint "${!v}" || { echo "throughput.sh: $v must be a non-negative integer, got '${!v}'" >&2; exit 2; }
done
[ "$MESSAGES" -ge 1 ] && [ "$REPEAT" -ge 1 ] && [ "$RUN_TIMEOUT" -ge 1 ] ||
  { echo "throughput.sh: --messages, --repeat and --run-timeout must be >= 1" >&2; exit 2; }
for s in $SESSIONS; do
  is_uint "$s" && [ "$s" -ge 1 ] || { echo "throughput.sh: bad session count '$s'" >&2; exit 2; }
done
case "$POSTFIX_DELIVERY" in discard|maildir) ;; *)
  echo "throughput.sh: --postfix-delivery must be discard or maildir, got '$POSTFIX_DELIVERY'" >&2; exit 2 ;;
esac
WANT_MXTRAP=0 WANT_NOMETRICS=0 WANT_RELAY=0 WANT_REDIS=0 WANT_CLUSTER=0 WANT_POSTFIX=0 WANT_SINK=0
IFS=', ' read -r -a _servers <<<"$SERVERS"
for s in "${_servers[@]}"; do
  case "$s" in
    mxtrap) WANT_MXTRAP=1 ;; nometrics|mxtrap-nometrics) WANT_NOMETRICS=1 ;;
    relay|mxtrap-relay) WANT_RELAY=1 ;; redis|mxtrap-redis) WANT_REDIS=1 ;;
    cluster|mxtrap-cluster) WANT_CLUSTER=1 ;;
    postfix) WANT_POSTFIX=1 ;; sink|smtp-sink) WANT_SINK=1 ;;
    '') ;;
    *) echo "throughput.sh: unknown server '$s' (mxtrap, nometrics, relay, redis, cluster, postfix, sink)" >&2; exit 2 ;;
  esac
done

for tool in smtp-source smtp-sink postfix postconf python3 timeout; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
    { echo "throughput.sh: '$tool' not found (apt-get install postfix python3 coreutils)" >&2; exit 3; }
done
export PATH="$PATH:/usr/sbin:/sbin"

# ---- temp dir and cleanup ------------------------------------------------------------------------
mkdir -p "$BASE_TMP"
TMP=$(mktemp -d "$BASE_TMP/mxtrap-bench.XXXXXX")
chmod 755 "$TMP"   # the postfix user must reach the private queue below it

MXTRAP_PID="" NOMETRICS_PID="" RELAY_PID="" RELAY_SINK_PID="" REDIS_MX_PID="" REDIS_PID="" CLUSTER_MX_PID="" SINK_PID=""
CLUSTER_PIDS=() POSTFIX_ETC="" POSTFIX_STARTED=0 LOAD_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$LOAD_PID" "timeout smtp-source"
  stop_pid "$MXTRAP_PID" mxtrap
  stop_pid "$NOMETRICS_PID" mxtrap-nometrics
  stop_pid "$RELAY_PID" mxtrap-relay
  stop_pid "$RELAY_SINK_PID" "smtp-sink (relay)"
  stop_pid "$REDIS_MX_PID" mxtrap-redis
  stop_pid "$REDIS_PID" redis-server
  stop_pid "$CLUSTER_MX_PID" mxtrap-cluster
  for pid in "${CLUSTER_PIDS[@]}"; do stop_pid "$pid" "redis-server (cluster)"; done
  stop_pid "$SINK_PID" smtp-sink
  if [ "$POSTFIX_STARTED" = 1 ]; then
    local mpid i
    mpid=$(tr -dc 0-9 <"$PF_QUEUE/pid/master.pid" 2>/dev/null || true)
    postfix -c "$POSTFIX_ETC" stop >/dev/null 2>&1 || true
    if [ -n "$mpid" ]; then
      for ((i = 0; i < 100; i++)); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$mpid" 2>/dev/null; then
        echo "throughput.sh: Postfix master (pid $mpid) still running, aborting it" >&2
        postfix -c "$POSTFIX_ETC" abort >/dev/null 2>&1 || kill -KILL "$mpid" 2>/dev/null || true
        sleep 1
      fi
    fi
  fi
  if [ "$KEEP" = 1 ]; then
    echo "Temp dir kept: $TMP"
  else
    rm -rf -- "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers -------------------------------------------------------------------------------------
wait_banner() { # $1 = port, $2 = seconds, $3 = pid to watch (or empty); true once a 220 greets us
  python3 "$HELPERS/wait_banner.py" 127.0.0.1 "$1" "$2" "${3:-0}"
}

now() { echo "$EPOCHREALTIME"; }   # microsecond wall clock (bash >= 5)

SOURCE_FLAGS=(-4 -M client.$DOMAIN -f "$FROM" -t "$TO" -l "$SIZE")
if [ "$REUSE" = 1 ]; then SOURCE_FLAGS+=(-d); fi

source_cmd() { # $1 = port, $2 = sessions, $3 = messages; prints the command line
  echo "smtp-source ${SOURCE_FLAGS[*]} -s $2 -m $3 127.0.0.1:$1"
}

# CPU seconds (user + system) an mxtrap JVM (mxtrap, nometrics, relay, redis or cluster: $1) has used so far, from
# /proc/PID/stat fields 14 and 15; nothing for the other servers.
mxtrap_cpu() {
  local pid
  case "$1" in
    mxtrap) pid=$MXTRAP_PID ;; nometrics) pid=$NOMETRICS_PID ;; relay) pid=$RELAY_PID ;; redis) pid=$REDIS_MX_PID ;; cluster) pid=$CLUSTER_MX_PID ;;
    *) return 0 ;;
  esac
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat" 2>/dev/null
}

# One smtp-source run; sets SECS, RATE and, for mxtrap and mxtrap-relay, CPU_PER_MSG (ms of its
# CPU per message).
run_load() {
  local name=$1 port=$2 s=$3 m=$4 t0 t1 rc=0 err="$TMP/source.err" c0="" c1=""
  c0=$(mxtrap_cpu "$name")
  t0=$(now)
  # In the background and waited for, so that INT/TERM reach our trap at once (a foreground
  # child would delay them until it ends); the trap then ends this run by its PID.
  timeout -k 5 "$RUN_TIMEOUT" smtp-source "${SOURCE_FLAGS[@]}" -s "$s" -m "$m" "127.0.0.1:$port" \
    >"$TMP/source.out" 2>"$err" </dev/null &
  LOAD_PID=$!
  wait "$LOAD_PID" || rc=$?
  t1=$(now)
  c1=$(mxtrap_cpu "$name")
  LOAD_PID=""
  CPU_PER_MSG=$(awk -v a="$c0" -v b="$c1" -v m="$m" 'BEGIN { if (a != "" && b != "") printf "%.2f", (b - a) * 1000 / m }')
  SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  if [ "$rc" != 0 ]; then
    RATE=""
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      echo "  FAILED: $name s=$s: smtp-source exceeded ${RUN_TIMEOUT}s" >&2
    else
      echo "  FAILED: $name s=$s: smtp-source exit $rc after ${SECS}s:" >&2
    fi
    sed -n '1,5s/^/    /p' "$err" >&2
    return 1
  fi
  RATE=$(awk -v m="$m" -v t="$SECS" 'BEGIN { printf "%.1f", (t > 0 ? m / t : 0) }')
  return 0
}

median() { # numbers as arguments
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

postfix_queue_files() {
  find "$PF_QUEUE/incoming" "$PF_QUEUE/active" "$PF_QUEUE/deferred" "$PF_QUEUE/maildrop" \
    -type f 2>/dev/null | wc -l || true
}

postfix_drain() { # wait (bounded) until Postfix has delivered (discarded) everything queued
  local i n
  for ((i = 0; i < DRAIN_TIMEOUT * 10; i++)); do
    n=$(postfix_queue_files)
    [ "$n" = 0 ] && return 0
    sleep 0.1
  done
  echo "  warning: Postfix queue still holds $n files after ${DRAIN_TIMEOUT}s" >&2
}

# ---- machine facts -------------------------------------------------------------------------------
echo "== mxtrap throughput benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "host:      $(uname -srm), nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')"
echo "memory:    $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "spool fs:  $TMP ($(stat -f -c %T "$TMP" 2>/dev/null || echo unknown))"
case "$(stat -f -c %T "$TMP" 2>/dev/null)" in
  tmpfs|ramfs) echo "  WARNING: the spools are on $(stat -f -c %T "$TMP"): fsync costs nothing here; use --tmpdir on a real disk" ;;
esac
echo "postfix:   $(postconf -d -h mail_version 2>/dev/null || echo unknown) (mail_version)"
if [ "$WANT_MXTRAP" = 1 ] || [ "$WANT_NOMETRICS" = 1 ]; then
  # The same JDK the launcher picks (scripts/java-env.sh), or java on PATH as a fallback.
  jv=$( (. "$ROOT/scripts/java-env.sh" >/dev/null 2>&1 && java -version) 2>&1 ||
        java -version 2>&1 || echo "java: not found")
  echo "java:      $(printf '%s' "$jv" | head -n 3 | paste -sd';' | sed 's/;/; /g')"
  if [ -n "${MXTRAP_JAVA_OPTS:-}" ]; then echo "java opts: $MXTRAP_JAVA_OPTS"; fi
fi
echo "load:      -m $MESSAGES per run, -l $SIZE bytes, sessions: $SESSIONS, repeat $REPEAT (median)," \
  "warm-up $WARMUP msgs at $WARMUP_SESSIONS sessions, $([ "$REUSE" = 1 ] && echo "several msgs per connection (-d)" || echo "one msg per connection")"
echo

read -r P_MXTRAP P_ADMIN P_POSTFIX P_SINK P_RELAY P_RELAY_ADMIN P_RELAY_SINK P_REDIS_MX P_REDIS_ADMIN P_REDIS \
  P_CLUSTER_MX P_CLUSTER_ADMIN P_NOMETRICS P_NOMETRICS_ADMIN \
  < <(free_ports 14 | paste -sd' ')
START_FAILED=0

# ---- smtp-sink: the protocol-only ceiling (no disk at all) ---------------------------------------
if [ "$WANT_SINK" = 1 ]; then
  sink_user=()
  [ "$(id -u)" = 0 ] && sink_user=(-u nobody)   # required when started as root
  smtp-sink "${sink_user[@]}" -m 1000 "127.0.0.1:$P_SINK" 1000 >"$TMP/smtp-sink.log" 2>&1 &
  SINK_PID=$!
  if wait_banner "$P_SINK" "$START_TIMEOUT" "$SINK_PID"; then
    echo "smtp-sink: pid $SINK_PID on 127.0.0.1:$P_SINK"
  else
    echo "smtp-sink: FAILED to start on 127.0.0.1:$P_SINK:" >&2
    sed 's/^/  /' "$TMP/smtp-sink.log" >&2
    START_FAILED=1
  fi
fi

# ---- Postfix smtpd: a private instance in $TMP/postfix -------------------------------------------
if [ "$WANT_POSTFIX" = 1 ] && [ "$START_FAILED" = 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "postfix: FAILED: a private Postfix instance must be started as root" >&2
    START_FAILED=1
  else
    POSTFIX_ETC="$TMP/postfix/etc"
    PF_QUEUE="$TMP/postfix/queue"
    PF_DATA="$TMP/postfix/data"
    PF_LOG="$TMP/postfix/maillog"
    mkdir -p "$POSTFIX_ETC" "$PF_QUEUE" "$PF_DATA"
    chmod 755 "$TMP/postfix" "$POSTFIX_ETC" "$PF_QUEUE"
    chown postfix "$PF_DATA" && chmod 700 "$PF_DATA"   # data_directory belongs to mail_owner
    PF_DELIVERY_CF=""
    if [ "$POSTFIX_DELIVERY" = maildir ]; then
      PF_MAIL="$TMP/postfix/mail"
      mkdir -p "$PF_MAIL" && chown nobody:nogroup "$PF_MAIL"
      PF_DELIVERY_CF="mydestination =
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = static:$DOMAIN/rcpt/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
virtual_transport = virtual"
    fi
    cat >"$POSTFIX_ETC/main.cf" <<EOF
# Generated by bench/throughput.sh: a private, throw-away Postfix instance for the benchmark.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-bench
# Log to a file in the temp dir (through postlogd), never to syslog.
maillog_file = $PF_LOG
maillog_file_prefixes = $TMP
myhostname = postfix.$DOMAIN
mydomain = $DOMAIN
myorigin = $DOMAIN
mydestination = $([ "$POSTFIX_DELIVERY" = maildir ] || echo "$DOMAIN")
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# Like mxtrap: mail for the benchmark domain only (no relaying, not even for 127.0.0.1), any
# recipient of it; no alias or passwd look-ups.
smtpd_relay_restrictions = reject_unauth_destination
local_recipient_maps =
alias_maps =
alias_database =
# Accepted mail is written to the queue by cleanup, which fsync()s the queue file before
# smtpd answers 250 (Postfix's default, deliberately kept: the same durability promise as
# mxtrap). Then the queue manager hands it to the discard transport, so nothing is delivered
# anywhere and no outbound connection is ever made; or, with --postfix-delivery maildir, to
# virtual(8), which writes each message into a Maildir (fsync, rename) as mxtrap does.
local_transport = discard:
default_transport = discard:
relay_transport = discard:
$PF_DELIVERY_CF
# No DNS at all: no reverse look-up of clients, no DNS in the SMTP client (unused anyway).
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
biff = no
# Enough processes and no per-client limits, so 100 parallel sessions from 127.0.0.1 are
# served, not refused. With all these limits at 0, smtpd never talks to anvil.
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
smtpd_client_new_tls_session_rate_limit = 0
smtpd_client_auth_rate_limit = 0
smtpd_banner = \$myhostname ESMTP
EOF
    # chroot off everywhere: the private queue has no chroot jail files.
    cat >"$POSTFIX_ETC/master.cf" <<EOF
# Generated by bench/throughput.sh.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$P_POSTFIX inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    # 'check' creates the queue directories with the right owners and modes.
    if ! postfix -c "$POSTFIX_ETC" check >"$TMP/postfix-check.log" 2>&1; then
      echo "postfix: FAILED: postfix -c $POSTFIX_ETC check:" >&2
      sed 's/^/  /' "$TMP/postfix-check.log" >&2
      START_FAILED=1
    elif ! postfix -c "$POSTFIX_ETC" start >"$TMP/postfix-start.log" 2>&1; then
      echo "postfix: FAILED: postfix -c $POSTFIX_ETC start:" >&2
      sed 's/^/  /' "$TMP/postfix-start.log" >&2
      START_FAILED=1
    else
      POSTFIX_STARTED=1
      if wait_banner "$P_POSTFIX" "$START_TIMEOUT" ""; then
        echo "postfix:   master pid $(tr -dc 0-9 <"$PF_QUEUE/pid/master.pid" 2>/dev/null) on 127.0.0.1:$P_POSTFIX (config $POSTFIX_ETC)"
      else
        echo "postfix: FAILED: no 220 on 127.0.0.1:$P_POSTFIX within ${START_TIMEOUT}s; log:" >&2
        tail -n 20 "$PF_LOG" 2>/dev/null | sed 's/^/  /' >&2
        START_FAILED=1
      fi
    fi
  fi
fi

# ---- mxtrap: one primary entry; Maildir delivery, or (mxtrap-relay) relay to a private smtp-sink -
# start_mxtrap NAME PORT ADMIN_PORT DELIVERY_YAML [ADMIN_KEYS]: config in $TMP/NAME, the server's
# pid in STARTED_PID; sets START_FAILED on failure. ADMIN_KEYS: more entries of the admin map.
start_mxtrap() {
  local name=$1 port=$2 admin=$3 delivery=$4 admin_keys=${5:-} dir="$TMP/$1"
  local config="$dir/mxtrap.yml"
  mkdir -p "$dir"
  write_mx_config() { # $1 = 1 to give the admin API a free port of its own (never its fixed default)
    {
      cat <<EOF
# Generated by bench/throughput.sh.
hostname: $DOMAIN
domains: [$DOMAIN]
data_dir: $dir/data
layout:
  - { preference: 10, host: mail.$DOMAIN, address: 127.0.0.1, port: $port, role: primary }
listen: ["127.0.0.1:$port"]
limits: { max_connections: 1000, max_per_ip: 1000 }
# No reverse-name lookups: under load they would ask the machine's resolver thousands of times.
dns: { ptr_budget: 0s }
EOF
      if [ "$1" = 1 ]; then echo "admin: { bind: \"127.0.0.1:$admin\"$admin_keys }"; fi
      if [ -n "$delivery" ]; then printf '%s\n' "$delivery"; fi
      if [ -n "$MXTRAP_EXTRA_YAML" ]; then printf '%s\n' "$MXTRAP_EXTRA_YAML"; fi
    } >"$config"
  }
  mx_check_config() { # validates the config with the server's own checker (bounded)
    (cd "$dir" && timeout -k 5 "$BUILD_TIMEOUT" "$ROOT/mxtrap" check-config --config "$config") \
      >"$dir/check-config.log" 2>&1
  }
  write_mx_config 1
  # Let the launcher build the jar first if it must (bounded), so the start wait measures start-up.
  if ! (cd "$dir" && timeout -k 5 "$BUILD_TIMEOUT" "$ROOT/mxtrap" --version) >"$dir/version.log" 2>&1; then
    echo "$name: FAILED: '$ROOT/mxtrap --version' did not succeed within ${BUILD_TIMEOUT}s:" >&2
    tail -n 20 "$dir/version.log" | sed 's/^/  /' >&2
    START_FAILED=1
    return
  fi
  echo "$name: $(tail -n 1 "$dir/version.log")"
  # A version without the admin API rejects that key; then it binds no admin port either.
  if ! mx_check_config && grep -qi 'admin' "$dir/check-config.log"; then
    write_mx_config 0
  fi
  if ! mx_check_config; then
    echo "$name: FAILED: '$ROOT/mxtrap check-config --config $config' rejects the generated config:" >&2
    sed 's/^/  /' "$config" >&2
    tail -n 20 "$dir/check-config.log" | sed 's/^/  /' >&2
    START_FAILED=1
    return
  fi
  # cd: anything the server writes relative to its working directory stays in the temp dir.
  (cd "$dir" && exec "$ROOT/mxtrap" serve --config "$config") >"$dir/mxtrap.log" 2>&1 &
  STARTED_PID=$!
  if wait_banner "$port" "$START_TIMEOUT" "$STARTED_PID"; then
    echo "$name: pid $STARTED_PID on 127.0.0.1:$port (config $config)"
  else
    echo "$name: FAILED: no 220 on 127.0.0.1:$port (process exited, or ${START_TIMEOUT}s passed); config:" >&2
    sed 's/^/  /' "$config" >&2
    echo "  log ($dir/mxtrap.log):" >&2
    tail -n 30 "$dir/mxtrap.log" | sed 's/^/  /' >&2
    START_FAILED=1
  fi
}
MX_DIR="$TMP/mxtrap" RELAY_DIR="$TMP/mxtrap-relay" REDIS_MX_DIR="$TMP/mxtrap-redis"
if [ "$WANT_MXTRAP" = 1 ] && [ "$START_FAILED" = 0 ]; then
  start_mxtrap mxtrap "$P_MXTRAP" "$P_ADMIN" ""
  MXTRAP_PID=$STARTED_PID
fi
# mxtrap-nometrics: the same mxtrap without the metrics listener (admin.metrics: false), so that
# the two columns side by side show what counting costs on the hot path.
NOMETRICS_DIR="$TMP/mxtrap-nometrics"
if [ "$WANT_NOMETRICS" = 1 ] && [ "$START_FAILED" = 0 ]; then
  start_mxtrap mxtrap-nometrics "$P_NOMETRICS" "$P_NOMETRICS_ADMIN" "" ", metrics: false"
  NOMETRICS_PID=$STARTED_PID
fi
# The relay is a second smtp-sink on its own port: it takes every message at protocol speed and
# touches no disk, so the column measures mxtrap's own work in relay mode (spool before 250, then
# forwarding), not a downstream server's on the same two cores; and it counts what it got (-c).
if [ "$WANT_RELAY" = 1 ] && [ "$START_FAILED" = 0 ]; then
  sink_user=()
  [ "$(id -u)" = 0 ] && sink_user=(-u nobody)
  smtp-sink "${sink_user[@]}" -c -m 1000 "127.0.0.1:$P_RELAY_SINK" 1000 >"$TMP/relay-sink.log" 2>&1 &
  RELAY_SINK_PID=$!
  if wait_banner "$P_RELAY_SINK" "$START_TIMEOUT" "$RELAY_SINK_PID"; then
    echo "relay: smtp-sink pid $RELAY_SINK_PID on 127.0.0.1:$P_RELAY_SINK, mxtrap-relay's relay"
    start_mxtrap mxtrap-relay "$P_RELAY" "$P_RELAY_ADMIN" \
      "delivery: { mode: relay, relay: { host: 127.0.0.1, port: $P_RELAY_SINK, protocol: smtp } }"
    RELAY_PID=$STARTED_PID
  else
    echo "relay: FAILED: smtp-sink did not start on 127.0.0.1:$P_RELAY_SINK" >&2
    START_FAILED=1
  fi
fi

# redis_answers PORT TEXT COMMAND...: true once redis-cli COMMAND on 127.0.0.1:PORT answers with
# TEXT in its reply, polled for START_TIMEOUT seconds at most.
redis_answers() {
  local port=$1 text=$2 i
  shift 2
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    redis-cli -p "$port" "$@" 2>/dev/null | grep -q "$text" && return 0
    sleep 0.1
  done
  return 1
}

# start_redis PORT DIR [OPTIONS...]: a private redis-server (no persistence) on 127.0.0.1:PORT, its
# files and log in DIR; its pid in STARTED_PID. True once it answers PING.
start_redis() {
  local port=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
    --daemonize no "$@" >"$dir/redis.log" 2>&1 &
  STARTED_PID=$!
  redis_answers "$port" PONG ping
}

if { [ "$WANT_REDIS" = 1 ] || [ "$WANT_CLUSTER" = 1 ]; } && [ "$START_FAILED" = 0 ]; then
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
    { echo "redis: redis-server or redis-cli not found (apt-get install redis-server)" >&2; exit 3; }
fi

# mxtrap-redis: the same mxtrap with state.store: redis, on a private redis-server (no
# persistence) on its own port: every contact written to Redis before the greeting, suppressions
# answered from the local mirror. The column shows what the shared store costs a session.
if [ "$WANT_REDIS" = 1 ] && [ "$START_FAILED" = 0 ]; then
  start_redis "$P_REDIS" "$TMP/redis" && redis_up=1 || redis_up=0
  REDIS_PID=$STARTED_PID
  if [ "$redis_up" = 1 ]; then
    echo "redis: redis-server pid $REDIS_PID on 127.0.0.1:$P_REDIS, mxtrap-redis's state"
    start_mxtrap mxtrap-redis "$P_REDIS_MX" "$P_REDIS_ADMIN" \
      "state: { store: redis, redis: { url: \"redis://127.0.0.1:$P_REDIS\" } }"
    REDIS_MX_PID=$STARTED_PID
  else
    echo "redis: FAILED: redis-server did not answer on 127.0.0.1:$P_REDIS" >&2
    START_FAILED=1
  fi
fi

# mxtrap-cluster: the same on a private Redis Cluster of three masters (no replicas, no
# persistence), joined by redis-cli --cluster create: each contact goes to the master of its key's
# slot. A node's cluster bus is its port + 10000, free too.
CLUSTER_DIR="$TMP/cluster"
start_cluster() { # the nodes' pids in CLUSTER_PIDS as they start; true once every node says ok
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    start_redis "$p" "$CLUSTER_DIR/$p" --cluster-enabled yes \
      --cluster-config-file "$CLUSTER_DIR/$p/nodes.conf" && CLUSTER_PIDS+=("$STARTED_PID") ||
      { CLUSTER_PIDS+=("$STARTED_PID"); return 1; }
  done
  timeout -k 5 "$START_TIMEOUT" redis-cli --cluster create "${CLUSTER_NODES[@]}" \
    --cluster-replicas 0 --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 || return 1
  for p in "${CLUSTER_PORTS[@]}"; do redis_answers "$p" cluster_state:ok cluster info || return 1; done
}
if [ "$WANT_CLUSTER" = 1 ] && [ "$START_FAILED" = 0 ]; then
  mapfile -t CLUSTER_PORTS < <(free_cluster_ports 3)
  CLUSTER_NODES=("${CLUSTER_PORTS[@]/#/127.0.0.1:}")
  if start_cluster; then
    echo "cluster: redis-server pids ${CLUSTER_PIDS[*]} on ${CLUSTER_NODES[*]}, mxtrap-cluster's state"
    seeds=$(printf '"%s",' "${CLUSTER_NODES[@]}")
    start_mxtrap mxtrap-cluster "$P_CLUSTER_MX" "$P_CLUSTER_ADMIN" \
      "state: { store: redis, redis: { cluster: [${seeds%,}] } }"
    CLUSTER_MX_PID=$STARTED_PID
  else
    echo "cluster: FAILED: the Redis Cluster on ${CLUSTER_NODES[*]} did not come up; see $CLUSTER_DIR" >&2
    START_FAILED=1
  fi
fi

if [ "$START_FAILED" = 1 ]; then
  echo "throughput.sh: a server failed to start; no measurements taken" >&2
  exit 3
fi

# ---- the runs ------------------------------------------------------------------------------------
ORDER=()
[ "$WANT_MXTRAP" = 1 ] && ORDER+=(mxtrap)
[ "$WANT_NOMETRICS" = 1 ] && ORDER+=(nometrics)
[ "$WANT_RELAY" = 1 ] && ORDER+=(relay)
[ "$WANT_REDIS" = 1 ] && ORDER+=(redis)
[ "$WANT_CLUSTER" = 1 ] && ORDER+=(cluster)
[ "$WANT_POSTFIX" = 1 ] && ORDER+=(postfix)
[ "$WANT_SINK" = 1 ] && ORDER+=(sink)
[ "${#ORDER[@]}" -gt 0 ] || { echo "throughput.sh: no server selected" >&2; exit 2; }

port_of() {
  case "$1" in
    mxtrap) echo "$P_MXTRAP" ;; nometrics) echo "$P_NOMETRICS" ;; relay) echo "$P_RELAY" ;; redis) echo "$P_REDIS_MX" ;;
    cluster) echo "$P_CLUSTER_MX" ;; postfix) echo "$P_POSTFIX" ;; sink) echo "$P_SINK" ;;
  esac
}

echo
echo "Commands (one per cell; wall time measured around each):"
for name in "${ORDER[@]}"; do
  for s in $SESSIONS; do echo "  $name: $(source_cmd "$(port_of "$name")" "$s" "$MESSAGES")"; done
done
echo

FAILED=0
SENT_POSTFIX=0 SENT_RELAY=0
declare -A RESULT
if [ "$WARMUP" -gt 0 ]; then
  echo "Warm-up (not measured): $WARMUP messages at $WARMUP_SESSIONS sessions per server"
  for name in "${ORDER[@]}"; do
    if run_load "$name" "$(port_of "$name")" "$WARMUP_SESSIONS" "$WARMUP"; then
      echo "  $name: ${SECS}s, $RATE msgs/s"
      [ "$name" = postfix ] && SENT_POSTFIX=$((SENT_POSTFIX + WARMUP))
      [ "$name" = relay ] && SENT_RELAY=$((SENT_RELAY + WARMUP))
    else
      FAILED=1
    fi
    [ "$name" = postfix ] && postfix_drain
    sleep "$PAUSE"
  done
  echo
fi

# The JIT work of mxtrap's JVM so far, "COMPILED SECONDS", from jstat -compiler (JDK tool next to
# the java that runs mxtrap); empty when jstat is missing or cannot attach.
mxtrap_jit() {
  local jstat
  [ "$WANT_MXTRAP" = 1 ] || return 0
  jstat="$(dirname "$(readlink -f "/proc/$MXTRAP_PID/exe" 2>/dev/null || echo /nonexistent)")/jstat"
  [ -x "$jstat" ] || return 0
  timeout 20 "$jstat" -compiler "$MXTRAP_PID" 2>/dev/null | awk 'NR == 2 { print $1, $4 }'
}
JIT_BEFORE=$(mxtrap_jit)

echo "Measured runs:"
for s in $SESSIONS; do
  for name in "${ORDER[@]}"; do
    rates=()
    for ((r = 1; r <= REPEAT; r++)); do
      if run_load "$name" "$(port_of "$name")" "$s" "$MESSAGES"; then
        rates+=("$RATE")
        echo "  $name s=$s m=$MESSAGES run $r: ${SECS}s, $RATE msgs/s${CPU_PER_MSG:+, $CPU_PER_MSG ms of mxtrap CPU per msg}"
        [ "$name" = postfix ] && SENT_POSTFIX=$((SENT_POSTFIX + MESSAGES))
        [ "$name" = relay ] && SENT_RELAY=$((SENT_RELAY + MESSAGES))
      else
        FAILED=1
      fi
      # Let Postfix deliver (discard) the backlog so it does not eat into the next run.
      [ "$name" = postfix ] && postfix_drain
      sleep "$PAUSE"
    done
    if [ "${#rates[@]}" = "$REPEAT" ]; then RESULT[$name,$s]=$(median "${rates[@]}"); else RESULT[$name,$s]=FAILED; fi
  done
done

JIT_AFTER=$(mxtrap_jit)

# ---- the table -----------------------------------------------------------------------------------
cell() { local v=${RESULT[$1,$2]:-}; [ -n "$v" ] && echo "$v" || echo "-"; }
echo
echo "Throughput, messages/second ($MESSAGES msgs of $SIZE bytes per run; higher is better):"
printf '%8s  %12s  %16s  %12s  %12s  %12s  %14s  %12s  %14s  %12s\n' sessions mxtrap \
  mxtrap-nometrics metrics-cost mxtrap-relay mxtrap-redis mxtrap-cluster postfix mxtrap/postfix smtp-sink
for s in $SESSIONS; do
  mx=$(cell mxtrap "$s") nm=$(cell nometrics "$s") rl=$(cell relay "$s") rd=$(cell redis "$s")
  cl=$(cell cluster "$s") pf=$(cell postfix "$s") sk=$(cell sink "$s")
  ratio=$(awk -v a="$mx" -v b="$pf" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
  # What the metrics cost: how much slower mxtrap is with them than without, in per cent.
  cost=$(awk -v a="$mx" -v b="$nm" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%+.1f%%", (b - a) / b * 100; else print "-" }')
  printf '%8s  %12s  %16s  %12s  %12s  %12s  %14s  %12s  %14s  %12s\n' "$s" "$mx" "$nm" "$cost" "$rl" "$rd" "$cl" "$pf" "$ratio" "$sk"
done
if [ -n "$JIT_BEFORE" ] && [ -n "$JIT_AFTER" ]; then
  # Compiling takes a core away from serving: a steady-state figure needs little of it here.
  echo "$JIT_BEFORE $JIT_AFTER" | awk '{ printf "mxtrap JIT during the measured runs: %d methods compiled, %.1f s of compile time (jstat -compiler)\n", $3 - $1, $4 - $2 }'
fi

# ---- sanity: did the servers really take the mail? -----------------------------------------------
echo
if [ "$WANT_POSTFIX" = 1 ]; then
  postfix_drain
  sleep 1   # postlogd writes asynchronously
  discarded=$(grep -c 'status=sent' "$PF_LOG" 2>/dev/null || true)
  echo "postfix: ${discarded:-0} deliveries logged ($POSTFIX_DELIVERY) for $SENT_POSTFIX messages accepted"
fi
if [ "$WANT_MXTRAP" = 1 ]; then
  n=$( (find "$MX_DIR/data" -type f -path '*/new/*' 2>/dev/null || true) | wc -l)
  echo "mxtrap:  $n files in Maildir new/ directories under $MX_DIR/data"
  kill -0 "$MXTRAP_PID" 2>/dev/null || { echo "mxtrap: the server died during the benchmark" >&2; FAILED=1; }
fi
if [ "$WANT_NOMETRICS" = 1 ]; then
  n=$( (find "$NOMETRICS_DIR/data" -type f -path '*/new/*' 2>/dev/null || true) | wc -l)
  echo "mxtrap-nometrics: $n files in Maildir new/ directories under $NOMETRICS_DIR/data"
  kill -0 "$NOMETRICS_PID" 2>/dev/null || { echo "mxtrap-nometrics: the server died during the benchmark" >&2; FAILED=1; }
fi
if [ "$WANT_REDIS" = 1 ]; then
  n=$( (find "$REDIS_MX_DIR/data" -type f -path '*/new/*' 2>/dev/null || true) | wc -l)
  keys=$(redis-cli -p "$P_REDIS" dbsize 2>/dev/null || echo "?")
  echo "mxtrap-redis: $n files in Maildir new/ directories under $REDIS_MX_DIR/data; $keys keys in Redis"
  kill -0 "$REDIS_MX_PID" 2>/dev/null || { echo "mxtrap-redis: the server died during the benchmark" >&2; FAILED=1; }
fi
if [ "$WANT_CLUSTER" = 1 ]; then
  n=$( (find "$TMP/mxtrap-cluster/data" -type f -path '*/new/*' 2>/dev/null || true) | wc -l)
  keys=0
  for p in "${CLUSTER_PORTS[@]}"; do keys=$((keys + $(redis-cli -p "$p" dbsize 2>/dev/null || echo 0))); done
  echo "mxtrap-cluster: $n files in Maildir new/ directories under $TMP/mxtrap-cluster/data; $keys keys in the Cluster"
  kill -0 "$CLUSTER_MX_PID" 2>/dev/null || { echo "mxtrap-cluster: the server died during the benchmark" >&2; FAILED=1; }
fi
if [ "$WANT_RELAY" = 1 ]; then
  # Its 250 came once the message was spooled; forwarding may trail the load: wait (bounded)
  # until the queue is empty, then read the relay's message counter (the last "mesg=N" of -c).
  for ((i = 0; i < DRAIN_TIMEOUT * 10; i++)); do
    [ "$( (find "$RELAY_DIR/data/queue/active" -type f 2>/dev/null || true) | wc -l)" = 0 ] && break
    sleep 0.1
  done
  left=$( (find "$RELAY_DIR/data/queue/active" -type f 2>/dev/null || true) | wc -l)
  got=$(tr '\r' '\n' <"$TMP/relay-sink.log" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1)
  sessions=$(tr '\r' '\n' <"$TMP/relay-sink.log" | sed -n 's/.*sess=\([0-9]*\).*/\1/p' | tail -n 1)
  echo "mxtrap-relay: the relay (smtp-sink) received ${got:-0} messages over ${sessions:-0} connections for $SENT_RELAY accepted; $left still queued"
  [ "${got:-0}" = "$SENT_RELAY" ] && [ "$left" = 0 ] ||
    { echo "mxtrap-relay: the relay did not receive every accepted message" >&2; FAILED=1; }
  kill -0 "$RELAY_PID" 2>/dev/null || { echo "mxtrap-relay: the server died during the benchmark" >&2; FAILED=1; }
fi

exit "$FAILED"

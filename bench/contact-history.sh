#!/bin/bash
# The embedded contact history alone: heap bytes per network and the latency of record and
# lastBelow (p50..p99.9, hits and misses) at NETWORKS networks, half IPv4, half IPv6
# (src/test/java/org/mxtrap/state/ContactHistoryBench.java).
# Usage: bench/contact-history.sh [NETWORKS (default 1000000)] [SAMPLES per row (default 200000)]
# In memory only (a 2 GB heap); bounded by its fixed counts, about 10 s after the build at the
# defaults. JAVA_OPTS are passed on to the JVM, e.g. JAVA_OPTS=-XX:+UseCompactObjectHeaders.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
cd "$root"
mxtrap_run_bench_main "-Xms2g -Xmx2g ${JAVA_OPTS:-}" org.mxtrap.state.ContactHistoryBench \
  "${1:-1000000}" "${2:-200000}"

#!/bin/bash
# The suppression store alone: latency of find() on ENTRIES suppressions (IPv4 and IPv6 hosts mixed,
# a few thousand shorter prefixes), and the heap its in-memory index takes per entry
# (src/test/java/org/mxtrap/state/SuppressionLookupBench.java).
# Usage: bench/suppression-lookup.sh [DIR (default /var/tmp)] [ENTRIES (default 1000000)]
# Environment: BENCH_JAVA_OPTS, the JVM's heap options (see below).
# Writes only under a temp dir in DIR, removed at the end; a fixed amount of work (about a minute
# for 1,000,000 entries).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/java-env.sh"
mxtrap_need_maven
cd "$root"
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -B -q test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
# A fixed, pre-touched heap, as a long-running server has: while G1 grows a heap, the kernel
# faults its new pages in, and those stalls (a startup cost, not a lookup cost) would show up in
# the percentiles. Override with BENCH_JAVA_OPTS (e.g. BENCH_JAVA_OPTS= for the JVM's defaults).
# shellcheck disable=SC2086
java ${BENCH_JAVA_OPTS--Xms2g -Xmx2g -XX:+AlwaysPreTouch} --enable-native-access=ALL-UNNAMED \
  -Dmxtrap.log.level=WARN -cp "target/test-classes:target/classes:$(cat "$cp_file")" \
  org.mxtrap.state.SuppressionLookupBench "${1:-/var/tmp}" "${2:-1000000}"

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
mxtrap_need_maven
cd "$root"
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -B -q test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
java -Xms2g -Xmx2g ${JAVA_OPTS:-} -Dmxtrap.log.level=WARN \
  -cp "target/test-classes:target/classes:$(cat "$cp_file")" \
  org.mxtrap.state.ContactHistoryBench "${1:-1000000}" "${2:-200000}"

# Sourced by ./mxtrap and ./run-tests: finds a JDK >= 21 and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME if suitable, else `java` on PATH if suitable, else the newest JDK under
# /usr/lib/jvm. A JDK (with javac) is required because the launcher builds the jar when needed.

mxtrap_java_major() { # $1 = path to a java binary; prints its feature version or nothing
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}

mxtrap_suitable_jdk() { # $1 = a JDK home; true when it has java and javac and is >= 21
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  v=$(mxtrap_java_major "$1/bin/java")
  [ -n "$v" ] && [ "$v" -ge 21 ]
}

mxtrap_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && mxtrap_suitable_jdk "$JAVA_HOME"; then
    echo "$JAVA_HOME"; return 0
  fi
  if command -v java >/dev/null 2>&1; then
    home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    if mxtrap_suitable_jdk "$home"; then echo "$home"; return 0; fi
  fi
  best="" bestv=0
  for d in /usr/lib/jvm/*; do
    [ -d "$d" ] || continue
    if mxtrap_suitable_jdk "$d"; then
      v=$(mxtrap_java_major "$d/bin/java")
      if [ "$v" -gt "$bestv" ]; then best=$d bestv=$v; fi
    fi
  done
  [ -n "$best" ] && echo "$best"
}

MXTRAP_JDK=$(mxtrap_find_jdk) || true
if [ -z "$MXTRAP_JDK" ]; then
  echo "mxtrap needs a JDK 21 or newer (java and javac); none found in JAVA_HOME, on PATH or under /usr/lib/jvm." >&2
  echo "Install one, e.g. Temurin 21+ (apt-get install temurin-21-jdk from the Adoptium repository)" >&2
  echo "or openjdk-21-jdk where your distribution has it, or point JAVA_HOME at one." >&2
  exit 1
fi
export JAVA_HOME="$MXTRAP_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
# Maven's own Guava warns about sun.misc.Unsafe on JDK 23+; the flag below only exists there.
if [ "$(mxtrap_java_major "$JAVA_HOME/bin/java")" -ge 23 ]; then
  case " ${MAVEN_OPTS:-} " in *sun-misc-unsafe*) ;; *)
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
  esac
fi

mxtrap_need_maven() {
  if ! command -v mvn >/dev/null 2>&1; then
    echo "mxtrap builds with Apache Maven, which is not installed: apt-get install maven" >&2
    exit 1
  fi
}

# Runs a benchmark program from the test classes: builds them, then runs java with the test
# classpath. Usage: mxtrap_run_bench_main "JVM OPTIONS" MAIN_CLASS [ARGS...]; run from the root.
mxtrap_run_bench_main() {
  mxtrap_need_maven
  local opts=$1 main=$2 cp_file
  shift 2
  cp_file=$(mktemp)
  mvn -B -q test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
  local cp
  cp="target/test-classes:target/classes:$(cat "$cp_file")"
  rm -f "$cp_file"
  # shellcheck disable=SC2086 # opts is a list of options
  java $opts -Dmxtrap.log.level=WARN -cp "$cp" "$main" "$@"
}

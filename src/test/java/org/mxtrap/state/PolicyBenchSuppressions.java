package org.mxtrap.state;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * Writes the suppressions {@code bench/policy.sh} loads into {@code mxtrap policy}'s embedded store
 * before it starts: a program, not a test. {@code PolicyBenchSuppressions DATA_DIR N} writes N
 * suppressions into {@code DATA_DIR/state/suppressions.sqlite} with the store's own bulk write,
 * 50,000 rows a transaction. Row {@code i} is the host {@code 11.0.0.0 + i} ({@code
 * org.mxtrap.postfix.PolicyBench} asks for such clients), suppressed as an MX skip from now for a
 * day.
 */
final class PolicyBenchSuppressions {
  private static final int CHUNK = 50_000;

  private PolicyBenchSuppressions() {}

  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args[0]);
    int n = Integer.parseInt(args[1]);
    Instant now = Instant.now();
    long start = System.nanoTime();
    try (SqliteSuppressionStore store =
        SqliteSuppressionStore.open(dataDir.resolve("state/suppressions.sqlite"))) {
      for (int from = 0; from < n; from += CHUNK) {
        List<Suppression> rows = new ArrayList<>();
        for (int i = from; i < Math.min(n, from + CHUNK); i++) {
          rows.add(
              new Suppression(
                  Cidr.of(host(i), 32), now, now.plus(Duration.ofDays(1)), "mx-skip", 1, "bench"));
        }
        store.putAll(rows);
      }
    }
    System.out.printf("%d suppressions written in %.1f s%n", n, (System.nanoTime() - start) / 1e9);
  }

  private static InetAddress host(int i) {
    long a = 0x0B00_0000L + i;
    return Addresses.byAddress(
        new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
  }
}

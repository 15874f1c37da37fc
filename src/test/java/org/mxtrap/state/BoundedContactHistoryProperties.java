package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * Without capacity pressure the history answers as a plain map from {@link Cidr} network to the
 * latest whole second per preference would: any prefixes, IPv4, IPv6 and IPv4-mapped clients,
 * contacts out of time order, prunes in between.
 */
class BoundedContactHistoryProperties {
  private static final Duration WINDOW = Duration.ofDays(1);
  private static final int[] LAYOUT = {10, 20, 30, 40};
  private static final long T = Instant.parse("2025-06-03T10:00:00Z").getEpochSecond();

  sealed interface Op {}

  record Record(InetAddress client, int preference, Instant at) implements Op {}

  record Prune(Instant before) implements Op {}

  @Property(tries = 300)
  void answersLikeAMapOfNetworks(
      @ForAll @IntRange(max = 32) int prefixV4,
      @ForAll @IntRange(max = 128) int prefixV6,
      @ForAll("operations") List<Op> ops) {
    var history = new BoundedContactHistory(prefixV4, prefixV6, 10_000, WINDOW, LAYOUT);
    Map<Cidr, Map<Integer, Long>> model = new HashMap<>();
    List<InetAddress> clients = new ArrayList<>();
    for (Op op : ops) {
      switch (op) {
        case Record r -> {
          history.record(r.client(), r.preference(), r.at());
          model
              .computeIfAbsent(network(r.client(), prefixV4, prefixV6), k -> new TreeMap<>())
              .merge(r.preference(), r.at().getEpochSecond(), Math::max);
          clients.add(r.client());
        }
        case Prune p -> {
          int dropped = history.prune(p.before());
          int before = model.size();
          model
              .values()
              .removeIf(times -> Collections.max(times.values()) < p.before().getEpochSecond());
          assertThat(dropped).isEqualTo(before - model.size());
        }
      }
    }

    assertThat(history.size()).isEqualTo(model.size());
    assertThat(history.evictions()).isZero();
    for (InetAddress client : clients) {
      Map<Integer, Long> times = model.getOrDefault(network(client, prefixV4, prefixV6), Map.of());
      Map<Integer, Instant> expected = new TreeMap<>();
      times.forEach((p, s) -> expected.put(p, Instant.ofEpochSecond(s)));
      assertThat(history.contacts(client)).isEqualTo(expected);
      for (int preference = 5; preference <= 45; preference += 5) {
        for (long since = T - 1; since <= T + 101; since += 17) {
          int below = preference;
          Optional<Instant> last =
              times.entrySet().stream()
                  .filter(e -> e.getKey() < below)
                  .map(Map.Entry::getValue)
                  .max(Long::compare)
                  .map(Instant::ofEpochSecond);
          long from = since;
          assertThat(history.lastBelow(client, preference, Instant.ofEpochSecond(since, 500)))
              .as("lastBelow(%s, %d, %d)", client, preference, since)
              .isEqualTo(last.filter(t -> t.getEpochSecond() >= from));
        }
      }
    }
  }

  /** The model's idea of a network: {@link Cidr#of}, which unmaps IPv4-mapped addresses. */
  private static Cidr network(InetAddress client, int prefixV4, int prefixV6) {
    boolean v4 = Addresses.unmap(client) instanceof Inet4Address;
    return Cidr.of(client, v4 ? prefixV4 : prefixV6);
  }

  @Provide
  Arbitrary<List<Op>> operations() {
    Arbitrary<Op> record =
        Combinators.combine(
                clients(),
                Arbitraries.of(10, 20, 30, 40),
                Arbitraries.longs().between(0, 100),
                Arbitraries.integers().between(0, 999))
            .as((c, p, s, ms) -> new Record(c, p, Instant.ofEpochSecond(T + s).plusMillis(ms)));
    Arbitrary<Op> prune =
        Arbitraries.longs()
            .between(0, 100)
            .map(s -> new Prune(Instant.ofEpochSecond(T + s).plusMillis(500)));
    return Arbitraries.frequencyOf(Tuple.of(9, record), Tuple.of(1, prune)).list().ofMaxSize(40);
  }

  /**
   * Addresses near one of a few bases, differing in their last 0..width bits, so that short and
   * long prefixes both see networks shared and apart.
   */
  private static Arbitrary<InetAddress> clients() {
    Arbitrary<InetAddress> v4 =
        Combinators.combine(Arbitraries.integers().between(0, 32), Arbitraries.longs())
            .as((bits, r) -> v4(0xc0000200L ^ (r & lowBits(bits))));
    Arbitrary<InetAddress> mapped = v4.map(BoundedContactHistoryProperties::mapped);
    Arbitrary<InetAddress> v6 =
        Combinators.combine(
                Arbitraries.of(0x20010db800000000L, 0L),
                Arbitraries.integers().between(0, 128),
                Arbitraries.longs(),
                Arbitraries.longs())
            .as(
                (base, bits, r1, r2) -> {
                  // 2001:db8::, or ::ffff:192.0.2.0 whose neighbours are IPv6, not mapped
                  long low = (base == 0 ? 0xffffc0000200L : 0) ^ (r2 & lowBits(bits));
                  long high = base ^ (r1 & lowBits(bits - 64));
                  return v6(ByteBuffer.allocate(16).putLong(high).putLong(low).array());
                });
    return Arbitraries.oneOf(v4, mapped, v6);
  }

  /** A long with its last {@code n} bits set (none for {@code n <= 0}). */
  private static long lowBits(int n) {
    return n <= 0 ? 0 : n >= 64 ? -1L : (1L << n) - 1;
  }

  private static InetAddress v4(long bits) {
    return Addresses.byAddress(ByteBuffer.allocate(4).putInt((int) bits).array());
  }

  /** {@code ::ffff:a.b.c.d} kept as IPv6. */
  private static InetAddress mapped(InetAddress v4) {
    byte[] b = new byte[16];
    b[10] = (byte) 0xff;
    b[11] = (byte) 0xff;
    System.arraycopy(v4.getAddress(), 0, b, 12, 4);
    return v6(b);
  }

  /** An IPv6 address, even an IPv4-mapped one (InetAddress.getByAddress would give IPv4). */
  private static InetAddress v6(byte[] b) {
    try {
      return Inet6Address.getByAddress(null, b, -1);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}

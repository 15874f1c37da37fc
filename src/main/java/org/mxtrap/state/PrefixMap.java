package org.mxtrap.state;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;

/**
 * Values by IP prefix, found by the addresses they cover. One hash map per address family and
 * prefix length, keyed by the network bits (a {@code long} for IPv4, two for IPv6), so an address
 * is looked up once per prefix length that holds entries: a store of host entries ({@code /32},
 * {@code /128}) with a few shorter prefixes costs a few hash lookups, whatever its size. An
 * IPv4-mapped IPv6 address is looked up as the IPv4 address it carries, as {@link Cidr} does.
 *
 * <p>Reads never wait and see each put or remove as a whole once it has returned; writes are
 * serialised among themselves.
 */
public final class PrefixMap<V> {
  private static final int[] NONE = {};

  private final List<ConcurrentHashMap<Long, V>> v4 = maps(32);
  private final List<ConcurrentHashMap<V6, V>> v6 = maps(128);
  // The lengths whose maps are not empty, longest first: what a lookup visits.
  private volatile int[] v4Lengths = NONE;
  private volatile int[] v6Lengths = NONE;

  /** The network bits of an IPv6 prefix or address, most significant first. */
  private record V6(long high, long low) {}

  private static <K, T> List<ConcurrentHashMap<K, T>> maps(int bits) {
    return IntStream.rangeClosed(0, bits).mapToObj(i -> new ConcurrentHashMap<K, T>()).toList();
  }

  public @Nullable V get(Cidr prefix) {
    byte[] a = prefix.network().getAddress();
    return a.length == 4
        ? v4.get(prefix.length()).get(v4Key(a, prefix.length()))
        : v6.get(prefix.length()).get(v6Key(a, prefix.length()));
  }

  public synchronized void put(Cidr prefix, V value) {
    byte[] a = prefix.network().getAddress();
    int length = prefix.length();
    if (a.length == 4) {
      ConcurrentHashMap<Long, V> m = v4.get(length);
      boolean first = m.isEmpty();
      m.put(v4Key(a, length), value);
      if (first) {
        v4Lengths = present(v4);
      }
    } else {
      ConcurrentHashMap<V6, V> m = v6.get(length);
      boolean first = m.isEmpty();
      m.put(v6Key(a, length), value);
      if (first) {
        v6Lengths = present(v6);
      }
    }
  }

  public synchronized @Nullable V remove(Cidr prefix) {
    byte[] a = prefix.network().getAddress();
    int length = prefix.length();
    V old;
    if (a.length == 4) {
      ConcurrentHashMap<Long, V> m = v4.get(length);
      old = m.remove(v4Key(a, length));
      if (m.isEmpty()) {
        v4Lengths = present(v4);
      }
    } else {
      ConcurrentHashMap<V6, V> m = v6.get(length);
      old = m.remove(v6Key(a, length));
      if (m.isEmpty()) {
        v6Lengths = present(v6);
      }
    }
    return old;
  }

  /** The values whose prefixes contain {@code address}, longest prefix first. */
  public List<V> covering(InetAddress address) {
    byte[] a = address.getAddress();
    List<V> found = List.of();
    if (a.length == 4 || isV4Mapped(a)) {
      long bits = a.length == 4 ? v4Bits(a, 0) : v4Bits(a, 12);
      for (int length : v4Lengths) {
        V v = v4.get(length).get(bits & v4Mask(length));
        if (v != null) {
          found = add(found, v);
        }
      }
    } else {
      long high = longAt(a, 0);
      long low = longAt(a, 8);
      for (int length : v6Lengths) {
        V v = v6.get(length).get(new V6(high & mask64(length), low & mask64(length - 64)));
        if (v != null) {
          found = add(found, v);
        }
      }
    }
    return found;
  }

  /** Every value, in no particular order; weakly consistent with concurrent writes. */
  public Stream<V> values() {
    return Stream.concat(v4.stream(), v6.stream()).flatMap(m -> m.values().stream());
  }

  private static <V> List<V> add(List<V> found, V v) {
    List<V> l = found.isEmpty() ? new ArrayList<>(2) : found;
    l.add(v);
    return l;
  }

  /** Recomputed only when a length gains its first entry or loses its last. */
  private static int[] present(List<? extends ConcurrentHashMap<?, ?>> maps) {
    return IntStream.iterate(maps.size() - 1, i -> i >= 0, i -> i - 1)
        .filter(i -> !maps.get(i).isEmpty())
        .toArray();
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static long v4Key(byte[] a, int length) {
    return v4Bits(a, 0) & v4Mask(length);
  }

  private static V6 v6Key(byte[] a, int length) {
    return new V6(longAt(a, 0) & mask64(length), longAt(a, 8) & mask64(length - 64));
  }

  private static long v4Bits(byte[] a, int from) {
    return ((a[from] & 0xffL) << 24)
        | ((a[from + 1] & 0xffL) << 16)
        | ((a[from + 2] & 0xffL) << 8)
        | (a[from + 3] & 0xffL);
  }

  private static long v4Mask(int length) {
    return length == 0 ? 0 : (0xffff_ffffL << (32 - length)) & 0xffff_ffffL;
  }

  /** The top {@code bits} bits of a long set: none for {@code bits <= 0}, all from 64 on. */
  private static long mask64(int bits) {
    return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
  }

  private static long longAt(byte[] a, int from) {
    long l = 0;
    for (int i = from; i < from + 8; i++) {
      l = (l << 8) | (a[i] & 0xffL);
    }
    return l;
  }
}

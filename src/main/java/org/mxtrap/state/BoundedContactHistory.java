package org.mxtrap.state;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link ContactHistory}: in memory, bounded, lost on restart.
 *
 * <p><b>Networks.</b> A client address is masked to {@code /excusePrefixV4} or {@code
 * /excusePrefixV6} (an IPv4-mapped IPv6 address counts as the IPv4 address it carries) and kept as
 * an {@code int} (IPv4) or two {@code long}s (IPv6), never as an {@link InetAddress}. The key is
 * mixed with a random value drawn per instance, so a client that chooses its own addresses (any
 * holder of an IPv6 /64 when the prefix is 128) cannot aim them at one hash bucket or shard.
 *
 * <p><b>Times.</b> Each network has one {@code int[]} with a slot per distinct preference of the
 * layout, in ascending order of preference. A slot holds the last contact at that preference in
 * whole seconds since 1970-01-01T00:00:00Z, read as unsigned (so up to 2106), 0 for none. A later
 * contact replaces an earlier one, an earlier one is ignored. Since times are kept to the second
 * (truncated), {@code since} and the start of the window are compared at that resolution, in the
 * client's favour: a contact within the same second as {@code since} counts even if it came a
 * fraction earlier, and {@link #maintain} keeps it.
 *
 * <p><b>Capacity and eviction.</b> The networks are spread by hash over shards (one per 16,384
 * networks of capacity, at most 64), each a {@link LinkedHashMap} in the order its networks were
 * last recorded, under a lock of its own. A shard holds its share of the capacity (together exactly
 * {@code capacity}); when a {@link #record} of a new network takes it past its share, it drops the
 * network it recorded least recently: the one whose last contact (at any preference) is oldest, as
 * far as calls come in the order of their {@code at} times. With one shard that is exact LRU; with
 * several, evictions begin when the first shard is full, somewhat short of {@code capacity} (a
 * million distinct networks recorded into a capacity of a million leave 99.6 % of them held).
 * Evictions are counted and reported as a WARNING on the logger {@code policy} at most once per
 * minute of {@code at} time, since a sender evicted within the trap window is trapped if it then
 * falls back to a trap.
 *
 * <p><b>Cost</b> (measured by {@code bench/contact-history.sh}; 64-bit JVM with compressed
 * references, 12-byte object headers): a million networks, half of each family, take 104 MB. That
 * is 96 bytes per IPv4 network and 112 per IPv6 network with up to 4 preferences: the map entry 40,
 * the key 16 or 32, the times 32 (each 2 more preferences add 8), the map's table about 8. {@link
 * #record} and {@link #lastBelow} take about a microsecond at a million networks (p99 under 3 µs);
 * {@link #maintain} scans every network, about 0.2 s per million, holding each shard's lock for its
 * part (a few ms), so run it every few minutes, not per connection.
 *
 * <p>Thread-safe. Time comes only from the {@code at}, {@code since} and {@code now} arguments.
 */
public final class BoundedContactHistory implements ContactHistory {
  private static final Logger log = LoggerFactory.getLogger("policy");
  private static final int SHARD_SIZE = 16_384;
  private static final int MAX_SHARDS = 64;
  private static final long WARNING_INTERVAL_SECONDS = 60;

  private final int excusePrefixV4;
  private final int excusePrefixV6;
  private final int capacity;
  private final Duration window;
  private final int[] preferences;
  private final Shard[] shards;
  private final long hashKey = new SplittableRandom().nextLong();
  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong nextWarning = new AtomicLong(Long.MIN_VALUE);

  /**
   * @param excusePrefixV4 the IPv4 network length a contact excuses, 0..32
   * @param excusePrefixV6 the IPv6 network length a contact excuses, 0..128
   * @param capacity the most networks held, at least 1
   * @param window how long a contact excuses ({@code trap.window}): {@link #maintain} drops the
   *     networks last seen longer ago, positive
   * @param preferences the layout's MX preferences (0..65535; duplicates are merged): {@link
   *     #record} accepts only these
   */
  public BoundedContactHistory(
      int excusePrefixV4, int excusePrefixV6, int capacity, Duration window, int... preferences) {
    if (excusePrefixV4 < 0 || excusePrefixV4 > 32) {
      throw new IllegalArgumentException(
          "IPv4 excuse prefix out of range 0..32: " + excusePrefixV4);
    }
    if (excusePrefixV6 < 0 || excusePrefixV6 > 128) {
      throw new IllegalArgumentException(
          "IPv6 excuse prefix out of range 0..128: " + excusePrefixV6);
    }
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
    int[] p = Arrays.stream(preferences).sorted().distinct().toArray();
    if (p.length == 0 || p[0] < 0 || p[p.length - 1] > 65535) {
      throw new IllegalArgumentException(
          "preferences must be 1 or more of 0..65535: " + Arrays.toString(preferences));
    }
    this.excusePrefixV4 = excusePrefixV4;
    this.excusePrefixV6 = excusePrefixV6;
    this.capacity = capacity;
    this.window = window;
    this.preferences = p;
    int n = Math.max(1, Math.min(MAX_SHARDS, capacity / SHARD_SIZE));
    shards = new Shard[n];
    for (int i = 0; i < n; i++) {
      shards[i] = new Shard(capacity / n + (i < capacity % n ? 1 : 0));
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when {@code preference} is not one of the layout's, or {@code
   *     at} is before 1970-01-01T00:00:01Z or after 2106-02-07T06:28:15.999999999Z (what an
   *     unsigned {@code int} of seconds holds, 0 meaning none)
   */
  @Override
  public void record(InetAddress client, int preference, Instant at) {
    int slot = Arrays.binarySearch(preferences, preference);
    if (slot < 0) {
      throw new IllegalArgumentException(
          "preference " + preference + " is not in the layout " + Arrays.toString(preferences));
    }
    long seconds = at.getEpochSecond();
    if (seconds < 1 || seconds > 0xffff_ffffL) {
      throw new IllegalArgumentException("contact time out of range: " + at);
    }
    Network network = network(client);
    Shard shard = shard(network);
    boolean evicted;
    shard.lock.lock();
    try {
      int[] times = shard.networks.remove(network); // put again below: now the newest
      if (times == null) {
        times = new int[preferences.length];
      }
      if (seconds > Integer.toUnsignedLong(times[slot])) {
        times[slot] = (int) seconds;
      }
      shard.networks.put(network, times);
      evicted = shard.networks.size() > shard.capacity;
      if (evicted) {
        shard.networks.pollFirstEntry();
      }
    } finally {
      shard.lock.unlock();
    }
    if (evicted) {
      evicted(seconds);
    }
  }

  @Override
  public Optional<Instant> lastBelow(InetAddress client, int preference, Instant since) {
    int i = Arrays.binarySearch(preferences, preference);
    int lower = i >= 0 ? i : -i - 1; // slots [0, lower) are of strictly lower preference
    int[] times = lower == 0 ? null : times(client);
    if (times == null) {
      return Optional.empty();
    }
    long last = 0;
    for (int s = 0; s < lower; s++) {
      last = Math.max(last, Integer.toUnsignedLong(times[s]));
    }
    return last != 0 && last >= since.getEpochSecond()
        ? Optional.of(Instant.ofEpochSecond(last))
        : Optional.empty();
  }

  /** {@inheritDoc} In ascending order of preference. */
  @Override
  public Map<Integer, Instant> contacts(InetAddress client) {
    int[] times = times(client);
    if (times == null) {
      return Map.of();
    }
    Map<Integer, Instant> byPreference = new LinkedHashMap<>();
    for (int s = 0; s < times.length; s++) {
      if (times[s] != 0) {
        byPreference.put(preferences[s], Instant.ofEpochSecond(Integer.toUnsignedLong(times[s])));
      }
    }
    return Collections.unmodifiableMap(byPreference);
  }

  @Override
  public long evictions() {
    return evictions.get();
  }

  /** {@inheritDoc} A full scan: {@link #prune} with {@code now} minus the window. */
  @Override
  public void maintain(Instant now) {
    prune(now.minus(window));
  }

  /**
   * Drops every network whose last contact (at any preference) is before {@code before}, at the
   * resolution of a second.
   *
   * @return how many networks were dropped
   */
  int prune(Instant before) {
    long limit = before.getEpochSecond();
    int dropped = 0;
    for (Shard shard : shards) {
      shard.lock.lock();
      try {
        var it = shard.networks.values().iterator();
        while (it.hasNext()) {
          if (last(it.next()) < limit) {
            it.remove();
            dropped++;
          }
        }
      } finally {
        shard.lock.unlock();
      }
    }
    return dropped;
  }

  /** How many networks are held now. */
  public int size() {
    int size = 0;
    for (Shard shard : shards) {
      shard.lock.lock();
      try {
        size += shard.networks.size();
      } finally {
        shard.lock.unlock();
      }
    }
    return size;
  }

  /** A copy of the times of {@code client}'s network, or null when it has none. */
  private int @Nullable [] times(InetAddress client) {
    Network network = network(client);
    Shard shard = shard(network);
    shard.lock.lock();
    try {
      int[] times = shard.networks.get(network);
      return times == null ? null : times.clone();
    } finally {
      shard.lock.unlock();
    }
  }

  private static long last(int[] times) {
    long last = 0;
    for (int t : times) {
      last = Math.max(last, Integer.toUnsignedLong(t));
    }
    return last;
  }

  private void evicted(long seconds) {
    long count = evictions.incrementAndGet();
    long next = nextWarning.get();
    if (seconds >= next && nextWarning.compareAndSet(next, seconds + WARNING_INTERVAL_SECONDS)) {
      log.warn(
          "contact history full at its capacity of {} networks: {} evicted since start, the least"
              + " recently seen first; a sender evicted within the trap window is trapped if it"
              + " then falls back to a trap. Raise state.max_contacts",
          capacity,
          count);
    }
  }

  private Network network(InetAddress client) {
    byte[] b = client.getAddress();
    if (b.length == 4 || isMapped(b)) {
      int address = (int) bigEndian(b, b.length - 4, 4);
      int mask = excusePrefixV4 == 0 ? 0 : -1 << (32 - excusePrefixV4);
      return new V4((address & mask) ^ (int) hashKey);
    }
    long high = bigEndian(b, 0, 8) & mask64(excusePrefixV6);
    long low = bigEndian(b, 8, 8) & mask64(excusePrefixV6 - 64);
    return new V6(high ^ hashKey, low ^ Long.rotateLeft(hashKey, 32));
  }

  private Shard shard(Network network) {
    return shards[(int) ((Integer.toUnsignedLong(network.hashCode()) * shards.length) >>> 32)];
  }

  /** {@code ::ffff:a.b.c.d}. */
  private static boolean isMapped(byte[] b) {
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
  }

  private static long bigEndian(byte[] b, int from, int count) {
    long v = 0;
    for (int i = from; i < from + count; i++) {
      v = v << 8 | (b[i] & 0xff);
    }
    return v;
  }

  /** The first {@code bits} bits of a long set, the rest clear; no bits when {@code bits <= 0}. */
  private static long mask64(int bits) {
    return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
  }

  /** Murmur3's 64-bit finalizer: every input bit moves every output bit. */
  private static int mix(long x) {
    x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
    x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return (int) (x ^ (x >>> 33));
  }

  /** A client network, masked and mixed with the instance's hash key. */
  private sealed interface Network permits V4, V6 {}

  private record V4(int bits) implements Network {
    @Override
    public int hashCode() {
      return mix(bits);
    }
  }

  private record V6(long high, long low) implements Network {
    @Override
    public int hashCode() {
      return mix(high * 0x9e3779b97f4a7c15L + low);
    }
  }

  private static final class Shard {
    final ReentrantLock lock = new ReentrantLock();
    final LinkedHashMap<Network, int[]> networks = new LinkedHashMap<>();
    final int capacity;

    Shard(int capacity) {
      this.capacity = capacity;
    }
  }

  /**
   * {@inheritDoc} A shard at a time: its networks are copied under its lock (16,384 at most), then
   * handed out with the lock released.
   */
  @Override
  public void each(Instant since, Consumer<Contact> sink) {
    long limit = since.getEpochSecond();
    for (Shard shard : shards) {
      List<Map.Entry<Network, int[]>> part;
      shard.lock.lock();
      try {
        part =
            shard.networks.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue().clone()))
                .toList();
      } finally {
        shard.lock.unlock();
      }
      for (Map.Entry<Network, int[]> e : part) {
        Cidr network = cidr(e.getKey());
        int[] times = e.getValue();
        for (int slot = 0; slot < times.length; slot++) {
          long seconds = Integer.toUnsignedLong(times[slot]);
          if (seconds != 0 && seconds >= limit) {
            sink.accept(new Contact(network, preferences[slot], Instant.ofEpochSecond(seconds)));
          }
        }
      }
    }
  }

  @Override
  public void restore(Contact contact) {
    Cidr network = contact.network();
    int excuse = network.isV4() ? excusePrefixV4 : excusePrefixV6;
    if (network.length() < excuse) {
      throw new IllegalArgumentException(
          network + " is wider than this host's excuse prefix /" + excuse);
    }
    record(network.network(), contact.preference(), contact.at());
  }

  /** The network {@code key} stands for, the instance's hash key taken out again. */
  private Cidr cidr(Network key) {
    byte[] b =
        switch (key) {
          case V4 v4 -> bytes(Integer.toUnsignedLong(v4.bits() ^ (int) hashKey), 4);
          case V6 v6 -> {
            byte[] high = bytes(v6.high() ^ hashKey, 8);
            byte[] low = bytes(v6.low() ^ Long.rotateLeft(hashKey, 32), 8);
            byte[] all = Arrays.copyOf(high, 16);
            System.arraycopy(low, 0, all, 8, 8);
            yield all;
          }
        };
    return new Cidr(Addresses.byAddress(b), b.length == 4 ? excusePrefixV4 : excusePrefixV6);
  }

  /** The low {@code count} bytes of {@code v}, big-endian. */
  private static byte[] bytes(long v, int count) {
    byte[] b = new byte[count];
    for (int i = count - 1; i >= 0; i--) {
      b[i] = (byte) v;
      v >>>= 8;
    }
    return b;
  }
}

package org.mxtrap.smtp.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;

/**
 * Connection permits of one layout entry: at most {@code max} connections in all and {@code
 * maxPerIp} from one client address (PRODUCT.md, "Overload"). Counting per entry means a flood on a
 * trap never starves the primary. Thread-safe.
 */
final class ConnectionLimits {
  private final int max;
  private final int maxPerIp;
  private final AtomicInteger active = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
  private final AtomicLong turnedAway = new AtomicLong();

  ConnectionLimits(int max, int maxPerIp) {
    this.max = max;
    this.maxPerIp = maxPerIp;
  }

  /** Why a permit was refused. */
  enum Refusal {
    TOTAL,
    PER_IP
  }

  /** Takes a permit for {@code client}; returns null on success, else why it was refused. */
  @Nullable Refusal tryAcquire(InetAddress client) {
    InetAddress key = Addresses.unmap(client);
    if (active.incrementAndGet() > max) {
      active.decrementAndGet();
      turnedAway.incrementAndGet();
      return Refusal.TOTAL;
    }
    AtomicInteger n = perIp.computeIfAbsent(key, k -> new AtomicInteger());
    if (n.incrementAndGet() > maxPerIp) {
      release(key, n);
      turnedAway.incrementAndGet();
      return Refusal.PER_IP;
    }
    return null;
  }

  /** Returns a permit taken by a successful {@link #tryAcquire}. */
  void release(InetAddress client) {
    InetAddress key = Addresses.unmap(client);
    AtomicInteger n = perIp.get(key);
    if (n != null) {
      release(key, n);
    }
  }

  private void release(InetAddress key, AtomicInteger n) {
    active.decrementAndGet();
    if (n.decrementAndGet() <= 0) {
      perIp.computeIfPresent(key, (k, v) -> v.get() <= 0 ? null : v);
    }
  }

  int active() {
    return active.get();
  }

  long turnedAway() {
    return turnedAway.get();
  }
}

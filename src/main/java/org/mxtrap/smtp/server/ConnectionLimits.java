package org.mxtrap.smtp.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;

/**
 * Connection permits of one layout entry: at most {@code max} connections in all and {@code
 * maxPerIp} from one client address (PRODUCT.md, "Overload"). Counting per entry means a flood on a
 * trap never starves the primary. Thread-safe: the per-address count is changed only inside the
 * map's atomic {@code compute}, so concurrent connects and disconnects from one address never lose
 * or invent a permit.
 */
final class ConnectionLimits {
  private final int max;
  // Changed by a reload ({@link #maxPerIp(int)}): connections already counted are never cut.
  private volatile int maxPerIp;
  private final AtomicInteger active = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perIp = new ConcurrentHashMap<>();
  private final AtomicLong turnedAway = new AtomicLong();
  private final AtomicBoolean full = new AtomicBoolean();

  ConnectionLimits(int max, int maxPerIp) {
    this.max = max;
    this.maxPerIp = maxPerIp;
  }

  /**
   * From now on at most {@code n} connections from one address: a lower value refuses the next ones
   * and closes none.
   */
  void maxPerIp(int n) {
    maxPerIp = n;
  }

  /** Why a permit was refused. */
  enum Refusal {
    TOTAL,
    PER_IP
  }

  /** Takes a permit for {@code client}; returns null on success, else why it was refused. */
  @Nullable Refusal tryAcquire(InetAddress client) {
    if (active.incrementAndGet() > max) {
      active.decrementAndGet();
      turnedAway.incrementAndGet();
      return Refusal.TOTAL;
    }
    boolean[] granted = {false};
    perIp.compute(
        Addresses.unmap(client),
        (k, n) -> {
          int count = n == null ? 0 : n;
          if (count >= maxPerIp) {
            return n;
          }
          granted[0] = true;
          return count + 1;
        });
    if (!granted[0]) {
      active.decrementAndGet();
      turnedAway.incrementAndGet();
      return Refusal.PER_IP;
    }
    return null;
  }

  /** Returns a permit taken by a successful {@link #tryAcquire}. */
  void release(InetAddress client) {
    perIp.computeIfPresent(Addresses.unmap(client), (k, n) -> n <= 1 ? null : n - 1);
    active.decrementAndGet();
  }

  /**
   * Marks the entry full after a {@link Refusal#TOTAL}; true only for the call that changed it, so
   * a flood of refusals reports one period.
   */
  boolean markFull() {
    return full.compareAndSet(false, true);
  }

  /** Clears the full mark when there is room again; true only for the call that changed it. */
  boolean clearFullIfRoom() {
    return full.get() && active.get() < max && full.compareAndSet(true, false);
  }

  int active() {
    return active.get();
  }

  long turnedAway() {
    return turnedAway.get();
  }
}

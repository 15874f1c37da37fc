package org.mxtrap.state;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.mxtrap.core.Cidr;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;

/**
 * A {@link SuppressionStore} that tells how long each call to another one took: one {@link
 * Event.StoreCalled} per call (store {@code suppressions}, the method's name as the operation),
 * told after the call returned or threw, on the caller's thread. Otherwise exactly the store it
 * wraps, which it closes.
 */
public final class TimedSuppressionStore implements SuppressionStore {
  private static final String STORE = "suppressions";

  private final SuppressionStore store;
  private final Events events;

  public TimedSuppressionStore(SuppressionStore store, Events events) {
    this.store = store;
    this.events = events;
  }

  /** What {@code call} returns (or throws), told with how long it took. */
  private <T> T timed(String operation, Supplier<T> call) {
    long started = System.nanoTime();
    try {
      return call.get();
    } finally {
      took(operation, started);
    }
  }

  private void took(String operation, long started) {
    events.on(
        new Event.StoreCalled(STORE, operation, Duration.ofNanos(System.nanoTime() - started)));
  }

  @Override
  public Optional<Suppression> find(InetAddress address, Instant now) {
    return timed("find", () -> store.find(address, now));
  }

  @Override
  public Suppression offend(
      Cidr prefix, Instant now, Duration base, Duration max, String reason, String evidence) {
    return timed("offend", () -> store.offend(prefix, now, base, max, reason, evidence));
  }

  @Override
  public Suppression add(
      Cidr prefix, Instant now, Duration duration, String reason, String evidence) {
    return timed("add", () -> store.add(prefix, now, duration, reason, evidence));
  }

  @Override
  public boolean remove(Cidr prefix, Instant now) {
    return timed("remove", () -> store.remove(prefix, now));
  }

  @Override
  public List<Suppression> active(Instant now) {
    return timed("active", () -> store.active(now));
  }

  @Override
  public int count(Instant now) {
    return timed("count", () -> store.count(now));
  }

  @Override
  public List<Suppression> history(InetAddress address) {
    return timed("history", () -> store.history(address));
  }

  @Override
  public void maintain(Instant now) {
    long started = System.nanoTime();
    try {
      store.maintain(now);
    } finally {
      took("maintain", started);
    }
  }

  @Override
  public List<Suppression> stored(Instant now) {
    return timed("stored", () -> store.stored(now));
  }

  @Override
  public Optional<Suppression> restore(Suppression s, Instant now) {
    return timed("restore", () -> store.restore(s, now));
  }

  @Override
  public void close() {
    store.close();
  }
}

package org.mxtrap.state;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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

  private void took(String operation, long started) {
    events.on(
        new Event.StoreCalled(STORE, operation, Duration.ofNanos(System.nanoTime() - started)));
  }

  @Override
  public Optional<Suppression> find(InetAddress address, Instant now) {
    long started = System.nanoTime();
    try {
      return store.find(address, now);
    } finally {
      took("find", started);
    }
  }

  @Override
  public Suppression offend(
      Cidr prefix, Instant now, Duration base, Duration max, String reason, String evidence) {
    long started = System.nanoTime();
    try {
      return store.offend(prefix, now, base, max, reason, evidence);
    } finally {
      took("offend", started);
    }
  }

  @Override
  public Suppression add(
      Cidr prefix, Instant now, Duration duration, String reason, String evidence) {
    long started = System.nanoTime();
    try {
      return store.add(prefix, now, duration, reason, evidence);
    } finally {
      took("add", started);
    }
  }

  @Override
  public boolean remove(Cidr prefix, Instant now) {
    long started = System.nanoTime();
    try {
      return store.remove(prefix, now);
    } finally {
      took("remove", started);
    }
  }

  @Override
  public List<Suppression> active(Instant now) {
    long started = System.nanoTime();
    try {
      return store.active(now);
    } finally {
      took("active", started);
    }
  }

  @Override
  public int count(Instant now) {
    long started = System.nanoTime();
    try {
      return store.count(now);
    } finally {
      took("count", started);
    }
  }

  @Override
  public List<Suppression> history(InetAddress address) {
    long started = System.nanoTime();
    try {
      return store.history(address);
    } finally {
      took("history", started);
    }
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
    long started = System.nanoTime();
    try {
      return store.stored(now);
    } finally {
      took("stored", started);
    }
  }

  @Override
  public Optional<Suppression> restore(Suppression s, Instant now) {
    long started = System.nanoTime();
    try {
      return store.restore(s, now);
    } finally {
      took("restore", started);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}

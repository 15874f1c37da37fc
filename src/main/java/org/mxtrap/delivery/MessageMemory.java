package org.mxtrap.delivery;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The one budget for message content held in memory across all sessions ({@code
 * limits.message_memory}). A session reserves room before it holds more of a message and releases
 * it when the message is delivered, queued or dropped; a session that finds no room writes its
 * message to the spool instead, which costs disk, not heap. So a flood of clients that each send
 * most of a small message and then wait holds at most this much, never the heap.
 *
 * <p>Thread-safe and lock-free.
 */
public final class MessageMemory {
  private final long capacity;
  private final AtomicLong used = new AtomicLong();

  /**
   * @param capacity octets that may be held at once; 0 holds nothing (every message is spooled)
   */
  public MessageMemory(long capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must not be negative");
    }
    this.capacity = capacity;
  }

  /** Reserves {@code octets}; false, reserving nothing, when they do not fit. */
  boolean tryReserve(long octets) {
    while (true) {
      long now = used.get();
      long after = now + octets;
      if (after > capacity || after < 0) {
        return false;
      }
      if (used.compareAndSet(now, after)) {
        return true;
      }
    }
  }

  /** Gives back {@code octets} reserved before. */
  void release(long octets) {
    used.addAndGet(-octets);
  }

  /** Octets reserved now. */
  public long used() {
    return used.get();
  }
}

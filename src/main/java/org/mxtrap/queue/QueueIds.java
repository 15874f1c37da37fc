package org.mxtrap.queue;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Queue IDs in the spirit of Postfix's long queue IDs: the arrival time leads, so IDs sort in
 * arrival order, and they are safe in file names and URLs.
 *
 * <p>Format: 13 characters of Crockford base32 ({@code 0-9 A-Z} without {@code I L O U}) encoding
 * the 64-bit value {@code epochMillis << 20 | sequence}. The sequence counts IDs issued within one
 * millisecond; when it overflows, or the clock steps back, the value simply keeps increasing, so
 * IDs are unique and strictly increasing within a process. After a restart {@link #floor} raises
 * the generator above every ID found in the spool, so a clock that went backwards cannot repeat
 * one. Example: {@code 01JXQ3M5T8000} (the last characters are the sequence).
 */
final class QueueIds {
  static final int LENGTH = 13;
  private static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  private static final int SEQUENCE_BITS = 20;

  private final Clock clock;
  private final AtomicLong last = new AtomicLong();

  QueueIds(Clock clock) {
    this.clock = clock;
  }

  String next() {
    long fromClock = clock.millis() << SEQUENCE_BITS;
    return encode(last.updateAndGet(prev -> Math.max(prev + 1, fromClock)));
  }

  /** Ensures every later ID sorts after {@code id}. */
  void floor(String id) {
    long v = decode(id);
    last.updateAndGet(prev -> Math.max(prev, v));
  }

  /** True for exactly the strings {@link #next()} can return; guards paths built from IDs. */
  static boolean isValid(String id) {
    if (id.length() != LENGTH) {
      return false;
    }
    for (int i = 0; i < LENGTH; i++) {
      if (ALPHABET.indexOf(id.charAt(i)) < 0) {
        return false;
      }
    }
    return ALPHABET.indexOf(id.charAt(0)) < 16; // 13 * 5 = 65 bits; the top bit is always 0
  }

  static String encode(long v) {
    char[] c = new char[LENGTH];
    for (int i = LENGTH - 1; i >= 0; i--) {
      c[i] = ALPHABET.charAt((int) (v & 31));
      v >>>= 5;
    }
    return new String(c);
  }

  static long decode(String id) {
    if (!isValid(id)) {
      throw new IllegalArgumentException("not a queue id: " + id);
    }
    long v = 0;
    for (int i = 0; i < LENGTH; i++) {
      v = (v << 5) | ALPHABET.indexOf(id.charAt(i));
    }
    return v;
  }
}

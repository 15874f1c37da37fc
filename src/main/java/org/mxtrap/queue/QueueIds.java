package org.mxtrap.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Queue IDs in the spirit of Postfix's long queue IDs: the arrival time leads, so IDs sort in
 * arrival order, and they are safe in file names and URLs.
 *
 * <p>Format: 13 characters of Crockford base32 ({@code 0-9 A-Z} without {@code I L O U}) encoding
 * the 64-bit value {@code epochMillis << 20 | sequence}. The sequence counts IDs issued within one
 * millisecond; when it overflows, or the clock steps back, the value simply keeps increasing, so
 * IDs are unique and strictly increasing within a process. Example: {@code 01JXQ3M5T8000} (the last
 * characters are the sequence).
 *
 * <h2>Never issued twice, across restarts too</h2>
 *
 * A Maildir copy is named after its queue ID ({@code delivery.MaildirDelivery}), so that a delivery
 * repeated after a crash finds the copy instead of writing a second one; an ID issued again for
 * another message would make that message look delivered. The IDs still in the spool are not enough
 * to prevent it ({@link #floor} raises the generator above them): a message delivered and removed
 * leaves no trace in the spool, and after a restart with a clock that went back (an NTP step, a
 * restored virtual machine) its ID could come again. So the spool keeps a reservation in {@code
 * queue/ids}, one line holding an ID above every ID issued so far:
 *
 * <pre>
 * 01JXQ3M5T8000
 * </pre>
 *
 * An ID is handed out only while it is below the reservation. The call that reaches it first writes
 * a new one, {@link #LEASE} ahead of the clock, durably (a temporary file fsynced, renamed over the
 * old one, the directory fsynced): under steady load one small write every {@code LEASE}, on the
 * thread that asked for the ID. At start {@link #restore} raises the generator to the reservation,
 * so after a restart IDs continue above everything issued before, even if for up to one lease they
 * lead the clock.
 *
 * <p>Thread-safe.
 */
final class QueueIds {
  static final int LENGTH = 13;

  /** How far ahead of the clock a reservation reaches: how often it is written at most. */
  static final Duration LEASE = Duration.ofSeconds(10);

  private static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  private static final int SEQUENCE_BITS = 20;

  private final Clock clock;
  private final Path file;
  private final AtomicLong last = new AtomicLong();
  private final ReentrantLock reserving = new ReentrantLock();
  // Every ID below this value may be handed out; it is on disk (or below what is).
  private volatile long reserved;

  /**
   * @param file the reservation, {@code queue/ids}
   */
  QueueIds(Clock clock, Path file) {
    this.clock = clock;
    this.file = file;
  }

  /**
   * Raises the generator above the reservation that earlier processes left, if any. Call before the
   * first {@link #next()}.
   *
   * @throws IOException if the reservation cannot be read or does not hold an ID: issuing IDs
   *     without it could repeat one, so the spool does not open
   */
  void restore() throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (NoSuchFileException e) {
      return; // a new spool
    }
    if (!isValid(text)) {
      throw new IOException(file + " does not hold a queue ID: " + text);
    }
    floor(text);
  }

  /**
   * A new ID, above every ID issued before by this spool.
   *
   * @throws IOException if a new reservation was due and could not be written
   */
  String next() throws IOException {
    long fromClock = clock.millis() << SEQUENCE_BITS;
    long v = last.updateAndGet(prev -> Math.max(prev + 1, fromClock));
    if (v >= reserved) {
      reserve(v);
    }
    return encode(v);
  }

  private void reserve(long v) throws IOException {
    reserving.lock();
    try {
      if (v < reserved) {
        return; // another thread reserved past v meanwhile
      }
      long ahead = (clock.millis() + LEASE.toMillis()) << SEQUENCE_BITS;
      long r = Math.max(v + 1, ahead);
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap((encode(r) + "\n").getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      Directories.sync(Objects.requireNonNull(file.getParent()));
      reserved = r;
    } finally {
      reserving.unlock();
    }
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

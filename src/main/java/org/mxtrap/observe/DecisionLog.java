package org.mxtrap.observe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code DATA_DIR/log/decisions.jsonl}: one JSON object per line and per decision (PRODUCT.md):
 *
 * <pre>
 * {"ts":"2026-11-26T22:00:00.123Z","client":"192.0.2.7","local":"192.0.2.30:25","preference":30,
 *  "role":"trap","verdict":"mx-skip","action":"tempfail","reason":"...","until":"2026-11-27T22:00:00Z"}
 * </pre>
 *
 * ({@code until} only when the decision suppresses or found the client suppressed; one line in the
 * file.) {@code ts} is the contact's time. When the client's reverse name was looked up and
 * forward-confirmed, {@code "ptr":"mail.example.net"} follows {@code client}; an unverified or
 * missing name leaves the field out. A client that a trusted relay named (XCLIENT, or the Received
 * header the relay added) has {@code "relay":"198.51.100.5"} after {@code client} (or {@code ptr}):
 * the decision is about the client, the connection was the relay's.
 *
 * <p>Rotation: when the file passes {@code rotateBytes} it is renamed to {@code .1} (older ones
 * shift up to {@code .keep}) and a new one is started. External rotation works too: when the file
 * was moved or deleted (logrotate without {@code copytruncate}), the next write, at most a second
 * later, notices and reopens the path. Lines are written whole and not fsynced: the log explains,
 * the suppression store decides.
 *
 * <p>Writes: a line is written at once, by the caller, unless it comes in a burst: the last {@link
 * #BURST} lines each within {@link #BUSY} of the one before. Lines of a burst are gathered and
 * written together by a timer within {@link #GATHER} (or at once when {@link #GATHER_BYTES} wait):
 * at tens of thousands of decisions a second (the Postfix policy service) a write call per line was
 * a fifth of a request's CPU. A process that dies loses at most those milliseconds of lines; {@link
 * #close} writes what waits.
 *
 * <p>A listener of {@link Event.Decided}. Thread-safe.
 */
public final class DecisionLog implements Events, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("policy");

  /** Lines closer together than this, {@link #BURST} of them in a row, make a burst. */
  static final Duration BUSY = Duration.ofMillis(1);

  static final int BURST = 16;

  /** Faster lines wait at most this long for the timer that writes them together. */
  static final Duration GATHER = Duration.ofMillis(5);

  /** Gathered lines are written at once when they reach this many octets. */
  static final int GATHER_BYTES = 64 * 1024;

  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("decision-log").daemon(true).unstarted(r));
  private final List<byte[]> gathered = new ArrayList<>();
  private int gatheredBytes;
  private boolean timerSet;
  private long lastLineNanos;
  private int quick;

  private final Path file;
  private final long rotateBytes;
  private final int keep;
  private @Nullable OutputStream out;
  private @Nullable Object fileKey;
  private long size;
  private long checkedAtNanos;

  private DecisionLog(Path file, long rotateBytes, int keep) {
    this.file = file;
    this.rotateBytes = rotateBytes;
    this.keep = keep;
  }

  /**
   * Opens (appends to) {@code file}, creating its directory.
   *
   * @throws IOException when the file cannot be opened
   */
  public static DecisionLog open(Path file, long rotateBytes, int keep) throws IOException {
    DecisionLog d = new DecisionLog(file, rotateBytes, keep);
    Files.createDirectories(Objects.requireNonNull(file.toAbsolutePath().getParent()));
    d.reopen();
    return d;
  }

  @Override
  public void on(Event e) {
    if (e instanceof Event.Decided d) {
      write(d.contact(), d.decision());
    }
  }

  /** Appends one line for {@code decision} about {@code contact}. Never throws. */
  public void write(Contact contact, Decision decision) {
    byte[] bytes = line(contact, decision).getBytes(StandardCharsets.UTF_8);
    synchronized (this) {
      gathered.add(bytes);
      gatheredBytes += bytes.length;
      long now = System.nanoTime();
      quick = now - lastLineNanos < BUSY.toNanos() ? quick + 1 : 0;
      lastLineNanos = now;
      if (quick < BURST || gatheredBytes >= GATHER_BYTES) {
        writeGathered(now);
      } else if (!timerSet) {
        try {
          timer.schedule(this::writeNow, GATHER.toNanos(), TimeUnit.NANOSECONDS);
          timerSet = true;
        } catch (RejectedExecutionException closed) {
          writeGathered(now); // after close: no timer, every line at once
        }
      }
    }
  }

  private synchronized void writeNow() {
    timerSet = false;
    writeGathered(System.nanoTime());
  }

  /**
   * Writes the gathered lines, whole, with one write call for those that fit before the next
   * rotation; on failure the rest are dropped.
   */
  private void writeGathered(long now) {
    if (gathered.isEmpty()) {
      return;
    }
    try {
      if (now - checkedAtNanos > 1_000_000_000L) {
        checkedAtNanos = now;
        if (moved()) {
          reopen();
        }
      }
      ByteArrayOutputStream chunk = new ByteArrayOutputStream(gatheredBytes);
      for (int i = 0; i < gathered.size(); ) {
        if (size + gathered.get(i).length > rotateBytes && size > 0) {
          rotate();
        }
        chunk.reset();
        do {
          chunk.writeBytes(gathered.get(i++));
        } while (i < gathered.size()
            && size + chunk.size() + gathered.get(i).length <= rotateBytes);
        OutputStream o = out;
        if (o == null) {
          reopen();
          o = Objects.requireNonNull(out);
        }
        chunk.writeTo(o);
        size += chunk.size();
      }
    } catch (IOException e) {
      log.warn("cannot write {} (lines lost): {}", file, e.toString());
      closeQuietly();
    } finally {
      gathered.clear();
      gatheredBytes = 0;
    }
  }

  /** The next write checks whether the file was moved, without waiting for its second to pass. */
  synchronized void forceCheck() {
    checkedAtNanos = System.nanoTime() - 2_000_000_000L;
  }

  /**
   * The line of the class comment, put together by hand: it is written for every decision, and
   * {@link Json#write}'s reflection cost more than the decision (DecisionLogTest holds it to the
   * same shape).
   */
  static String line(Contact contact, Decision decision) {
    StringBuilder b = new StringBuilder(320).append("{\"ts\":");
    Json.quote(b, contact.at().toString()).append(",\"client\":");
    Json.quote(b, Addresses.text(contact.client()));
    String ptr = decision.reverseName();
    if (ptr != null) {
      Json.quote(b.append(",\"ptr\":"), ptr);
    }
    InetAddress relay = contact.relay();
    if (relay != null) {
      Json.quote(b.append(",\"relay\":"), Addresses.text(relay));
    }
    Json.quote(
        b.append(",\"local\":"),
        Addresses.literal(contact.local().getAddress(), contact.local().getPort()));
    b.append(",\"preference\":").append(contact.entry().preference());
    Json.quote(b.append(",\"role\":"), contact.entry().role().label());
    Json.quote(b.append(",\"verdict\":"), decision.verdict().label());
    Json.quote(b.append(",\"action\":"), decision.action().label());
    Json.quote(b.append(",\"reason\":"), decision.reason());
    Instant until = decision.until();
    if (until != null) {
      Json.quote(b.append(",\"until\":"), until.toString());
    }
    return b.append("}\n").toString();
  }

  private boolean moved() throws IOException {
    try {
      Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
      return key == null ? false : !key.equals(fileKey);
    } catch (NoSuchFileException e) {
      return true;
    }
  }

  private void rotate() throws IOException {
    closeQuietly();
    for (int i = keep - 1; i >= 1; i--) {
      Path from = file.resolveSibling(file.getFileName() + "." + i);
      if (Files.exists(from)) {
        Files.move(
            from,
            file.resolveSibling(file.getFileName() + "." + (i + 1)),
            StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (keep >= 1) {
      Files.move(
          file,
          file.resolveSibling(file.getFileName() + ".1"),
          StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.delete(file);
    }
    reopen();
  }

  private void reopen() throws IOException {
    closeQuietly();
    out =
        Files.newOutputStream(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    fileKey = a.fileKey();
    size = a.size();
  }

  private void closeQuietly() {
    OutputStream o = out;
    out = null;
    if (o != null) {
      try {
        o.close();
      } catch (IOException ignored) {
        // nothing buffered in the stream: lines are gathered before it
      }
    }
  }

  /** Writes what waits and closes the file; later lines are written at once, reopening it. */
  @Override
  public void close() {
    timer.shutdownNow();
    synchronized (this) {
      writeGathered(System.nanoTime());
      closeQuietly();
    }
  }

  /**
   * Writes what waits to the file now open, then opens the file at its path again (for a reload
   * after logrotate moved it away: the next line goes to the new file at once rather than within a
   * second). Never throws: a file that cannot be opened is logged, and the next write tries again.
   */
  public void reopenFile() {
    synchronized (this) {
      writeGathered(System.nanoTime());
      try {
        reopen();
      } catch (IOException e) {
        log.warn("cannot reopen {}: {}", file, e.toString());
        closeQuietly();
      }
    }
  }
}

package org.mxtrap.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.mxtrap.queue.RecipientState.Status;

/**
 * The delivery state of one message: {@code queue/state/<id>}, an append-only log that exists once
 * the first attempt has been recorded. Replaying it over the fresh state (every recipient pending,
 * no attempts) gives the current state; the last record about a recipient wins, except that a final
 * status (delivered, failed) is never undone.
 *
 * <pre>
 * mxtrap-state 1
 * attempt 1748944800123 1748944860123           (attempt time, next attempt time; epoch ms)
 * delivered 0 1748944800120 2.0.0 delivered%20to%20maildir
 * deferred 1 1748944800121 4.4.4 no%20route     (recipient index, time, DSN code, text)
 * failed 2 1748944800122 5.1.1 no%20such%20user
 * </pre>
 *
 * <p>Fields are escaped as in {@link MessageFile}. Every record is appended and fdatasynced before
 * the call that wrote it returns; the directory is fsynced after the file is created. A crash can
 * only tear the last line; a line without its LF is ignored and cut off when the spool opens, so
 * later appends start on a fresh line.
 */
final class StateLog {
  static final String MAGIC = "mxtrap-state 1";

  private StateLog() {}

  static String attempt(Instant at, Instant next) {
    return "attempt " + at.toEpochMilli() + " " + next.toEpochMilli() + "\n";
  }

  static String recipient(Status status, int index, Instant at, String dsn, String text) {
    String keyword =
        switch (status) {
          case PENDING -> "deferred";
          case DELIVERED -> "delivered";
          case FAILED -> "failed";
        };
    return keyword
        + " "
        + index
        + " "
        + at.toEpochMilli()
        + " "
        + MessageFile.escape(dsn)
        + " "
        + MessageFile.escape(text)
        + "\n";
  }

  /** Appends {@code record} durably, creating the log (and syncing {@code dir}) on first use. */
  static void append(Path dir, String id, String record) throws IOException {
    Path file = dir.resolve(id);
    byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      writeFully(ch, bytes);
      ch.force(false);
      return;
    } catch (NoSuchFileException e) {
      // first record: create below
    }
    byte[] first = (MAGIC + "\n" + record).getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
      writeFully(ch, first);
      ch.force(true);
    }
    Directories.sync(dir);
  }

  private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** The replayed state; {@code attempts} counts attempt records. */
  record Replay(int attempts, Instant nextAttempt, List<RecipientState> recipients) {}

  /**
   * Replays the log at {@code file} over {@code fresh}; a missing file means no attempt yet. When
   * {@code repair} is set, a torn last line is cut off the file.
   */
  static Replay replay(Path file, Instant arrival, List<RecipientState> fresh, boolean repair)
      throws IOException {
    List<RecipientState> rs = new ArrayList<>(fresh);
    int attempts = 0;
    Instant next = arrival;
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new Replay(0, arrival, rs);
    }
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    if (repair && end < bytes.length) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(end);
        ch.force(false);
      }
    }
    String[] lines = new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n");
    if (end == 0 || !lines[0].equals(MAGIC)) {
      if (end == 0 && repair) {
        Files.delete(file); // torn before its first line: as if never written
        return new Replay(0, arrival, rs);
      }
      throw new IOException("not a state log of this version: " + file);
    }
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].split(" ", -1);
      switch (f[0]) {
        case "attempt" -> {
          attempts++;
          next = Instant.ofEpochMilli(Long.parseLong(f[2]));
        }
        case "delivered", "failed", "deferred" -> {
          int index = Integer.parseInt(f[1]);
          if (index < 0 || index >= rs.size() || rs.get(index).status().isFinal()) {
            continue;
          }
          Status status =
              switch (f[0]) {
                case "delivered" -> Status.DELIVERED;
                case "failed" -> Status.FAILED;
                default -> Status.PENDING;
              };
          RecipientState old = rs.get(index);
          rs.set(
              index,
              new RecipientState(
                  index,
                  old.recipient(),
                  status,
                  old.attempts() + 1,
                  MessageFile.unescape(f[3]),
                  MessageFile.unescape(f[4]),
                  Instant.ofEpochMilli(Long.parseLong(f[2]))));
        }
        default -> {
          // a record of a later version: skip
        }
      }
    }
    return new Replay(attempts, next, rs);
  }
}

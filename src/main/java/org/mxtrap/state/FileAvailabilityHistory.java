package org.mxtrap.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded availability history: two files in the state directory.
 *
 * <p>{@code availability.log}, append-only text, one event per line:
 *
 * <pre>
 * 2026-11-26T22:00:00Z since
 * 2026-11-26T22:00:00Z down 10 127.0.0.1:2525 not observed yet
 * 2026-11-26T22:00:01Z up 10 127.0.0.1:2525
 * </pre>
 *
 * An entry is named by its preference and {@code address:port} (IPv6 in brackets); lines about
 * entries that are no longer in the layout are ignored. The file is rewritten at open, keeping only
 * what still matters (outages that ended within {@code retain}, ongoing ones, {@code since}).
 * Events are not fsynced one by one: after a crash the page cache still has them, and after a power
 * loss the heartbeat is as old as they are, so the gap it reveals covers them.
 *
 * <p>{@code heartbeat}: the ISO-8601 time of the last {@link #maintain}, overwritten in place. At
 * open, the time between the last heartbeat and now was not observed: every primary and backup
 * entry is down from the heartbeat until it is seen again ({@link #up}: the server once it listens,
 * the prober once a probe succeeds). A fresh history starts {@code since} now, with every entry
 * down ("not observed yet").
 *
 * <p>Outages of one entry less than {@link #MERGE_GAP} apart are merged, so an entry that flaps at
 * its connection limit makes one outage, not thousands.
 */
public final class FileAvailabilityHistory implements AvailabilityHistory {
  private static final Logger log = LoggerFactory.getLogger("policy");

  static final Duration MERGE_GAP = Duration.ofSeconds(1);
  static final String LOG = "availability.log";
  static final String HEARTBEAT = "heartbeat";

  private final Path dir;
  private final Duration retain;
  private final Map<String, LayoutEntry> byKey = new HashMap<>();
  private final Map<LayoutEntry, List<Outage>> outages = new HashMap<>();
  private final Instant since;
  private final FileChannel events;
  private final FileChannel heartbeat;

  private FileAvailabilityHistory(
      Path dir, Duration retain, Layout layout, Instant since, FileChannel events, FileChannel hb) {
    this.dir = dir;
    this.retain = retain;
    this.since = since;
    this.events = events;
    this.heartbeat = hb;
    for (LayoutEntry e : layout.entries()) {
      if (e.role() != Role.TRAP) {
        byKey.put(key(e), e);
        outages.put(e, new ArrayList<>());
      }
    }
  }

  /**
   * Reads the history in {@code dir} (created if missing), marks the time since the last heartbeat
   * as unobserved, and compacts the file.
   *
   * @param retain how far back outages matter ({@code trap.arm_after})
   * @throws IOException when the directory or files cannot be read or written
   */
  public static FileAvailabilityHistory open(Path dir, Layout layout, Instant now, Duration retain)
      throws IOException {
    Files.createDirectories(dir);
    Path logFile = dir.resolve(LOG);
    Path hbFile = dir.resolve(HEARTBEAT);
    List<String> lines = Files.exists(logFile) ? Files.readAllLines(logFile) : List.of();
    Instant since = null;
    for (String line : lines) {
      String[] f = line.split(" ", 2);
      if (f.length == 2 && f[1].equals("since")) {
        since = parseTime(f[0]);
        break;
      }
    }
    Instant lastBeat = Files.exists(hbFile) ? parseTime(Files.readString(hbFile).strip()) : null;
    boolean fresh = since == null;
    if (since == null) {
      since = now;
    }
    FileChannel hb =
        FileChannel.open(
            hbFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
    FileAvailabilityHistory h;
    try {
      h = new FileAvailabilityHistory(dir, retain, layout, since, openLog(dir, since), hb);
    } catch (IOException | RuntimeException e) {
      hb.close();
      throw e;
    }
    for (String line : lines) {
      h.replay(line);
    }
    String why;
    Instant gapFrom;
    if (fresh) {
      why = "not observed yet (new history)";
      gapFrom = now;
    } else if (lastBeat == null || lastBeat.isAfter(now)) {
      why = "mxtrap was not running (no usable heartbeat)";
      gapFrom = since;
    } else {
      why = "mxtrap was not running (last heartbeat " + lastBeat + ")";
      gapFrom = lastBeat;
    }
    for (LayoutEntry e : h.outages.keySet()) {
      h.record(e, gapFrom, why, true);
    }
    h.compact(now);
    h.maintain(now);
    return h;
  }

  private static FileChannel openLog(Path dir, Instant since) throws IOException {
    Path tmp = dir.resolve(LOG + ".tmp");
    Files.writeString(tmp, since + " since\n");
    Files.move(tmp, dir.resolve(LOG), StandardCopyOption.REPLACE_EXISTING);
    return FileChannel.open(dir.resolve(LOG), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  private static @Nullable Instant parseTime(String s) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String key(LayoutEntry e) {
    return e.preference() + " " + Addresses.literal(e.address(), e.port());
  }

  /** Applies one line of an earlier log (without writing it again). */
  private void replay(String line) {
    String[] f = line.split(" ", 5);
    if (f.length < 4 || !(f[1].equals("down") || f[1].equals("up"))) {
      return;
    }
    Instant at = parseTime(f[0]);
    LayoutEntry e = byKey.get(f[2] + " " + f[3]);
    if (at == null || e == null) {
      return;
    }
    if (f[1].equals("down")) {
      record(e, at, f.length == 5 ? f[4] : "unavailable", false);
    } else {
      recordUp(e, at, false);
    }
  }

  @Override
  public Instant since() {
    return since;
  }

  @Override
  public synchronized void down(LayoutEntry e, Instant at, String reason) {
    record(e, at, reason, true);
  }

  @Override
  public synchronized void up(LayoutEntry e, Instant at) {
    recordUp(e, at, true);
  }

  private void record(LayoutEntry e, Instant at, String reason, boolean write) {
    List<Outage> list = outages.get(e);
    if (list == null) {
      return;
    }
    Outage last = list.isEmpty() ? null : list.getLast();
    if (last != null && last.to() == null) {
      return; // already down
    }
    if (last != null && !at.isAfter(Objects.requireNonNull(last.to()).plus(MERGE_GAP))) {
      list.set(list.size() - 1, new Outage(last.from(), null, last.reason()));
    } else {
      list.add(new Outage(at, null, reason.replace('\n', ' ')));
    }
    if (write) {
      append(at + " down " + key(e) + " " + reason.replace('\n', ' '));
    }
  }

  private void recordUp(LayoutEntry e, Instant at, boolean write) {
    List<Outage> list = outages.get(e);
    if (list == null || list.isEmpty() || list.getLast().to() != null) {
      return;
    }
    Outage last = list.getLast();
    list.set(
        list.size() - 1,
        new Outage(last.from(), at.isBefore(last.from()) ? last.from() : at, last.reason()));
    if (write) {
      append(at + " up " + key(e));
    }
  }

  private void append(String line) {
    try {
      ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        events.write(b);
      }
    } catch (IOException ex) {
      log.warn("cannot append to {}: {}", dir.resolve(LOG), ex.toString());
    }
  }

  @Override
  public synchronized List<Outage> outages(LayoutEntry e, Instant from) {
    List<Outage> list = outages.get(e);
    if (list == null) {
      return List.of();
    }
    return list.stream().filter(o -> o.to() == null || !o.to().isBefore(from)).toList();
  }

  /**
   * {@inheritDoc} Overwrites the {@code heartbeat} file with {@code now}, and forgets outages that
   * ended more than {@code retain} before it.
   */
  @Override
  public synchronized void maintain(Instant now) {
    try {
      byte[] b = (now.toString() + "\n").getBytes(StandardCharsets.US_ASCII);
      heartbeat.truncate(0);
      heartbeat.write(ByteBuffer.wrap(b), 0);
    } catch (IOException ex) {
      log.warn("cannot write {}: {}", dir.resolve(HEARTBEAT), ex.toString());
    }
    Instant horizon = now.minus(retain);
    for (List<Outage> list : outages.values()) {
      list.removeIf(o -> o.to() != null && o.to().isBefore(horizon));
    }
  }

  /** Rewrites the log with what still matters. */
  private void compact(Instant now) throws IOException {
    Instant horizon = now.minus(retain);
    StringBuilder b = new StringBuilder(since + " since\n");
    for (Map.Entry<LayoutEntry, List<Outage>> me : outages.entrySet()) {
      me.getValue().removeIf(o -> o.to() != null && o.to().isBefore(horizon));
      for (Outage o : me.getValue()) {
        b.append(o.from()).append(" down ").append(key(me.getKey())).append(' ');
        b.append(o.reason()).append('\n');
        if (o.to() != null) {
          b.append(o.to()).append(" up ").append(key(me.getKey())).append('\n');
        }
      }
    }
    events.truncate(0);
    ByteBuffer buf = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      events.write(buf);
    }
    events.force(true);
  }

  @Override
  public synchronized void close() {
    try {
      events.close();
      heartbeat.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package org.mxtrap.queue;

import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.queue.RecipientState.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable spool under {@code DATA_DIR/queue}: a {@link MessageSink} for mail that is not
 * delivered in the session (larger messages, recipients a delivery in session missed, DSNs; see
 * {@code delivery.InSessionDelivery}), and the store the queue runner and {@code mxtrap queue} read
 * and update.
 *
 * <h2>Layout</h2>
 *
 * <pre>
 * queue/lock          held (fcntl lock) by the one process that owns the spool
 * queue/ids           an ID above every queue ID issued so far, see {@link QueueIds}
 * queue/active/&lt;id&gt;   a message, see {@link MessageFile}: being received until it ends in its
 *                     trailer and is fsynced, then committed and never changed
 * queue/state/&lt;id&gt;    its delivery state, see {@link StateLog}; absent until the first attempt
 * queue/corrupt/      committed files that could not be read, moved aside for a human
 * </pre>
 *
 * <h2>Durability</h2>
 *
 * A message is written in place, {@code active/<id>}. {@link Incoming#commit()} appends the
 * trailer, fsyncs the file (on the session's own thread, so concurrent sessions' fsyncs overlap
 * and, on a journalling file system, share journal commits) and then waits for a {@link GroupSync
 * group fsync} of {@code active/}, which one committing thread does for every commit that arrived
 * meanwhile. Only then does it return the ID that goes into the 250 reply. A file without its
 * trailer was cut short by a crash, never acknowledged, and is deleted when the spool opens; abort
 * deletes it at once. A message is removed by unlinking its message file. When it has a state log
 * (an earlier attempt left recipients pending), {@code active/} is fsynced before the state log is
 * unlinked, so a removal lost in a crash brings the message back with its state and recipients
 * already delivered stay delivered. A message delivered at its first attempt has no state log and
 * its unlink is not fsynced: a power loss right after can only bring it back for one more delivery
 * (at-least-once; a process crash cannot, the unlink is already in the kernel).
 *
 * <h2>Threads</h2>
 *
 * All methods are safe for concurrent use. Updates to one message are serialised; the queue runner
 * is expected to work on each message from one task at a time. {@link #open(Path, Clock)} takes an
 * exclusive lock on the directory, so a second process cannot open the same spool.
 */
public final class Spool implements MessageSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("queue");

  /** The write buffer of a message being received. */
  private static final int SPOOL_BUFFER = 8192;

  private final Path active;
  private final Path state;
  private final Path corrupt;
  private final Clock clock;
  private final QueueIds ids;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final GroupSync activeSync = new GroupSync(true);
  private final ConcurrentSkipListMap<String, Slot> index = new ConcurrentSkipListMap<>();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private Spool(Path dir, Clock clock, FileChannel lockChannel, FileLock lock) {
    this.active = dir.resolve("active");
    this.state = dir.resolve("state");
    this.corrupt = dir.resolve("corrupt");
    this.clock = clock;
    this.ids = new QueueIds(clock, dir.resolve("ids"));
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Opens (creating if needed) the spool at {@code dir} and recovers it: leftovers of messages that
   * were never committed are deleted, torn state records cut off, and every committed message is
   * loaded with its delivery state.
   *
   * @throws IOException if the directory cannot be used or another process holds it
   */
  public static Spool open(Path dir, Clock clock) throws IOException {
    Directories.createDurably(dir);
    for (String sub : List.of("active", "state", "corrupt")) {
      Directories.createDurably(dir.resolve(sub));
    }
    FileChannel ch =
        FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      ch.close();
      throw new IOException("spool " + dir + " is in use by another process");
    }
    Spool spool = new Spool(dir, clock, ch, lock);
    try {
      spool.recover();
    } catch (IOException | RuntimeException e) {
      spool.close();
      throw e;
    }
    return spool;
  }

  private void recover() throws IOException {
    ids.restore();
    int leftovers = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(active)) {
      for (Path f : files) {
        String id = f.getFileName().toString();
        try {
          if (!QueueIds.isValid(id)) {
            throw new IOException("not a queue id");
          }
          Slot slot = load(f);
          if (!slot.header.id().equals(id)) {
            throw new IOException("file name does not match its id " + slot.header.id());
          }
          index.put(id, slot);
          ids.floor(id);
        } catch (MessageFile.CutShort e) {
          // Cut short by a crash while it was received: never acknowledged, so never queued.
          Files.deleteIfExists(f);
          leftovers++;
        } catch (IOException | RuntimeException e) {
          log.error("{}: unreadable message file moved to {}: {}", id, corrupt, e.toString());
          Files.move(f, corrupt.resolve(id), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(state)) {
      for (Path f : files) {
        if (!index.containsKey(f.getFileName().toString())) {
          Files.deleteIfExists(f); // the message was removed; its state log outlived it
        }
      }
    }
    log.info(
        "spool {}: {} message(s) queued, {} uncommitted leftover(s) removed",
        active.getParent(),
        index.size(),
        leftovers);
  }

  private Slot load(Path file) throws IOException {
    MessageFile.Header h;
    long size;
    try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
      h = MessageFile.read(in);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long fileSize = ch.size();
      ByteBuffer t = ByteBuffer.allocate(MessageFile.TRAILER_LENGTH);
      long at = Math.max(h.contentOffset(), fileSize - MessageFile.TRAILER_LENGTH);
      while (t.hasRemaining() && ch.read(t, at + t.position()) > 0) {
        // read the trailer fully
      }
      size = MessageFile.contentLength(t.array(), h.contentOffset(), fileSize);
    }
    List<RecipientState> fresh = freshStates(h.envelope());
    StateLog.Replay r = StateLog.replay(state.resolve(h.id()), h.arrival(), fresh, true);
    return new Slot(
        h,
        size,
        new QueueEntry(
            h.id(),
            h.envelope(),
            h.trace(),
            h.arrival(),
            size,
            r.attempts(),
            r.nextAttempt(),
            r.recipients()));
  }

  private static List<RecipientState> freshStates(Envelope e) {
    return IntStream.range(0, e.recipients().size())
        .mapToObj(i -> RecipientState.fresh(i, e.recipients().get(i)))
        .toList();
  }

  // ---- MessageSink -----------------------------------------------------------------------------

  @Override
  public Incoming open(Envelope envelope, TraceInfo trace) throws IOException {
    return open(newId(), envelope, trace);
  }

  /**
   * A fresh queue ID, never issued before by this spool, not even before a restart (see {@link
   * QueueIds}): for a message that may be delivered without ever being queued, and is queued under
   * this ID with {@link #open(String, Envelope, TraceInfo)} only if it has to be.
   *
   * @throws IOException if the ID reservation could not be written
   */
  public String newId() throws IOException {
    return ids.next();
  }

  /**
   * Starts receiving a message under an ID from {@link #newId()}; otherwise as {@link
   * #open(Envelope, TraceInfo)}.
   *
   * @throws IOException if the spool is closed or a message file with this ID exists
   */
  public Incoming open(String id, Envelope envelope, TraceInfo trace) throws IOException {
    if (closed) {
      throw new IOException("spool is closed");
    }
    if (!QueueIds.isValid(id)) {
      throw new IllegalArgumentException("not a queue id: " + id);
    }
    if (envelope.recipients().isEmpty()) {
      throw new IllegalArgumentException("a message needs at least one recipient");
    }
    return new Receiving(id, clock.instant(), envelope, trace);
  }

  /** A message being received into {@code active/<id>}, not yet whole. Used by one thread. */
  private final class Receiving implements Incoming {
    private final String id;
    private final Instant arrival;
    private final Envelope envelope;
    private final TraceInfo trace;
    private final long headerLength;
    private final Path file;
    private final FileChannel channel;
    private final OutputStream content;
    private boolean committed;
    private boolean aborted;

    Receiving(String id, Instant arrival, Envelope envelope, TraceInfo trace) throws IOException {
      this.id = id;
      this.arrival = arrival;
      this.envelope = envelope;
      this.trace = trace;
      this.file = active.resolve(id);
      this.channel =
          FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      byte[] header = MessageFile.header(id, arrival, envelope, trace);
      this.headerLength = header.length;
      // Small: the session writes content in chunks of 8 KiB, which go past a buffer no larger
      // than them; it only gathers the header and what the in-session sink spills. Every session
      // in DATA may hold one (see app.Resources), so its size is per-connection memory.
      OutputStream buffered =
          new BufferedOutputStream(Channels.newOutputStream(channel), SPOOL_BUFFER);
      this.content =
          new FilterOutputStream(buffered) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
              out.flush(); // the file stays open until commit or abort
            }
          };
      try {
        buffered.write(header);
      } catch (IOException e) {
        abort();
        throw e;
      }
    }

    @Override
    public OutputStream content() {
      return content;
    }

    @Override
    public String commit() throws IOException {
      if (committed) {
        return id;
      }
      if (aborted) {
        throw new IOException(id + ": message was aborted");
      }
      if (closed) {
        abort();
        throw new IOException(id + ": spool is closed");
      }
      long size;
      try {
        content.flush();
        size = channel.size() - headerLength;
        writeFully(channel, MessageFile.trailer(size));
        channel.force(true);
        channel.close();
        activeSync.sync(active);
      } catch (IOException | RuntimeException e) {
        // Not known to be durable, and the client gets a 4xx: take it back. Should the unlink
        // itself be lost in a crash, the message is delivered although refused (a duplicate at
        // worst, never a loss).
        abort();
        throw e;
      }
      committed = true;
      MessageFile.Header h = new MessageFile.Header(id, arrival, envelope, trace, headerLength);
      index.put(
          id,
          new Slot(
              h,
              size,
              new QueueEntry(
                  id, envelope, trace, arrival, size, 0, arrival, freshStates(envelope))));
      log.debug(
          "{}: from={}, size={}, nrcpt={} (queue active)",
          id,
          envelope.reversePath(),
          size,
          envelope.recipients().size());
      for (Consumer<String> l : listeners) {
        try {
          l.accept(id);
        } catch (RuntimeException e) {
          log.error("{}: commit listener failed", id, e);
        }
      }
      return id;
    }

    @Override
    public void abort() {
      if (committed || aborted) {
        return;
      }
      aborted = true;
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("{}: close on abort: {}", id, e.toString());
      }
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        log.warn("{}: cannot delete aborted message {}: {}", id, file, e.toString());
      }
    }
  }

  // ---- read API --------------------------------------------------------------------------------

  /** Registers a callback run on the committing thread after each commit; it must not block. */
  public void onCommit(Consumer<String> listener) {
    listeners.add(listener);
  }

  /** Whether {@code text} has the form of a queue ID ({@link QueueIds}), queued or not. */
  public static boolean isId(String text) {
    return QueueIds.isValid(text);
  }

  /** Every queued message, oldest first. */
  public List<QueueEntry> list() {
    List<QueueEntry> out = new ArrayList<>(index.size());
    for (Slot s : index.values()) {
      out.add(s.entry);
    }
    return out;
  }

  /** The message with this ID, if it is (still) queued. Unknown or malformed IDs give empty. */
  public Optional<QueueEntry> find(String id) {
    Slot s = index.get(id);
    return s == null ? Optional.empty() : Optional.of(s.entry);
  }

  /**
   * The content of a queued message, exactly as received (CRLF, dot-unstuffed). The caller closes
   * the stream. A message removed meanwhile stays readable through a stream already open.
   *
   * @throws NoSuchFileException if the message is not queued
   */
  public InputStream content(String id) throws IOException {
    Slot s = index.get(id);
    if (s == null) {
      throw new NoSuchFileException(id, null, "not in the queue");
    }
    FileChannel ch = FileChannel.open(active.resolve(id), StandardOpenOption.READ);
    try {
      ch.position(s.header.contentOffset());
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    // The content ends where the trailer begins.
    return new java.io.BufferedInputStream(
        new FilterInputStream(Channels.newInputStream(ch)) {
          private long left = s.size;

          @Override
          public int read() throws IOException {
            if (left <= 0) {
              return -1;
            }
            int c = super.read();
            if (c >= 0) {
              left--;
            }
            return c;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
              return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
              left -= n;
            }
            return n;
          }

          @Override
          public long skip(long n) throws IOException {
            long k = super.skip(Math.min(n, left));
            left -= k;
            return k;
          }

          @Override
          public int available() throws IOException {
            return (int) Math.min(super.available(), left);
          }
        },
        65536);
  }

  /** The outcome of one delivery attempt for recipient {@code index}, for {@link #record}. */
  public record Outcome(int index, Status status, String dsn, String text) {}

  /**
   * Durably records the outcomes of one attempt and when the message is next due, in one append and
   * one fdatasync. Outcomes for recipients already final are ignored.
   *
   * @return the updated snapshot
   * @throws NoSuchFileException if the message is not queued, or was removed meanwhile
   */
  public QueueEntry record(String id, List<Outcome> outcomes, Instant at, Instant nextAttempt)
      throws IOException {
    Slot s = require(id);
    synchronized (s) {
      if (index.get(id) != s) {
        // Removed since require (queue delete during an attempt): write no state log it would
        // outlive.
        throw new NoSuchFileException(id, null, "not in the queue");
      }
      QueueEntry e = s.entry;
      List<RecipientState> rs = new ArrayList<>(e.recipients());
      StringBuilder records = new StringBuilder();
      for (Outcome o : outcomes) {
        RecipientState old = rs.get(o.index());
        if (old.status().isFinal()) {
          continue;
        }
        records.append(StateLog.recipient(o.status(), o.index(), at, o.dsn(), o.text()));
        rs.set(
            o.index(),
            new RecipientState(
                o.index(), old.recipient(), o.status(), old.attempts() + 1, o.dsn(), o.text(), at));
      }
      records.append(StateLog.attempt(at, nextAttempt));
      StateLog.append(state, id, records.toString());
      s.entry = e.withState(e.attempts() + 1, nextAttempt, rs);
      return s.entry;
    }
  }

  /**
   * Removes a message from the queue for good, whatever the state of its recipients ({@code mxtrap
   * queue delete} uses this too). Visible at once; durable as the class comment says.
   *
   * @return false if no such message was queued
   */
  public boolean remove(String id) throws IOException {
    Slot s = index.get(id);
    if (s == null) {
      return false;
    }
    synchronized (s) {
      if (index.remove(id) == null) {
        return false;
      }
      Files.deleteIfExists(active.resolve(id));
      // Every state record ends with an attempt record, so a message never attempted before has
      // no state log (a torn one is removed when the spool opens) and costs no stat here.
      if (s.entry.attempts() > 0) {
        // The removal must be durable before the state goes, or a power loss could bring the
        // message back without the record of recipients already delivered.
        activeSync.sync(active);
        Files.deleteIfExists(state.resolve(id));
      }
    }
    return true;
  }

  /** Messages queued now. */
  public int size() {
    return index.size();
  }

  /** Directory fsyncs of {@code active/} so far; commits per fsync shows the group commit. */
  public long directorySyncs() {
    return activeSync.fsyncs();
  }

  private Slot require(String id) throws NoSuchFileException {
    Slot s = index.get(id);
    if (s == null) {
      throw new NoSuchFileException(id, null, "not in the queue");
    }
    return s;
  }

  /**
   * Releases the directory lock. Messages being received can no longer be committed; their files,
   * without trailer, are removed the next time the spool opens.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    activeSync.close();
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      log.warn("closing spool lock: {}", e.toString());
    }
  }

  // ---- file system helpers ---------------------------------------------------------------------

  /** A queued message: its parsed header and current state. */
  private static final class Slot {
    final MessageFile.Header header;
    final long size;
    volatile QueueEntry entry;

    Slot(MessageFile.Header header, long size, QueueEntry entry) {
      this.header = header;
      this.size = size;
      this.entry = entry;
    }
  }

  private static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** The message queued longest, the first of {@link #list}, if any; without copying the list. */
  public Optional<QueueEntry> oldest() {
    Map.Entry<String, Slot> first = index.firstEntry();
    return first == null ? Optional.empty() : Optional.of(first.getValue().entry);
  }
}

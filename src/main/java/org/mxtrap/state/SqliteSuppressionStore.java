package org.mxtrap.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.sqlite.SQLiteConfig;

/**
 * The embedded {@link SuppressionStore}: one SQLite database file, normally {@code
 * DATA_DIR/state/suppressions.sqlite}, with every row of it also held in memory, where all lookups
 * are answered.
 *
 * <h2>On disk</h2>
 *
 * <pre>
 * PRAGMA user_version = 1;      -- the schema version; a file of a newer one is refused
 * PRAGMA journal_mode = WAL;    -- a reader beside the server (sqlite3) does not block it
 * CREATE TABLE suppressions (
 *   prefix   TEXT PRIMARY KEY,  -- Cidr.toString(): 192.0.2.7/32, 2001:db8::/48
 *   since    TEXT NOT NULL,     -- ISO-8601 UTC, Instant.toString(): 2025-06-03T10:00:00Z
 *   until    TEXT NOT NULL,     -- the same; the suppression is active while since &lt;= now &lt; until
 *   reason   TEXT NOT NULL,     -- the verdict that caused it: mx-skip, early-talker, manual, ...
 *   offences INTEGER NOT NULL CHECK (offences &gt;= 1),
 *   evidence TEXT NOT NULL      -- an account of the latest offence
 * ) WITHOUT ROWID;
 * </pre>
 *
 * One row per prefix: the latest suppression of it, kept after it ends (that is its history) until
 * {@link #maintain} deletes it {@link #REPEAT_WINDOW} later. Times carry a fraction of a second
 * when they have one, so compare them with {@code julianday()}, not as text: {@code sqlite3
 * suppressions.sqlite "SELECT * FROM suppressions WHERE julianday(until) > julianday('now')"}. A
 * prefix is in the canonical form {@link Cidr#toString()} prints; a row that does not parse, or is
 * not canonical, makes {@link #open} fail and names it.
 *
 * <h2>Durability and failure</h2>
 *
 * Every change is written to the database first (synchronous=FULL: the write-ahead log is fsynced
 * at each commit, so the change is on disk when the method returns) and to memory second. A failed
 * write throws {@link UncheckedIOException} naming the file and changes nothing.
 *
 * <h2>Threads</h2>
 *
 * Thread-safe. Lookups read concurrent maps and never wait; changes are serialised by one lock and
 * one connection. One process owns the file: what another process writes to it while it is open is
 * not seen, and may be overwritten.
 */
public final class SqliteSuppressionStore implements SuppressionStore {
  private static final int SCHEMA_VERSION = 1;
  private static final String NATIVE_DIR_PROPERTY = "org.sqlite.tmpdir";
  private static final String CREATE =
      """
      CREATE TABLE IF NOT EXISTS suppressions (
        prefix   TEXT PRIMARY KEY,
        since    TEXT NOT NULL,
        until    TEXT NOT NULL,
        reason   TEXT NOT NULL,
        offences INTEGER NOT NULL CHECK (offences >= 1),
        evidence TEXT NOT NULL
      ) WITHOUT ROWID""";
  private static final String UPSERT =
      "INSERT OR REPLACE INTO suppressions (prefix, since, until, reason, offences, evidence)"
          + " VALUES (?, ?, ?, ?, ?, ?)";
  private static final String DELETE = "DELETE FROM suppressions WHERE prefix = ?";

  private final Path file;
  private final Connection connection;
  private final PreparedStatement upsert;
  private final PreparedStatement delete;
  private final PrefixMap<Suppression> index;
  private final ReentrantLock writes = new ReentrantLock();
  private boolean closed; // guarded by writes

  private SqliteSuppressionStore(Path file, Connection connection, PrefixMap<Suppression> index)
      throws SQLException {
    this.file = file;
    this.connection = connection;
    this.index = index;
    this.upsert = connection.prepareStatement(UPSERT);
    this.delete = connection.prepareStatement(DELETE);
  }

  /**
   * Opens the database at {@code file}, creating it and its parent directories if needed, and loads
   * every row into memory.
   *
   * <p>The first open in a process also decides where sqlite-jdbc unpacks its native library:
   * {@code native/} beside {@code file}, since {@code java.io.tmpdir} may be mounted noexec; unless
   * the system property {@code org.sqlite.tmpdir} already names a directory.
   *
   * @throws IOException naming the file, when it cannot be created or read, is not a database of
   *     this schema, or holds a row that does not parse
   */
  public static SqliteSuppressionStore open(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
      if (System.getProperty(NATIVE_DIR_PROPERTY) == null) {
        Path nativeDir = Files.createDirectories(parent.resolve("native"));
        System.setProperty(NATIVE_DIR_PROPERTY, nativeDir.toString());
      }
    }
    Connection c;
    try {
      c = new SQLiteConfig().createConnection("jdbc:sqlite:" + file.toAbsolutePath());
    } catch (SQLException e) {
      throw new IOException(describe(file, "cannot open", e), e);
    }
    try {
      prepare(c, file);
      return new SqliteSuppressionStore(file, c, load(c, file));
    } catch (SQLException e) {
      closeQuietly(c);
      throw new IOException(describe(file, "cannot read", e), e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  private static void prepare(Connection c, Path file) throws SQLException, IOException {
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 5000"); // a reader beside us may hold a lock briefly
      long version = Long.parseLong(pragma(s, "PRAGMA user_version"));
      if (version > SCHEMA_VERSION) {
        throw new IOException(
            file
                + ": schema version "
                + version
                + " was written by a newer mxtrap; this one reads version "
                + SCHEMA_VERSION);
      }
      String mode = pragma(s, "PRAGMA journal_mode = WAL");
      if (!mode.equalsIgnoreCase("wal")) {
        throw new IOException(
            file + ": cannot use write-ahead logging (journal mode " + mode + ")");
      }
      s.execute("PRAGMA synchronous = FULL");
      if (version < SCHEMA_VERSION) {
        s.execute(CREATE);
        s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
      }
    }
  }

  private static String pragma(Statement s, String sql) throws SQLException {
    try (ResultSet r = s.executeQuery(sql)) {
      if (!r.next()) {
        throw new SQLException("no result from " + sql);
      }
      return r.getString(1);
    }
  }

  private static PrefixMap<Suppression> load(Connection c, Path file)
      throws SQLException, IOException {
    PrefixMap<Suppression> index = new PrefixMap<>();
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT prefix, since, until, reason, offences, evidence FROM suppressions")) {
      while (r.next()) {
        String text = r.getString(1);
        try {
          Cidr prefix = Cidr.parse(text);
          if (!prefix.toString().equals(text)) {
            throw new IllegalArgumentException("not in canonical form " + prefix);
          }
          index.put(
              prefix,
              new Suppression(
                  prefix,
                  Instant.parse(r.getString(2)),
                  Instant.parse(r.getString(3)),
                  r.getString(4).intern(), // a handful of verdicts, a million rows
                  r.getInt(5),
                  r.getString(6)));
        } catch (RuntimeException e) {
          throw new IOException(
              file + ": row with prefix '" + text + "' cannot be read: " + e.getMessage(), e);
        }
      }
    }
    return index;
  }

  @Override
  public Optional<Suppression> find(InetAddress address, Instant now) {
    Suppression found = null;
    for (Suppression s : index.covering(address)) { // longest prefix first: it wins a tie
      if (s.activeAt(now) && (found == null || s.until().isAfter(found.until()))) {
        found = s;
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The previous duration is the stored row's {@code until - since}; a repeat is never shorter
   * than {@code base}, and an offence while suppressed never shortens the suppression. A row that
   * ended {@link #REPEAT_WINDOW} or more before {@code now} counts as none, offences and all,
   * whether or not {@link #maintain} has deleted it yet.
   */
  @Override
  public Suppression offend(
      Cidr prefix, Instant now, Duration base, Duration max, String reason, String evidence) {
    requirePositive("base", base);
    requirePositive("max", max);
    writes.lock();
    try {
      return write(
          Suppression.offence(standing(prefix, now), prefix, now, base, max, reason, evidence));
    } finally {
      writes.unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The offence count goes on from a row that still counts for {@link #offend}; otherwise it is
   * 1.
   */
  @Override
  public Suppression add(
      Cidr prefix, Instant now, Duration duration, String reason, String evidence) {
    requirePositive("duration", duration);
    writes.lock();
    try {
      Suppression previous = standing(prefix, now);
      int offences = previous == null ? 1 : previous.offences() + 1;
      return write(new Suppression(prefix, now, now.plus(duration), reason, offences, evidence));
    } finally {
      writes.unlock();
    }
  }

  @Override
  public boolean remove(Cidr prefix, Instant now) {
    writes.lock();
    try {
      Suppression s = index.get(prefix);
      if (s == null || !s.activeAt(now)) {
        return false;
      }
      write(new Suppression(prefix, s.since(), now, s.reason(), s.offences(), s.evidence()));
      return true;
    } finally {
      writes.unlock();
    }
  }

  @Override
  public List<Suppression> active(Instant now) {
    return index.values().filter(s -> s.activeAt(now)).sorted(Suppression.BY_PREFIX).toList();
  }

  @Override
  public int count(Instant now) {
    return (int) index.values().filter(s -> s.activeAt(now)).count();
  }

  /** {@inheritDoc} Longest prefix first. */
  @Override
  public List<Suppression> history(InetAddress address) {
    return List.copyOf(index.covering(address));
  }

  /** {@inheritDoc} The rows are deleted from the file in one transaction (see {@link #purge}). */
  @Override
  public void maintain(Instant now) {
    purge(now);
  }

  /**
   * Deletes the suppressions that ended {@link #REPEAT_WINDOW} or more before {@code now}.
   *
   * @return how many were deleted
   * @throws UncheckedIOException naming the file when the database cannot be written; then nothing
   *     is deleted
   */
  int purge(Instant now) {
    writes.lock();
    try {
      List<Suppression> old =
          index.values().filter(s -> !now.isBefore(s.until().plus(REPEAT_WINDOW))).toList();
      if (old.isEmpty()) {
        return 0;
      }
      inTransaction(
          "purge",
          () -> {
            for (Suppression s : old) {
              delete.setString(1, s.prefix().toString());
              delete.addBatch();
            }
            delete.executeBatch();
          });
      old.forEach(s -> index.remove(s.prefix()));
      return old.size();
    } finally {
      writes.unlock();
    }
  }

  /**
   * Stores {@code rows} as they are, replacing any of the same prefixes, in one transaction: a bulk
   * load without an fsync per row, for the lookup benchmark.
   */
  void putAll(Collection<Suppression> rows) {
    writes.lock();
    try {
      inTransaction(
          "bulk load",
          () -> {
            for (Suppression s : rows) {
              bind(s);
              upsert.addBatch();
            }
            upsert.executeBatch();
          });
      rows.forEach(s -> index.put(s.prefix(), s));
    } finally {
      writes.unlock();
    }
  }

  /** Closes the database. Lookups after this still answer from memory; changes fail. */
  @Override
  public void close() {
    writes.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try {
        upsert.close();
        delete.close();
      } finally {
        connection.close(); // the last connection checkpoints the log into the file
      }
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException(describe(file, "cannot close", e), e));
    } finally {
      writes.unlock();
    }
  }

  /** The stored row of {@code prefix} if it still counts for a repeat offence at {@code now}. */
  private @Nullable Suppression standing(Cidr prefix, Instant now) {
    Suppression s = index.get(prefix);
    return s != null && now.isBefore(s.until().plus(REPEAT_WINDOW)) ? s : null;
  }

  private Suppression write(Suppression s) {
    checkOpen();
    try {
      bind(s);
      upsert.executeUpdate();
    } catch (SQLException e) {
      throw new UncheckedIOException(
          new IOException(describe(file, "cannot store " + s.prefix(), e), e));
    }
    index.put(s.prefix(), s);
    return s;
  }

  private void bind(Suppression s) throws SQLException {
    upsert.setString(1, s.prefix().toString());
    upsert.setString(2, s.since().toString());
    upsert.setString(3, s.until().toString());
    upsert.setString(4, s.reason());
    upsert.setInt(5, s.offences());
    upsert.setString(6, s.evidence());
  }

  private interface SqlWork {
    void run() throws SQLException;
  }

  private void inTransaction(String what, SqlWork work) {
    checkOpen();
    try {
      connection.setAutoCommit(false);
      try {
        work.run();
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        upsert.clearBatch();
        delete.clearBatch();
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException(describe(file, "cannot " + what, e), e));
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("suppression store " + file + " is closed");
    }
  }

  private static void requirePositive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  /** The driver's message, and its cause's: "Error opening connection" alone says little. */
  private static String describe(Path file, String what, SQLException e) {
    Throwable cause = e.getCause();
    return file
        + ": "
        + what
        + ": "
        + e.getMessage()
        + (cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : "");
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // the open already failed; that failure is the one to report
    }
  }

  @Override
  public List<Suppression> stored(Instant now) {
    return index
        .values()
        .filter(s -> now.isBefore(s.until().plus(REPEAT_WINDOW)))
        .sorted(Suppression.BY_PREFIX)
        .toList();
  }

  @Override
  public Optional<Suppression> restore(Suppression s, Instant now) {
    if (!now.isBefore(s.until().plus(REPEAT_WINDOW))) {
      return Optional.empty();
    }
    writes.lock();
    try {
      return Optional.of(write(Suppression.merge(standing(s.prefix(), now), s)));
    } finally {
      writes.unlock();
    }
  }
}

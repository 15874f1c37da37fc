package org.mxtrap.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Cidr;

class SqliteSuppressionStoreTest extends SuppressionStoreContract {
  @TempDir Path data;

  Path file() {
    return data.resolve("state").resolve("suppressions.sqlite");
  }

  @Override
  protected SuppressionStore open() throws IOException {
    return SqliteSuppressionStore.open(file());
  }

  @Override
  protected SuppressionStore reopen(SuppressionStore store) throws IOException {
    store.close();
    return open();
  }

  SqliteSuppressionStore sqlite() {
    return (SqliteSuppressionStore) store;
  }

  /** What sqlite3 would show: every row as text, and the two pragmas. */
  List<String> dump() throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = c.createStatement()) {
      for (String pragma : List.of("user_version", "journal_mode")) {
        try (ResultSet r = s.executeQuery("PRAGMA " + pragma)) {
          r.next();
          rows.add(pragma + "=" + r.getString(1));
        }
      }
      try (ResultSet r =
          s.executeQuery(
              "SELECT prefix, since, until, reason, typeof(offences), offences, evidence"
                  + " FROM suppressions ORDER BY prefix")) {
        while (r.next()) {
          List<String> columns = new ArrayList<>();
          for (int i = 1; i <= 7; i++) {
            columns.add(r.getString(i));
          }
          rows.add(String.join("|", columns));
        }
      }
    }
    return rows;
  }

  void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  @Test
  void theFileHoldsTheDocumentedTableOneRowPerPrefix() throws SQLException {
    offend(HOST, T0);
    offend(HOST, T0.plusNanos(1_500_000));
    store.add(Cidr.parse("2001:db8::/48"), T0, HOUR, "manual", "operator");

    assertThat(dump())
        .containsExactly(
            "user_version=1",
            "journal_mode=wal",
            "192.0.2.7/32|2025-06-03T10:00:00.001500Z|2025-06-03T12:00:00.001500Z|mx-skip"
                + "|integer|2|trap 30 at 2025-06-03T10:00:00.001500Z",
            "2001:db8::/48|2025-06-03T10:00:00Z|2025-06-03T11:00:00Z|manual|integer|1|operator");
  }

  @Test
  void maintainPurges() throws SQLException {
    Suppression ended = store.add(HOST, T0, HOUR, "manual", "old");

    store.maintain(ended.until().plus(SuppressionStore.REPEAT_WINDOW));

    assertThat(store.history(ip("192.0.2.7"))).isEmpty();
    assertThat(dump()).containsExactly("user_version=1", "journal_mode=wal");
  }

  @Test
  void purgeDeletesWhatEndedAWholeRepeatWindowAgoFromDiskAndMemory() throws Exception {
    Suppression ended = store.add(HOST, T0, HOUR, "manual", "old");
    Suppression later = store.add(NET, T0, HOUR.multipliedBy(2), "manual", "newer");
    var purgeAt = ended.until().plus(SuppressionStore.REPEAT_WINDOW);

    assertThat(sqlite().purge(purgeAt.minusNanos(1))).isZero();
    assertThat(store.history(ip("192.0.2.7"))).containsExactly(ended, later);

    assertThat(sqlite().purge(purgeAt)).isEqualTo(1);
    assertThat(store.history(ip("192.0.2.7"))).containsExactly(later);
    assertThat(store.add(HOST, purgeAt, HOUR, "manual", "again").offences()).isEqualTo(1);
    store.remove(HOST, purgeAt);

    store = reopen(store);
    assertThat(store.history(ip("192.0.2.7"))).hasSize(2).contains(later);
    assertThat(sqlite().purge(purgeAt.plus(Duration.ofDays(8)))).isEqualTo(2);
    store = reopen(store);
    assertThat(store.history(ip("192.0.2.7"))).isEmpty();
  }

  @Test
  void aFileThatIsNotADatabaseIsRefusedWithItsName() throws IOException {
    store.close();
    Files.writeString(file(), "not a database\n".repeat(300), UTF_8);

    assertThatThrownBy(this::open)
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(file() + ": cannot ")
        .hasMessageContaining("not a database");
  }

  @Test
  void aDirectoryInPlaceOfTheFileIsRefusedWithItsName() throws IOException {
    Path dir = data.resolve("other").resolve("suppressions.sqlite");
    Files.createDirectories(dir);

    assertThatThrownBy(() -> SqliteSuppressionStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith(dir + ": cannot open");
  }

  @Test
  void aRowThatDoesNotParseIsNamed() throws Exception {
    store.close();
    sql(
        "INSERT INTO suppressions VALUES"
            + " ('192.0.2.1/24', '2025-06-03T10:00:00Z', '2025-06-03T11:00:00Z', 'manual', 1, '')");

    assertThatThrownBy(this::open)
        .isInstanceOf(IOException.class)
        .hasMessage(
            file()
                + ": row with prefix '192.0.2.1/24' cannot be read: host bits set in"
                + " 192.0.2.1/24 (the network is 192.0.2.0/24)");
  }

  @Test
  void aRowNotInCanonicalFormIsNamed() throws Exception {
    store.close();
    sql(
        "INSERT INTO suppressions VALUES ('2001:DB8::/32', '2025-06-03T10:00:00Z',"
            + " '2025-06-03T11:00:00Z', 'manual', 1, '')");

    assertThatThrownBy(this::open)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("'2001:DB8::/32'")
        .hasMessageEndingWith("not in canonical form 2001:db8::/32");
  }

  @Test
  void aNewerSchemaIsRefused() throws Exception {
    store.close();
    sql("PRAGMA user_version = 2");

    assertThatThrownBy(this::open)
        .isInstanceOf(IOException.class)
        .hasMessage(
            file() + ": schema version 2 was written by a newer mxtrap; this one reads version 1");
  }

  @Test
  void changesAfterCloseFailButLookupsStillAnswer() {
    offend(HOST, T0);
    store.close();

    assertThat(store.find(ip("192.0.2.7"), T0)).isPresent();
    assertThatThrownBy(() -> offend(NET, T0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    store.close(); // twice is harmless
  }

  @Test
  void durationsMustBePositive() {
    assertThatThrownBy(() -> store.add(HOST, T0, Duration.ZERO, "manual", ""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.offend(HOST, T0, HOUR, Duration.ofHours(-1), "x", ""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.history(ip("192.0.2.7"))).isEmpty();
  }
}

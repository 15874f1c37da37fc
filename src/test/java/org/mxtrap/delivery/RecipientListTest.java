package org.mxtrap.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.RecipientSettings;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.core.Mailboxes.Answer;
import org.mxtrap.testing.FakeClock;
import org.slf4j.LoggerFactory;

/** {@link RecipientList} over a real file, reloaded by a clock the test moves. */
class RecipientListTest {
  static final List<String> DOMAINS = List.of("example.com", "example.net");
  static final Instant T0 = Instant.parse("2026-05-01T08:00:00Z");

  @TempDir Path dir;
  Path file;
  final FakeClock clock = new FakeClock(T0);
  final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  final Logger logger = (Logger) LoggerFactory.getLogger("delivery");
  int edits;

  @BeforeEach
  void listen() {
    file = dir.resolve("recipients");
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void stopListening() {
    logger.detachAppender(logged);
  }

  /** Writes the file with a modification time of its own, whatever the file system's precision. */
  void write(String text) throws Exception {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.from(T0.minusSeconds(1000).plusSeconds(++edits)));
  }

  static Mailbox mb(String localPart, String domain) {
    return new Mailbox(localPart, domain);
  }

  List<String> warnings() {
    return logged.list.stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void listedMailboxesExistAndOthersAreUnknown() throws Exception {
    write("alice@example.com\n\"john doe\"@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    assertThat(list.lookup(mb("alice", "example.com"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("john doe", "example.com"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("bob", "example.com"))).isEqualTo(Answer.UNKNOWN);
    assertThat(list.lookup(mb("alice", "example.net"))).isEqualTo(Answer.UNKNOWN);
    assertThat(list.lookup(mb("alice.", "example.com"))).isEqualTo(Answer.UNKNOWN);
    assertThat(list.lookup(mb("johndoe", "example.com"))).isEqualTo(Answer.UNKNOWN);
  }

  @Test
  void everySpellingThatLandsInOneMaildirIsOneMailbox() throws Exception {
    write("Bob.Smith@example.com\n\"jürgen\"@example.com\n\"Mixed Case\"@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    // A Mailbox holds a quoted local part without its quotes, as the SMTP parser gives it.
    List<String> spellings =
        List.of(
            "bob.smith",
            "BOB.SMITH",
            "Bob.Smith",
            "bOb.sMiTh",
            "jürgen",
            "JÜRGEN",
            "Jürgen",
            "mixed case",
            "MIXED CASE",
            "bob.smith2",
            "bobsmith",
            "jurgen",
            "mixed  case");
    List<String> listed = List.of("Bob.Smith", "jürgen", "Mixed Case");
    for (String s : spellings) {
      boolean sameMaildir =
          listed.stream()
              .anyMatch(l -> MaildirDelivery.folderName(l).equals(MaildirDelivery.folderName(s)));
      assertThat(list.lookup(mb(s, "example.com")))
          .as(s)
          .isEqualTo(sameMaildir ? Answer.EXISTS : Answer.UNKNOWN);
    }
    assertThat(list.lookup(mb("jürgen", "EXAMPLE.COM"))).isEqualTo(Answer.EXISTS);
  }

  @Test
  void aCatchAllDomainHasEveryLocalPart() throws Exception {
    write("@example.net\nalice@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    assertThat(list.lookup(mb("anyone", "example.net"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("Any.One", "example.net"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("anyone", "example.com"))).isEqualTo(Answer.UNKNOWN);
  }

  @Test
  void postmasterAlwaysExists() throws Exception {
    write("# nobody\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    assertThat(list.lookup(mb("postmaster", "example.com"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("PostMaster", "example.net"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("postmaster2", "example.net"))).isEqualTo(Answer.UNKNOWN);
    assertThat(warnings()).anyMatch(w -> w.contains("lists no mailbox"));
  }

  /** Moves the clock to the next check and makes it with one lookup. */
  Answer nextCheck(RecipientList list, Mailbox m) {
    clock.advance(RecipientList.CHECK_EVERY);
    return list.lookup(m);
  }

  @Test
  void aChangeIsTakenAtTheSecondCheckAfterItOnceTheFileStayedTheSame() throws Exception {
    write("alice@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    write("alice@example.com\nbob@example.com\n");
    Mailbox bob = mb("bob", "example.com");
    clock.advance(Duration.ofMillis(999));
    assertThat(list.lookup(bob)).as("no check yet").isEqualTo(Answer.UNKNOWN);
    clock.advance(Duration.ofMillis(1));
    assertThat(list.lookup(bob)).as("the change seen, not yet read").isEqualTo(Answer.UNKNOWN);
    clock.advance(Duration.ofMillis(999));
    assertThat(list.lookup(bob)).as("at most one check a second").isEqualTo(Answer.UNKNOWN);
    clock.advance(Duration.ofMillis(1));
    assertThat(list.lookup(bob)).isEqualTo(Answer.EXISTS);

    write("bob@example.com\n");
    assertThat(nextCheck(list, mb("alice", "example.com"))).isEqualTo(Answer.EXISTS);
    assertThat(nextCheck(list, mb("alice", "example.com"))).isEqualTo(Answer.UNKNOWN);
    assertThat(warnings()).isEmpty();
  }

  @Test
  void aFileBeingWrittenIsNotReadHalfWay() throws Exception {
    write("alice@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    Mailbox alice = mb("alice", "example.com");
    write(""); // the writer has truncated it
    assertThat(nextCheck(list, alice)).isEqualTo(Answer.EXISTS);
    write("alice@example.com\nbob"); // and goes on writing
    assertThat(nextCheck(list, alice)).isEqualTo(Answer.EXISTS);
    write("alice@example.com\nbob@example.com\n"); // done
    assertThat(nextCheck(list, alice)).isEqualTo(Answer.EXISTS);
    assertThat(nextCheck(list, mb("bob", "example.com"))).isEqualTo(Answer.EXISTS);
    assertThat(warnings()).isEmpty();
  }

  @Test
  void aFileRenamedOverTheOldOneIsSeen() throws Exception {
    write("alice@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    Path next = dir.resolve("recipients.new");
    Files.writeString(next, "carol@example.com\n");
    Files.setLastModifiedTime(next, Files.getLastModifiedTime(file)); // same time, same size
    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    nextCheck(list, mb("carol", "example.com"));
    assertThat(nextCheck(list, mb("carol", "example.com"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("alice", "example.com"))).isEqualTo(Answer.UNKNOWN);
  }

  @Test
  void aBrokenFileAtAReloadKeepsTheLastGoodListAndWarnsOnce() throws Exception {
    write("alice@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    write("alice@example.com\nbob@example.org\nnonsense\n");
    for (int i = 0; i < 3; i++) {
      clock.advance(RecipientList.CHECK_EVERY);
      assertThat(list.lookup(mb("alice", "example.com"))).isEqualTo(Answer.EXISTS);
    }
    assertThat(warnings())
        .containsExactly(
            "recipients: "
                + file
                + ":2: example.org is not one of domains (example.com, example.net):"
                + " bob@example.org (and 1 more refused lines); keeping the last good list (1"
                + " addresses, 0 catch-all domains)");

    write("alice@example.com\nbob@example.net\n");
    nextCheck(list, mb("bob", "example.net"));
    assertThat(nextCheck(list, mb("bob", "example.net"))).isEqualTo(Answer.EXISTS);
  }

  @Test
  void aMissingFileAtAReloadKeepsTheLastGoodListUntilItIsBack() throws Exception {
    write("alice@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    Files.delete(file);
    for (int i = 0; i < 3; i++) {
      clock.advance(RecipientList.CHECK_EVERY);
      assertThat(list.lookup(mb("alice", "example.com"))).isEqualTo(Answer.EXISTS);
    }
    assertThat(warnings())
        .containsExactly(
            "recipients: cannot read "
                + file
                + ": no such file; keeping the last good list (1 addresses, 0 catch-all"
                + " domains)");
    write("dave@example.com\n");
    nextCheck(list, mb("dave", "example.com"));
    assertThat(nextCheck(list, mb("dave", "example.com"))).isEqualTo(Answer.EXISTS);
    assertThat(list.lookup(mb("alice", "example.com"))).isEqualTo(Answer.UNKNOWN);
  }

  @Test
  void atStartAFileThatCannotBeUsedIsAConfigErrorAtItsLines() throws Exception {
    assertThatThrownBy(() -> RecipientList.open(file, DOMAINS, clock))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ": recipients.file: no such file");
    write("alice@example.com\nalice\n\n@example.org\n");
    assertThatThrownBy(() -> RecipientList.open(file, DOMAINS, clock))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            file
                + ":2: recipients.file: not an address: alice (write local@domain, or @domain for a"
                + " catch-all)\n"
                + file
                + ":4: recipients.file: example.org is not one of domains (example.com,"
                + " example.net): @example.org");
    assertThatThrownBy(() -> RecipientList.open(dir, DOMAINS, clock))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir + ": recipients.file: not a regular file");
  }

  @Test
  void theFactoryGivesAnyOrTheList() throws Exception {
    assertThat(RecipientList.of(RecipientSettings.DEFAULTS, DOMAINS, clock))
        .isSameAs(Mailboxes.ANY);
    write("alice@example.com\n");
    Mailboxes list =
        RecipientList.of(
            new RecipientSettings(RecipientSettings.Mode.LIST, file, Duration.ofDays(1), 10),
            DOMAINS,
            clock);
    assertThat(list).isInstanceOf(RecipientList.class);
    assertThat(list.lookup(mb("alice", "example.com"))).isEqualTo(Answer.EXISTS);
  }

  @Test
  void lookupsFromManyThreadsWhileTheFileChanges() throws Exception {
    write("alice@example.com\n");
    RecipientList list = RecipientList.open(file, DOMAINS, clock);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        running.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 2000; i++) {
                    assertThat(list.lookup(mb("alice", "example.com"))).isEqualTo(Answer.EXISTS);
                  }
                  return null;
                }));
      }
      for (int i = 0; i < 20; i++) {
        Path next = dir.resolve("recipients.new");
        Files.writeString(next, "alice@example.com\nuser" + i + "@example.com\n");
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        clock.advance(RecipientList.CHECK_EVERY);
        list.lookup(mb("alice", "example.com"));
        clock.advance(RecipientList.CHECK_EVERY);
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    nextCheck(list, mb("user19", "example.com"));
    assertThat(nextCheck(list, mb("user19", "example.com"))).isEqualTo(Answer.EXISTS);
  }
}

package org.mxtrap.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxtrap.queue.SpoolFixtures.CONTENT;
import static org.mxtrap.queue.SpoolFixtures.enqueue;
import static org.mxtrap.queue.SpoolFixtures.envelope;
import static org.mxtrap.queue.SpoolFixtures.names;
import static org.mxtrap.queue.SpoolFixtures.read;
import static org.mxtrap.queue.SpoolFixtures.trace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.TraceInfo;
import org.mxtrap.queue.RecipientState.Status;
import org.mxtrap.testing.FakeClock;

class SpoolTest extends MessageSinkContract {
  @TempDir Path data;
  Path dir;
  final FakeClock clock = new FakeClock();
  Spool spool;

  @BeforeEach
  void open() throws IOException {
    dir = data.resolve("queue");
    spool = Spool.open(dir, clock);
  }

  @AfterEach
  void close() {
    spool.close();
  }

  @Override
  protected MessageSink sink() {
    return spool;
  }

  @Override
  protected Optional<String> stored(String id) throws IOException {
    return spool.find(id).isEmpty()
        ? Optional.empty()
        : Optional.of(read(spool.content(id)).replace("\r\n", "\n"));
  }

  @Override
  protected int storedCount() {
    return spool.size();
  }

  private Spool reopen() throws IOException {
    spool.close();
    spool = Spool.open(dir, clock);
    return spool;
  }

  @Test
  void commitMakesTheMessageVisibleWithEnvelopeTraceAndContent() throws IOException {
    TraceInfo trace =
        trace("helo.example.org", null, "2001:db8::7", "ESMTPS", "TLSv1.3 TLS_AES_256_GCM_SHA384");
    String id =
        enqueue(
            spool,
            envelope("bob@example.org", "alice@example.com", "\"a b\"@example.com"),
            trace,
            CONTENT);

    QueueEntry e = spool.find(id).orElseThrow();
    assertThat(e.envelope())
        .isEqualTo(envelope("bob@example.org", "alice@example.com", "\"a b\"@example.com"));
    assertThat(e.trace()).isEqualTo(trace);
    assertThat(e.arrival()).isEqualTo(clock.instant());
    assertThat(e.nextAttempt()).isEqualTo(clock.instant());
    assertThat(e.attempts()).isZero();
    assertThat(e.size()).isEqualTo(CONTENT.length());
    assertThat(e.recipients()).extracting(RecipientState::status).containsOnly(Status.PENDING);
    assertThat(read(spool.content(id))).isEqualTo(CONTENT);
    assertThat(names(dir.resolve("active"))).containsExactly(id);
    assertThat(Files.readString(dir.resolve("active").resolve(id)))
        .endsWith(String.format("mxtrap-end %020d%n", CONTENT.length()));
  }

  @Test
  void everythingSurvivesReopening() throws IOException {
    TraceInfo trace = trace("[192.0.2.7]", "client.example.org", "192.0.2.7", "ESMTP", null);
    String id = enqueue(spool, envelope("", "alice@example.com"), trace, CONTENT);

    reopen();

    QueueEntry e = spool.find(id).orElseThrow();
    assertThat(e.envelope()).isEqualTo(envelope("", "alice@example.com"));
    assertThat(e.trace()).isEqualTo(trace);
    assertThat(read(spool.content(id))).isEqualTo(CONTENT);
  }

  @Test
  void abortRemovesEveryTrace() throws IOException {
    MessageSink.Incoming in = spool.open(envelope("bob@example.org", "alice@example.com"), trace());
    in.content().write("partial".getBytes(StandardCharsets.UTF_8));
    assertThat(names(dir.resolve("active"))).hasSize(1); // written in place, not yet committed
    assertThat(spool.list()).isEmpty();

    in.abort();
    in.abort();

    assertThat(names(dir.resolve("active"))).isEmpty();
    assertThat(spool.list()).isEmpty();
    assertThatThrownBy(in::commit).isInstanceOf(IOException.class);
  }

  @Test
  void closingWithoutCommitAborts() throws IOException {
    try (MessageSink.Incoming in =
        spool.open(envelope("bob@example.org", "alice@example.com"), trace())) {
      in.content().write(1);
    }
    assertThat(names(dir.resolve("active"))).isEmpty();
  }

  @Test
  void commitIsIdempotentAndAbortAfterCommitDoesNothing() throws IOException {
    MessageSink.Incoming in = spool.open(envelope("bob@example.org", "alice@example.com"), trace());
    in.content().write(CONTENT.getBytes(StandardCharsets.UTF_8));
    String id = in.commit();
    assertThat(in.commit()).isEqualTo(id);
    in.abort();
    assertThat(spool.find(id)).isPresent();
  }

  @Test
  void recoveryRemovesLeftoversOfACrashedWriter() throws IOException {
    String kept = enqueue(spool, "bob@example.org", "alice@example.com");
    MessageSink.Incoming crashed =
        spool.open(envelope("bob@example.org", "alice@example.com"), trace());
    crashed.content().write(CONTENT.getBytes(StandardCharsets.UTF_8));
    crashed.content().flush();
    Files.writeString(dir.resolve("active").resolve("01JXQ3M5T8001"), "mxtrap-queue 1\nid 01JX");
    Files.writeString(dir.resolve("state").resolve("01JXQ3M5T8000"), "mxtrap-state 1\n");

    reopen(); // the writer never committed nor aborted: as after SIGKILL

    assertThat(names(dir.resolve("active"))).containsExactly(kept);
    assertThat(names(dir.resolve("corrupt"))).isEmpty();
    assertThat(names(dir.resolve("state"))).isEmpty();
    assertThat(spool.list()).extracting(QueueEntry::id).containsExactly(kept);
    assertThatThrownBy(crashed::commit).isInstanceOf(IOException.class);
  }

  @Test
  void unreadableCommittedFilesAreMovedAside() throws IOException {
    // Whole (header ended, trailer present) but not a message file of this version.
    Files.writeString(
        dir.resolve("active").resolve("01JXQ3M5T8000"),
        "not a message\n\n" + String.format("mxtrap-end %020d%n", 0));
    reopen();
    assertThat(spool.list()).isEmpty();
    assertThat(names(dir.resolve("corrupt"))).containsExactly("01JXQ3M5T8000");
  }

  @Test
  void recipientStateAndAttemptsArePersisted() throws IOException {
    String id =
        enqueue(spool, "bob@example.org", "a@example.com", "b@example.com", "c@example.com");
    Instant next = clock.instant().plus(Duration.ofMinutes(1));
    spool.record(
        id,
        List.of(
            new Spool.Outcome(0, Status.DELIVERED, "2.0.0", "delivered to maildir"),
            new Spool.Outcome(1, Status.PENDING, "4.2.2", "mailbox full"),
            new Spool.Outcome(2, Status.FAILED, "5.1.1", "no such user")),
        clock.instant(),
        next);
    spool.record(
        id,
        List.of(new Spool.Outcome(0, Status.FAILED, "5.0.0", "ignored: already delivered")),
        clock.instant(),
        next);

    QueueEntry e = reopen().find(id).orElseThrow();

    assertThat(e.attempts()).isEqualTo(2);
    assertThat(e.nextAttempt()).isEqualTo(next);
    assertThat(e.recipients())
        .extracting(RecipientState::status, RecipientState::dsn, RecipientState::text)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Status.DELIVERED, "2.0.0", "delivered to maildir"),
            org.assertj.core.groups.Tuple.tuple(Status.PENDING, "4.2.2", "mailbox full"),
            org.assertj.core.groups.Tuple.tuple(Status.FAILED, "5.1.1", "no such user"));
    assertThat(e.pending()).extracting(RecipientState::index).containsExactly(1);
  }

  @Test
  void aTornStateRecordIsCutOffAndLaterRecordsStillCount() throws IOException {
    String id = enqueue(spool, "bob@example.org", "a@example.com", "b@example.com");
    delivered(id, 0);
    spool.close();
    Files.writeString(
        dir.resolve("state").resolve(id), "delivered 1 17489", StandardOpenOption.APPEND);

    spool = Spool.open(dir, clock);
    assertThat(spool.find(id).orElseThrow().pending())
        .extracting(RecipientState::index)
        .containsExactly(1);
    delivered(id, 1);

    assertThat(reopen().find(id).orElseThrow().isDone()).isTrue();
  }

  @Test
  void removeIsDurable() throws IOException {
    String id = enqueue(spool, "bob@example.org", "a@example.com");
    delivered(id, 0);

    assertThat(spool.remove(id)).isTrue();
    assertThat(spool.remove(id)).isFalse();

    assertThat(spool.find(id)).isEmpty();
    assertThatThrownBy(() -> spool.content(id)).isInstanceOf(NoSuchFileException.class);
    assertThat(names(dir.resolve("active"))).isEmpty();
    assertThat(names(dir.resolve("state"))).isEmpty();
    assertThat(reopen().list()).isEmpty();
  }

  @Test
  void aSecondSpoolOnTheSameDirectoryIsRefused() {
    assertThatThrownBy(() -> Spool.open(dir, clock)).hasMessageContaining("in use");
  }

  @Test
  void commitListenersHearEveryCommit() throws IOException {
    List<String> heard = new ArrayList<>();
    spool.onCommit(heard::add);
    String id = enqueue(spool, "bob@example.org", "a@example.com");
    assertThat(heard).containsExactly(id);
  }

  @Test
  void idsAreUniqueSortableAndSafeEvenWhenTheClockStandsStillOrGoesBack() throws IOException {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      ids.add(enqueue(spool, "bob@example.org", "a@example.com"));
    }
    clock.advance(Duration.ofHours(-1));
    reopen();
    ids.add(enqueue(spool, "bob@example.org", "a@example.com"));

    assertThat(ids).doesNotHaveDuplicates().isSorted();
    assertThat(ids).allSatisfy(id -> assertThat(id).matches("[0-9A-HJKMNP-TV-Z]{13}"));
    assertThat(ids).allMatch(QueueIds::isValid);
    assertThat(QueueIds.isValid("../../etc/pw")).isFalse();
  }

  @Test
  void idsNeverRepeatAfterARestartEvenWithAnEmptyQueueAndAClockThatWentBack() throws IOException {
    List<String> before = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String id = enqueue(spool, "bob@example.org", "a@example.com");
      before.add(id);
      spool.remove(id); // delivered: nothing in the spool remembers it
    }
    // A second spool process, later, with the clock an hour behind (NTP step, restored VM).
    clock.advance(Duration.ofHours(-1));
    reopen();
    String after = enqueue(spool, "bob@example.org", "a@example.com");

    assertThat(after).isGreaterThan(before.get(before.size() - 1));
    assertThat(before).doesNotContain(after);
  }

  @Test
  void theIdReservationIsWrittenOncePerLeaseAndLeadsTheClock() throws IOException {
    Path ids = dir.resolve("ids");
    assertThat(ids).doesNotExist();
    String first = spool.newId();
    String reserved = Files.readString(ids).strip();
    assertThat(reserved).isGreaterThan(first);
    assertThat(QueueIds.decode(reserved) >>> 20)
        .isEqualTo(clock.millis() + QueueIds.LEASE.toMillis());

    clock.advance(QueueIds.LEASE.minusMillis(1));
    for (int i = 0; i < 100; i++) {
      assertThat(spool.newId()).isLessThan(reserved);
    }
    assertThat(Files.readString(ids).strip())
        .as("not written again within the lease")
        .isEqualTo(reserved);

    clock.advance(Duration.ofMillis(1));
    String next = spool.newId();
    assertThat(Files.readString(ids).strip()).isGreaterThan(next).isGreaterThan(reserved);
    assertThat(names(dir)).doesNotContain("ids.tmp");
  }

  @Test
  void anUnreadableIdReservationKeepsTheSpoolClosed() throws IOException {
    spool.newId();
    spool.close();
    Files.writeString(dir.resolve("ids"), "garbage\n");

    assertThatThrownBy(() -> Spool.open(dir, clock))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("does not hold a queue ID");
    Files.delete(dir.resolve("ids"));
    spool = Spool.open(dir, clock);
  }

  @Test
  void idsLeadWithTheTime() throws IOException {
    QueueIds ids = new QueueIds(clock, dir.resolve("ids"));
    String a = ids.next();
    clock.advance(Duration.ofMillis(1));
    String b = ids.next();
    assertThat(QueueIds.decode(a) >>> 20).isEqualTo(clock.millis() - 1);
    assertThat(QueueIds.decode(b) >>> 20).isEqualTo(clock.millis());
  }

  @Test
  void concurrentCommitsAllLandWithDistinctIds() throws Exception {
    int writers = 50;
    int each = 10;
    Set<String> ids = ConcurrentHashMap.newKeySet();
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        fs.add(
            executor.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    ids.add(enqueue(spool, "bob@example.org", "a@example.com"));
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    }
    assertThat(ids).hasSize(writers * each);
    assertThat(spool.directorySyncs()).isLessThanOrEqualTo(writers * each);
    assertThat(new HashSet<>(names(dir.resolve("active")))).isEqualTo(ids);
    assertThat(reopen().size()).isEqualTo(writers * each);
  }

  /** Records that recipient {@code index} was delivered, in an attempt of its own. */
  private void delivered(String id, int index) throws IOException {
    spool.record(
        id,
        List.of(new Spool.Outcome(index, Status.DELIVERED, "2.0.0", "ok")),
        clock.instant(),
        clock.instant());
  }
}

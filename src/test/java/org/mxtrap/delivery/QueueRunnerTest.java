package org.mxtrap.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.queue.SpoolFixtures.enqueue;
import static org.mxtrap.queue.SpoolFixtures.names;
import static org.mxtrap.queue.SpoolFixtures.read;

import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.QueueSettings;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.observe.Event;
import org.mxtrap.queue.QueueEntry;
import org.mxtrap.queue.RecipientState.Status;
import org.mxtrap.queue.Spool;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.RecordingEvents;

class QueueRunnerTest {
  static final QueueSettings SETTINGS =
      new QueueSettings(Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofMinutes(4));

  @TempDir Path data;
  final FakeClock clock = new FakeClock();
  final RecordingEvents events = new RecordingEvents();
  Spool spool;
  MaildirDelivery maildir;
  FaultyDeliveryAgent agent;
  QueueRunner runner;

  @BeforeEach
  void setUp() throws IOException {
    spool = Spool.open(data.resolve("queue"), clock);
    maildir =
        new MaildirDelivery(
            data.resolve("mail"), "mail.example.com", List.of("example.com"), clock, 1);
    agent = new FaultyDeliveryAgent(maildir, r -> null);
    runner = new QueueRunner(spool, agent, SETTINGS, clock, "mail.example.com", events);
  }

  @AfterEach
  void tearDown() {
    runner.close();
    spool.close();
  }

  private List<String> inbox(String localPart) throws IOException {
    Path dir = data.resolve("mail").resolve("example.com").resolve(localPart).resolve("new");
    return Files.isDirectory(dir) ? names(dir) : List.of();
  }

  private String message(String localPart, int i) throws IOException {
    Path dir = data.resolve("mail").resolve("example.com").resolve(localPart).resolve("new");
    return Files.readString(dir.resolve(names(dir).get(i)));
  }

  @Test
  void deliversAndRemoves() throws Exception {
    String id = enqueue(spool, "bob@example.org", "alice@example.com", "carol@example.com");

    assertThat(runner.runDue()).isEqualTo(1);

    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("carol")).hasSize(1);
    assertThat(message("alice", 0))
        .contains("id " + id)
        .startsWith("Return-Path: <bob@example.org>\n");
    assertThat(spool.list()).isEmpty();
    assertThat(runner.runDue()).isZero();
    assertThat(events.all())
        .containsExactly(
            new Event.Delivery(id, Event.Outcome.SENT, "maildir"),
            new Event.Delivery(id, Event.Outcome.SENT, "maildir"));
  }

  @Test
  void retriesTemporaryFailuresWithADoublingBackoff() throws Exception {
    agent.script(FaultyDeliveryAgent::defer);
    String id = enqueue(spool, "bob@example.org", "alice@example.com");
    Instant t0 = clock.instant();

    List<Duration> expectedGaps =
        List.of(
            Duration.ofMinutes(1),
            Duration.ofMinutes(2),
            Duration.ofMinutes(4),
            Duration.ofMinutes(4));
    assertThat(runner.runDue()).isEqualTo(1);
    Instant due = t0;
    for (Duration gap : expectedGaps) {
      due = due.plus(gap);
      assertThat(spool.find(id).orElseThrow().nextAttempt()).isEqualTo(due);
      clock.set(due.minusMillis(1));
      assertThat(runner.runDue()).as("not yet due").isZero();
      clock.set(due);
      assertThat(runner.runDue()).isEqualTo(1);
    }
    QueueEntry e = spool.find(id).orElseThrow();
    assertThat(e.attempts()).isEqualTo(5);
    assertThat(e.recipients().get(0).dsn()).isEqualTo("4.2.2");

    agent.script(r -> null);
    clock.advance(Duration.ofMinutes(4));
    assertThat(runner.runDue()).isEqualTo(1);
    assertThat(inbox("alice")).hasSize(1);
    assertThat(spool.list()).isEmpty();
    assertThat(agent.calls).hasSize(6);
  }

  @Test
  void onlyPendingRecipientsAreTriedAgain() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("carol") ? FaultyDeliveryAgent.defer(r) : null);
    enqueue(spool, "bob@example.org", "alice@example.com", "carol@example.com");
    runner.runDue();
    agent.script(r -> null);
    clock.advance(Duration.ofMinutes(1));
    runner.runDue();

    assertThat(agent.calls.get(1).recipients())
        .extracting(ForwardPath::toString)
        .containsExactly("<carol@example.com>");
    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("carol")).hasSize(1);
  }

  @Test
  void expiresAndBouncesToTheSender() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("alice") ? FaultyDeliveryAgent.defer(r) : null);
    String id = enqueue(spool, "bob@example.com", "alice@example.com");
    runner.runDue();
    for (int i = 0; i < 20 && spool.find(id).isPresent(); i++) {
      clock.set(spool.find(id).orElseThrow().nextAttempt());
      runner.runDue();
    }

    assertThat(clock.instant()).isEqualTo(Instant.parse("2025-06-03T11:00:00Z"));
    assertThat(spool.find(id)).isEmpty();
    assertThat(inbox("alice")).isEmpty();
    assertThat(inbox("bob")).hasSize(1);
    String dsn = message("bob", 0);
    assertThat(dsn)
        .startsWith("Return-Path: <>\n")
        .contains("Content-Type: multipart/report; report-type=delivery-status;")
        .contains("Final-Recipient: rfc822; alice@example.com\nAction: failed\nStatus: 4.4.7\n")
        .contains("X-Mxtrap-Queue-ID: " + id)
        .contains("Content-Type: text/rfc822-headers\n\nSubject: hi\nFrom: bob@example.org\n\n--");
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void aPermanentFailureBouncesAtOnceAndTheRestIsDelivered() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("nobody") ? FaultyDeliveryAgent.fail(r) : null);
    enqueue(spool, "bob@example.com", "nobody@example.com", "alice@example.com");

    runner.runDue();

    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("bob")).hasSize(1);
    assertThat(message("bob", 0))
        .contains("Final-Recipient: rfc822; nobody@example.com\nAction: failed\nStatus: 5.1.1\n")
        .contains("<nobody@example.com>: no such user")
        .doesNotContain("alice@example.com>:");
    assertThat(spool.list()).isEmpty();
  }

  /**
   * The DSN read back by a real MIME parser (Jakarta Mail), as a mail client or a bounce processor
   * reads it: RFC 3464's multipart/report with its three parts, and the delivery-status part's
   * per-message and per-recipient fields parsed as header blocks.
   */
  @Test
  void aDsnParsesAsAMultipartReport() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("nobody") ? FaultyDeliveryAgent.fail(r) : null);
    enqueue(spool, "bob@example.com", "nobody@example.com");
    runner.runDue();

    Path dir = data.resolve("mail/example.com/bob/new");
    MimeMessage m;
    try (var in = Files.newInputStream(dir.resolve(names(dir).get(0)))) {
      m = new MimeMessage(Session.getInstance(new Properties()), in);
    }
    assertThat(new ContentType(m.getContentType()).getBaseType()).isEqualTo("multipart/report");
    assertThat(new ContentType(m.getContentType()).getParameter("report-type"))
        .isEqualTo("delivery-status");
    MimeMultipart report = (MimeMultipart) m.getContent();
    assertThat(report.getCount()).isEqualTo(3);
    assertThat(report.getBodyPart(0).isMimeType("text/plain")).isTrue();
    assertThat(report.getBodyPart(1).isMimeType("message/delivery-status")).isTrue();
    assertThat(report.getBodyPart(2).isMimeType("text/rfc822-headers")).isTrue();

    InternetHeaders perMessage;
    InternetHeaders perRecipient;
    try (var in = ((MimeBodyPart) report.getBodyPart(1)).getInputStream()) {
      perMessage = new InternetHeaders(in); // ends at the blank line (RFC 3464 2.1)
      perRecipient = new InternetHeaders(in);
    }
    assertThat(perMessage.getHeader("Reporting-MTA", null)).startsWith("dns; ");
    assertThat(perRecipient.getHeader("Final-Recipient", null))
        .isEqualTo("rfc822; nobody@example.com");
    assertThat(perRecipient.getHeader("Action", null)).isEqualTo("failed");
    assertThat(perRecipient.getHeader("Status", null)).isEqualTo("5.1.1");
  }

  @Test
  void neverBouncesABounce() throws Exception {
    agent.script(FaultyDeliveryAgent::fail);
    String id = enqueue(spool, "", "alice@example.com");
    List<String> committed = new java.util.ArrayList<>();
    spool.onCommit(committed::add);

    runner.runDue();

    assertThat(spool.list()).isEmpty();
    assertThat(committed).isEmpty();
    assertThat(agent.calls).extracting(DeliveryAgent.Delivery::queueId).containsExactly(id);
  }

  @Test
  void aDsnToARemoteSenderWaitsUntilExpiryAndIsThenDropped() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("nobody") ? FaultyDeliveryAgent.fail(r) : null);
    String id = enqueue(spool, "bob@example.org", "nobody@example.com");
    runner.runDue();

    QueueEntry dsn = spool.list().get(0);
    assertThat(dsn.id()).isNotEqualTo(id);
    assertThat(dsn.envelope().reversePath().isNull()).isTrue();
    assertThat(dsn.recipients().get(0).dsn()).isEqualTo("4.4.4");
    assertThat(read(spool.content(dsn.id()))).contains("Status: 5.1.1");

    for (int i = 0; i < 20 && !spool.list().isEmpty(); i++) {
      clock.set(spool.list().get(0).nextAttempt());
      runner.runDue();
    }
    assertThat(spool.list()).isEmpty();
    assertThat(clock.instant()).isEqualTo(dsn.arrival().plus(SETTINGS.maxAge()));
  }

  @Test
  void aNewRunnerOverTheSameSpoolDeliversWhatIsLeft() throws Exception {
    String first = enqueue(spool, "bob@example.org", "alice@example.com");
    String second = enqueue(spool, "bob@example.org", "alice@example.com", "carol@example.com");
    spool.record(
        second,
        List.of(new Spool.Outcome(0, Status.DELIVERED, "2.0.0", "delivered before the crash")),
        clock.instant(),
        clock.instant());
    runner.close();
    spool.close();

    spool = Spool.open(data.resolve("queue"), clock);
    agent = new FaultyDeliveryAgent(maildir, r -> null);
    runner = new QueueRunner(spool, agent, SETTINGS, clock, "mail.example.com", events);
    runner.runDue();

    assertThat(agent.calls)
        .extracting(d -> d.queueId() + " " + d.recipients())
        .containsExactlyInAnyOrder(
            first + " [<alice@example.com>]", second + " [<carol@example.com>]");
    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("carol")).hasSize(1);
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void anAgentThatThrowsDefersEveryone() throws Exception {
    DeliveryAgent broken =
        d -> {
          throw new IOException("disk on fire");
        };
    runner.close();
    runner = new QueueRunner(spool, broken, SETTINGS, clock, "mail.example.com", events);
    String id = enqueue(spool, "bob@example.org", "alice@example.com");

    runner.runDue();

    QueueEntry e = spool.find(id).orElseThrow();
    assertThat(e.attempts()).isEqualTo(1);
    assertThat(e.recipients().get(0).dsn()).isEqualTo("4.3.0");
  }

  /** Delivers a queued message straight to the Maildir, as a process that then crashed did. */
  private void deliveredBeforeTheCrash(String id) throws IOException {
    QueueEntry e = spool.find(id).orElseThrow();
    maildir.deliver(
        new DeliveryAgent.Delivery(
            id,
            e.envelope(),
            e.trace(),
            e.envelope().recipients(),
            () -> spool.content(id),
            DeliveryAgent.Prior.NONE));
  }

  /** Closes the runner and the spool and opens both again, as a restart does. */
  private void restart() throws IOException {
    runner.close();
    spool.close();
    spool = Spool.open(data.resolve("queue"), clock);
    agent = new FaultyDeliveryAgent(maildir, r -> null);
    runner = new QueueRunner(spool, agent, SETTINGS, clock, "mail.example.com", events);
  }

  @Test
  void aMessageRecoveredAtStartWhoseCopyIsInTheMaildirIsNotDeliveredAgain() throws Exception {
    String id = enqueue(spool, "bob@example.org", "alice@example.com", "carol@example.com");
    deliveredBeforeTheCrash(id); // ... and killed before the queue file was removed
    restart();

    assertThat(runner.runDue()).isEqualTo(1);

    assertThat(agent.calls)
        .singleElement()
        .satisfies(d -> assertThat(d.prior()).isEqualTo(DeliveryAgent.Prior.UNKNOWN));
    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("carol")).hasSize(1);
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void aCopyAMailReaderMovedToCurMeanwhileIsFoundToo() throws Exception {
    String id = enqueue(spool, "bob@example.org", "alice@example.com");
    deliveredBeforeTheCrash(id);
    Path alice = data.resolve("mail").resolve("example.com").resolve("alice");
    String name = inbox("alice").get(0);
    Files.move(alice.resolve("new").resolve(name), alice.resolve("cur").resolve(name + ":2,S"));
    restart();

    runner.runDue();

    assertThat(inbox("alice")).isEmpty();
    assertThat(names(alice.resolve("cur"))).containsExactly(name + ":2,S");
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void aRecoveredMessageNotYetDeliveredIsDeliveredOnce() throws Exception {
    enqueue(spool, "bob@example.org", "alice@example.com");
    restart();

    runner.runDue();

    assertThat(inbox("alice")).hasSize(1);
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void aMessageCommittedWhileTheRunnerListensIsNotLookedFor() throws Exception {
    agent.script(FaultyDeliveryAgent::defer);
    enqueue(spool, "bob@example.org", "alice@example.com");
    runner.runDue();
    agent.script(r -> null);
    clock.advance(Duration.ofMinutes(1));
    runner.runDue();

    assertThat(agent.calls)
        .extracting(DeliveryAgent.Delivery::prior)
        .containsExactly(DeliveryAgent.Prior.NONE, DeliveryAgent.Prior.NONE);
    assertThat(inbox("alice")).hasSize(1);
  }

  @Test
  void anAttemptWhoseOutcomeWasNotRecordedIsLookedForNextTime() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("carol") ? FaultyDeliveryAgent.defer(r) : null);
    String id = enqueue(spool, "bob@example.org", "alice@example.com", "carol@example.com");
    // The state log cannot be written: alice is delivered, but that is not recorded.
    Path state = data.resolve("queue").resolve("state");
    Files.delete(state);
    Files.writeString(state, "in the way");
    runner.runDue();
    assertThat(inbox("alice")).hasSize(1);
    assertThat(spool.find(id).orElseThrow().attempts()).isZero();

    Files.delete(state);
    Files.createDirectory(state);
    agent.script(r -> null);
    assertThat(runner.runDue()).as("held back for the shortest backoff").isZero();
    clock.advance(SETTINGS.minBackoff());
    assertThat(runner.runDue()).isEqualTo(1);

    assertThat(agent.calls)
        .extracting(DeliveryAgent.Delivery::prior)
        .containsExactly(DeliveryAgent.Prior.NONE, DeliveryAgent.Prior.UNKNOWN);
    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("carol")).hasSize(1);
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void afterAnAgentThrewTheNextAttemptLooks() throws Exception {
    List<DeliveryAgent.Prior> priors = new java.util.concurrent.CopyOnWriteArrayList<>();
    runner.close();
    runner =
        new QueueRunner(
            spool,
            d -> {
              priors.add(d.prior());
              if (priors.size() == 1) {
                throw new IllegalStateException("bug after writing a copy");
              }
              return maildir.deliver(d);
            },
            SETTINGS,
            clock,
            "mail.example.com",
            events);
    enqueue(spool, "bob@example.org", "alice@example.com");
    runner.runDue();
    clock.advance(Duration.ofMinutes(1));
    runner.runDue();

    assertThat(priors).containsExactly(DeliveryAgent.Prior.NONE, DeliveryAgent.Prior.UNKNOWN);
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void theBackgroundLoopWakesOnCommit() throws Exception {
    CountDownLatch delivered = new CountDownLatch(1);
    runner.close();
    runner =
        new QueueRunner(
            spool,
            d -> {
              List<RecipientResult> r = maildir.deliver(d);
              delivered.countDown();
              return r;
            },
            SETTINGS,
            clock,
            "mail.example.com",
            events,
            4,
            Duration.ofSeconds(5));
    runner.start();

    enqueue(spool, "bob@example.org", "alice@example.com");

    assertThat(delivered.await(10, TimeUnit.SECONDS)).isTrue();
    runner.close();
    assertThat(inbox("alice")).hasSize(1);
  }

  @Test
  void flushMakesDeferredMessagesDueNow() throws Exception {
    agent.script(FaultyDeliveryAgent::defer);
    enqueue(spool, "bob@example.org", "alice@example.com");
    runner.runDue();
    agent.script(r -> null);
    assertThat(runner.runDue()).isZero();

    runner.flush();

    assertThat(runner.runDue()).isEqualTo(1);
    assertThat(inbox("alice")).hasSize(1);
  }

  @Test
  void backoffDoublesFromMinToMax() {
    assertThat(List.of(1, 2, 3, 4, 5, 40).stream().map(runner::backoff).toList())
        .containsExactly(
            Duration.ofMinutes(1),
            Duration.ofMinutes(2),
            Duration.ofMinutes(4),
            Duration.ofMinutes(4),
            Duration.ofMinutes(4),
            Duration.ofMinutes(4));
  }
}

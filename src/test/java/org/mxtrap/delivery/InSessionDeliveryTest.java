package org.mxtrap.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxtrap.queue.SpoolFixtures.enqueue;
import static org.mxtrap.queue.SpoolFixtures.envelope;
import static org.mxtrap.queue.SpoolFixtures.names;
import static org.mxtrap.queue.SpoolFixtures.read;
import static org.mxtrap.queue.SpoolFixtures.trace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.MessageSink;
import org.mxtrap.observe.Event;
import org.mxtrap.queue.MessageSinkContract;
import org.mxtrap.queue.QueueEntry;
import org.mxtrap.queue.Spool;
import org.mxtrap.testing.FakeClock;
import org.mxtrap.testing.RecordingEvents;

class InSessionDeliveryTest extends MessageSinkContract {
  @TempDir Path data;
  final FakeClock clock = new FakeClock();
  final RecordingEvents events = new RecordingEvents();
  Spool spool;
  final MessageMemory memory = new MessageMemory(1 << 20);
  FaultyDeliveryAgent agent;
  InSessionDelivery sink;

  @BeforeEach
  void setUp() throws IOException {
    spool = Spool.open(data.resolve("queue"), clock);
    MaildirDelivery maildir =
        new MaildirDelivery(
            data.resolve("mail"), "mail.example.com", List.of("example.com"), clock, 1);
    agent = new FaultyDeliveryAgent(maildir, r -> null);
    sink = new InSessionDelivery(spool, agent, clock, 1024, memory, events);
  }

  @AfterEach
  void tearDown() {
    spool.close();
  }

  @Override
  protected MessageSink sink() {
    return sink;
  }

  /** The queued message, or the delivered copy whose Received header names the ID. */
  @Override
  protected Optional<String> stored(String id) throws IOException {
    if (spool.find(id).isPresent()) {
      return Optional.of(read(spool.content(id)).replace("\r\n", "\n"));
    }
    for (Path f : delivered()) {
      String text = Files.readString(f);
      if (text.contains("id " + id)) {
        return Optional.of(text);
      }
    }
    return Optional.empty();
  }

  @Override
  protected int storedCount() throws IOException {
    return spool.size() + delivered().size();
  }

  private List<Path> delivered() throws IOException {
    Path mail = data.resolve("mail");
    if (!Files.isDirectory(mail)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(mail)) {
      return files
          .filter(
              f -> Files.isRegularFile(f) && f.getParent().getFileName().toString().equals("new"))
          .toList();
    }
  }

  private List<String> inbox(String localPart) throws IOException {
    Path dir = data.resolve("mail").resolve("example.com").resolve(localPart).resolve("new");
    return Files.isDirectory(dir) ? names(dir) : List.of();
  }

  private String message(String localPart) throws IOException {
    Path dir = data.resolve("mail").resolve("example.com").resolve(localPart).resolve("new");
    return Files.readString(dir.resolve(names(dir).get(0)));
  }

  private static String body(int octets) {
    return "Subject: big\r\n\r\n" + "x".repeat(octets) + "\r\n";
  }

  @Test
  void aSmallMessageIsDeliveredBeforeTheCommitReturnsAndNeverQueued() throws Exception {
    String id = enqueue(sink, "bob@example.org", "alice@example.com", "carol@example.com");

    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("carol")).hasSize(1);
    assertThat(message("alice"))
        .startsWith("Return-Path: <bob@example.org>\n")
        .contains("id " + id)
        .endsWith("Hello.\n");
    assertThat(spool.list()).isEmpty();
    assertThat(Files.list(data.resolve("queue").resolve("active"))).isEmpty();
  }

  @Test
  void aMessageLargerThanTheLimitIsQueuedWholeUnderItsId() throws Exception {
    String content = body(5000);

    String id = enqueue(sink, envelope("bob@example.org", "alice@example.com"), trace(), content);

    assertThat(agent.calls).isEmpty();
    assertThat(inbox("alice")).isEmpty();
    QueueEntry e = spool.find(id).orElseThrow();
    assertThat(e.size()).isEqualTo(content.length());
    assertThat(read(spool.content(id))).isEqualTo(content);
  }

  @Test
  void aMessageForWhichTheMemoryBudgetHasNoRoomIsQueued() throws Exception {
    InSessionDelivery starved =
        new InSessionDelivery(spool, agent, clock, 1024, new MessageMemory(0), events);

    String id = enqueue(starved, "bob@example.org", "alice@example.com");

    assertThat(agent.calls).isEmpty();
    assertThat(spool.find(id)).isPresent();
    assertThat(read(spool.content(id))).contains("Hello.");
  }

  @Test
  void heldMessagesShareTheBudgetAndGiveItBack() throws Exception {
    MessageMemory small = new MessageMemory(8192);
    InSessionDelivery shared = new InSessionDelivery(spool, agent, clock, 65536, small, events);
    MessageSink.Incoming first =
        shared.open(envelope("bob@example.org", "alice@example.com"), trace());
    first.content().write("x".repeat(100).getBytes(StandardCharsets.US_ASCII));
    assertThat(small.used()).isEqualTo(8192);
    MessageSink.Incoming second =
        shared.open(envelope("bob@example.org", "carol@example.com"), trace());
    second.content().write("y".repeat(100).getBytes(StandardCharsets.US_ASCII));
    String secondId = second.commit(); // found no room: spooled, not held

    assertThat(spool.find(secondId)).isPresent();
    first.commit();
    assertThat(inbox("alice")).hasSize(1);
    assertThat(small.used()).isZero();

    MessageSink.Incoming third =
        shared.open(envelope("bob@example.org", "dave@example.com"), trace());
    third.content().write("z".repeat(100).getBytes(StandardCharsets.US_ASCII));
    third.abort();
    assertThat(small.used()).isZero();
  }

  @Test
  void aMessageOfExactlyTheLimitIsDeliveredInSession() throws Exception {
    String content = body(1024 - body(0).length());

    enqueue(sink, envelope("bob@example.org", "alice@example.com"), trace(), content);

    assertThat(inbox("alice")).hasSize(1);
    assertThat(spool.list()).isEmpty();
  }

  @Test
  void recipientsNotDeliveredAreQueuedAloneUnderTheSameId() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("carol") ? FaultyDeliveryAgent.defer(r) : null);

    String id = enqueue(sink, "bob@example.org", "alice@example.com", "carol@example.com");

    assertThat(inbox("alice")).hasSize(1);
    assertThat(inbox("carol")).isEmpty();
    QueueEntry e = spool.find(id).orElseThrow();
    assertThat(e.envelope().recipients())
        .extracting(r -> r.mailbox().localPart())
        .containsExactly("carol");
    assertThat(e.envelope().reversePath().toString()).isEqualTo("<bob@example.org>");
    assertThat(read(spool.content(id))).contains("Hello.");
  }

  @Test
  void eachRecipientsResultAndTheAcceptedMessageAreEvents() throws Exception {
    agent.script(
        r -> r.mailbox().localPart().equals("carol") ? FaultyDeliveryAgent.defer(r) : null);

    String id = enqueue(sink, "bob@example.org", "alice@example.com", "carol@example.com");

    assertThat(events.all())
        .containsExactly(
            new Event.Delivery(id, Event.Outcome.SENT, "maildir"),
            new Event.Delivery(id, Event.Outcome.DEFERRED, "fake"),
            new Event.MessageAccepted(id, 2, read(spool.content(id)).length()));
  }

  @Test
  void anAgentThatThrowsLeavesEveryRecipientQueued() throws Exception {
    InSessionDelivery broken =
        new InSessionDelivery(
            spool,
            d -> {
              throw new IOException("disk on fire");
            },
            clock,
            1024,
            memory,
            events);

    String id = enqueue(broken, "bob@example.org", "alice@example.com", "carol@example.com");

    assertThat(spool.find(id).orElseThrow().envelope().recipients()).hasSize(2);
  }

  @Test
  void aFailureToQueueTheRestFailsTheCommit() throws Exception {
    agent.script(FaultyDeliveryAgent::defer);
    MessageSink.Incoming in = sink.open(envelope("bob@example.org", "alice@example.com"), trace());
    in.content().write("Hello.\r\n".getBytes(StandardCharsets.US_ASCII));
    spool.close();

    assertThatThrownBy(in::commit).isInstanceOf(IOException.class);
  }

  @Test
  void abortLeavesNothingBehindHeldOrQueued() throws Exception {
    try (MessageSink.Incoming small =
            sink.open(envelope("bob@example.org", "alice@example.com"), trace());
        MessageSink.Incoming big =
            sink.open(envelope("bob@example.org", "alice@example.com"), trace())) {
      small.content().write("Hello.\r\n".getBytes(StandardCharsets.US_ASCII));
      big.content().write(body(5000).getBytes(StandardCharsets.US_ASCII));
    } // closing aborts

    assertThat(agent.calls).isEmpty();
    assertThat(inbox("alice")).isEmpty();
    assertThat(Files.list(data.resolve("queue").resolve("active"))).isEmpty();
  }

  @Test
  void idsAreUniqueAcrossBothPaths() throws Exception {
    String delivered = enqueue(sink, "bob@example.org", "alice@example.com");
    String queued = enqueue(spool, "bob@example.org", "alice@example.com");

    assertThat(delivered).isNotEqualTo(queued);
    assertThat(delivered.compareTo(queued)).isNegative();
  }
}

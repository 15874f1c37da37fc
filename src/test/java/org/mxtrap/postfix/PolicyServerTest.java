package org.mxtrap.postfix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxtrap.core.Action;
import org.mxtrap.core.Admission;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Sender;
import org.mxtrap.core.Verdict;
import org.mxtrap.testing.FakeClock;

/** Transcripts of the policy protocol over real sockets, against a recording fake engine. */
class PolicyServerTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final LayoutEntry PRIMARY =
      new LayoutEntry(10, "mx.example.test", LOOPBACK, 25, Role.PRIMARY);
  private static final LayoutEntry TRAP =
      new LayoutEntry(30, "mx3.example.test", LOOPBACK, 2526, Role.TRAP);
  private static final PolicyServer.Bounds SHORT =
      new PolicyServer.Bounds(4, Duration.ofSeconds(5), Duration.ofMillis(500), 100, 10, 400);

  private final RecordingAdmission engine = new RecordingAdmission();
  private PolicyServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void answersSeveralRequestsOnOneConnectionAndIgnoresUnknownAttributes() throws IOException {
    engine.answer = new Decision(Verdict.MX_SKIP, Action.TEMPFAIL, "trap", null);
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      send(c, request("a1", "192.0.2.7", 2526) + "future_attribute=x=y\n\n");
      assertThat(read(c)).isEqualTo("action=DEFER_IF_PERMIT 4.7.1 text for mx-skip\n\n");
      engine.answer = Decision.accept("fine");
      send(c, request("a2", "192.0.2.8", 25) + "\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
    }
    assertThat(engine.contacts)
        .extracting(Contact::entry, Contact::local)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(TRAP, new InetSocketAddress(LOOPBACK, 2526)),
            org.assertj.core.groups.Tuple.tuple(PRIMARY, new InetSocketAddress(LOOPBACK, 25)));
  }

  @Test
  void mapsAcceptAndRejectAndTarpit() throws IOException {
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      engine.answer = Decision.accept("fine");
      send(c, request("s1", "192.0.2.1", 25) + "\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
      engine.answer = new Decision(Verdict.SUPPRESSED, Action.REJECT, "suppressed", null);
      send(c, request("s2", "192.0.2.2", 25) + "\n");
      assertThat(read(c)).isEqualTo("action=REJECT 5.7.1 text for suppressed\n\n");
      engine.answer = new Decision(Verdict.SUPPRESSED, Action.TARPIT, "suppressed", null);
      send(c, request("s3", "192.0.2.3", 25) + "\n");
      assertThat(read(c)).isEqualTo("action=DEFER_IF_PERMIT 4.7.1 text for suppressed\n\n");
    }
  }

  @Test
  void oneContactPerSessionInstance() throws IOException {
    engine.answer = new Decision(Verdict.MX_SKIP, Action.TEMPFAIL, "trap", null);
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      for (String state : List.of("CONNECT", "RCPT", "RCPT", "DATA")) {
        send(c, request("same", "192.0.2.9", 2526) + "protocol_state=" + state + "\n\n");
        assertThat(read(c)).startsWith("action=DEFER_IF_PERMIT 4.7.1");
        engine.answer = Decision.accept("would serve now");
      }
    }
    assertThat(engine.contacts).hasSize(1);
  }

  @ParameterizedTest(name = "engine decides from memory: {0}")
  @ValueSource(booleans = {false, true})
  void aClientThatSendsAheadIsAnsweredInOrder(boolean fromMemory) throws IOException {
    engine.fromMemory = fromMemory;
    engine.answer = new Decision(Verdict.SUPPRESSED, Action.REJECT, "suppressed", null);
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      // Three requests in one write: the second of the same session, the third of another.
      send(
          c,
          request("p1", "192.0.2.1", 25)
              + "\n"
              + request("p1", "192.0.2.1", 25)
              + "\n"
              + request("p2", "192.0.2.1", 587)
              + "\n");
      assertThat(read(c)).isEqualTo("action=REJECT 5.7.1 text for suppressed\n\n");
      assertThat(read(c)).isEqualTo("action=REJECT 5.7.1 text for suppressed\n\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
    }
    assertThat(engine.contacts).hasSize(1);
  }

  @Test
  void anEngineThatDecidesFromMemoryIsAskedOnTheEventLoop() throws IOException {
    engine.fromMemory = true;
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      send(c, request("m1", "192.0.2.1", 25) + "\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
    }
    assertThat(engine.threads).singleElement().asString().startsWith("policy-loop-");
  }

  @Test
  void theEngineHearsTheHeloNameAndTheSenderPostfixReported() throws IOException {
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      send(
          c,
          request("h1", "192.0.2.1", 2526)
              + "helo_name=mail.pool.example\nsender=b@pool.example\n\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
      send(c, request("h2", "192.0.2.2", 2526) + "helo_name=\nsender=\n\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
    }
    assertThat(engine.senders)
        .containsExactly(new Sender("mail.pool.example", "b@pool.example"), Sender.NONE);
  }

  @Test
  void noLayoutEntryIsDunnoWithoutAContact() throws IOException {
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      send(c, request("x", "192.0.2.1", 587) + "\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
    }
    assertThat(engine.contacts).isEmpty();
  }

  @Test
  void malformedRequestsAreDeferredAndClosed() throws IOException {
    SocketAddress at = start(SHORT, Duration.ofSeconds(5));
    for (String bad :
        List.of(
            "request=smtpd_access_policy\nno equals sign here\n\n",
            "protocol_state=RCPT\ninstance=1\nclient_address=192.0.2.1\nserver_address=127.0.0.1"
                + "\nserver_port=25\n\n",
            request("i", "not-an-address", 25) + "\n",
            "request=smtpd_access_policy\ninstance=1\nclient_address=192.0.2.1\nserver_port=25\n\n",
            request("i", "192.0.2.1", 70_000) + "\n",
            "=value\n\n")) {
      try (SocketChannel c = connect(at)) {
        send(c, bad);
        assertThat(read(c)).as(bad).isEqualTo("action=" + Actions.MALFORMED + "\n\n");
        assertThat(readToEnd(c)).as(bad).isEmpty();
      }
    }
    assertThat(engine.contacts).isEmpty();
  }

  @Test
  void aHugeAttributeIsRefusedAtTheLineBound() throws IOException {
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      byte[] huge = new byte[1024 * 1024];
      java.util.Arrays.fill(huge, (byte) 'a');
      send(c, "request=smtpd_access_policy\nsender=");
      // The server answers after 100 octets and closes; the rest of the megabyte may be refused.
      try {
        c.write(ByteBuffer.wrap(huge));
      } catch (IOException e) {
        // closed under our feet: expected
      }
      assertThat(read(c)).isEqualTo("action=" + Actions.MALFORMED + "\n\n");
    }
  }

  @Test
  void tooManyAttributesOrOctetsInARequestAreRefused() throws IOException {
    SocketAddress at = start(SHORT, Duration.ofSeconds(5));
    try (SocketChannel c = connect(at)) {
      StringBuilder eleven = new StringBuilder();
      for (int i = 0; i < 11; i++) {
        eleven.append('a').append(i).append("=1\n");
      }
      send(c, eleven + "\n");
      assertThat(read(c)).isEqualTo("action=" + Actions.MALFORMED + "\n\n");
    }
    try (SocketChannel c = connect(at)) {
      send(c, ("a=" + "x".repeat(90) + "\n").repeat(5) + "\n");
      assertThat(read(c)).isEqualTo("action=" + Actions.MALFORMED + "\n\n");
    }
  }

  @Test
  void aClientSendingOneOctetAtATimeIsCutAtTheRequestDeadline() throws Exception {
    try (SocketChannel c = connect(start(SHORT, Duration.ofSeconds(5)))) {
      long began = System.nanoTime();
      byte[] request = (request("slow", "192.0.2.1", 25) + "\n").getBytes(UTF_8);
      int sent = 0;
      try {
        for (byte b : request) {
          c.write(ByteBuffer.wrap(new byte[] {b}));
          sent++;
          Thread.sleep(100); // the pace of the slow client, not an ordering
        }
      } catch (IOException e) {
        // cut while it was still sending
      }
      assertThat(readToEnd(c)).isEmpty();
      assertThat(sent).isLessThan(request.length);
      assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(4));
    }
    assertThat(engine.contacts).isEmpty();
  }

  @Test
  void anIdleConnectionIsClosed() throws IOException {
    PolicyServer.Bounds idle =
        new PolicyServer.Bounds(4, Duration.ofMillis(300), Duration.ofSeconds(5), 100, 10, 400);
    try (SocketChannel c = connect(start(idle, Duration.ofSeconds(5)))) {
      assertThat(readToEnd(c)).isEmpty();
    }
  }

  @Test
  void theDefaultActionWhenTheEngineIsLate() throws Exception {
    engine.answer = new Decision(Verdict.MX_SKIP, Action.TEMPFAIL, "trap", null);
    engine.hold = new CountDownLatch(1);
    try (SocketChannel c = connect(start(SHORT, Duration.ofMillis(200)))) {
      send(c, request("late", "192.0.2.1", 2526) + "\n");
      assertThat(read(c)).isEqualTo("action=451 4.3.0 try later\n\n");
      engine.hold.countDown();
      // The decision lands for the session's later requests, once.
      send(c, request("late", "192.0.2.1", 2526) + "\n");
      assertThat(read(c)).isEqualTo("action=DEFER_IF_PERMIT 4.7.1 text for mx-skip\n\n");
    }
    assertThat(engine.contacts).hasSize(1);
  }

  @Test
  void connectionsOverTheBoundAreClosedAtOnce() throws IOException {
    SocketAddress at = start(SHORT, Duration.ofSeconds(5));
    List<SocketChannel> held = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < SHORT.maxConnections(); i++) {
        SocketChannel c = connect(at);
        held.add(c);
        send(c, request("h" + i, "192.0.2.1", 25) + "\n");
        assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
      }
      try (SocketChannel extra = connect(at)) {
        assertThat(readToEnd(extra)).isEmpty();
      }
    } finally {
      for (SocketChannel c : held) {
        c.close();
      }
    }
  }

  @Test
  void servesOnAUnixSocketReplacingAStaleOne(@TempDir Path dir) throws IOException {
    Path socket = dir.resolve("policy.sock");
    // A stale socket: bound, then its server gone.
    try (var stale =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      stale.bind(UnixDomainSocketAddress.of(socket));
    }
    assertThat(socket).exists();
    server =
        new PolicyServer(
            settings(UnixDomainSocketAddress.of(socket), SHORT, Duration.ofSeconds(5)),
            engine,
            d -> "text for " + d.verdict().label(),
            new FakeClock(Instant.parse("2026-01-01T00:00:00Z")));
    server.start();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
        .isEqualTo("rw-rw----");
    try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      send(c, request("u", "192.0.2.1", 25) + "\n");
      assertThat(read(c)).isEqualTo("action=DUNNO\n\n");
    }
    server.close();
    assertThat(socket).doesNotExist();
  }

  @Test
  void refusesToReplaceAFileThatIsNoSocket(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("policy.sock"), "keep me");
    PolicyServer s =
        new PolicyServer(
            settings(UnixDomainSocketAddress.of(file), SHORT, Duration.ofSeconds(5)),
            engine,
            d -> "",
            new FakeClock());
    org.assertj.core.api.Assertions.assertThatThrownBy(s::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a socket");
    assertThat(file).hasContent("keep me");
  }

  // ---- harness ------------------------------------------------------------------------------

  private SocketAddress start(PolicyServer.Bounds bounds, Duration timeout) throws IOException {
    server =
        new PolicyServer(
            settings(new InetSocketAddress(LOOPBACK, 0), bounds, timeout),
            engine,
            d -> "text for " + d.verdict().label(),
            new FakeClock(Instant.parse("2026-01-01T00:00:00Z")));
    server.start();
    return server.boundAddress();
  }

  private static PolicyServer.Settings settings(
      SocketAddress bind, PolicyServer.Bounds bounds, Duration timeout) {
    return new PolicyServer.Settings(
        bind, new Layout(List.of(PRIMARY, TRAP)), "451 4.3.0 try later", timeout, bounds);
  }

  /** The attributes Postfix sends that the engine reads, without the ending empty line. */
  private static String request(String instance, String client, int serverPort) {
    return "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
        + "instance="
        + instance
        + "\nclient_address="
        + client
        + "\nclient_name=unknown\nserver_address=127.0.0.1\nserver_port="
        + serverPort
        + "\n";
  }

  private static SocketChannel connect(SocketAddress at) throws IOException {
    SocketChannel c = SocketChannel.open(at);
    c.socket().setSoTimeout(10_000);
    return c;
  }

  private static void send(SocketChannel c, String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(UTF_8));
    while (b.hasRemaining()) {
      c.write(b);
    }
  }

  /** One answer: up to and with the empty line. */
  private static String read(SocketChannel c) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (!out.toString(UTF_8).endsWith("\n\n")) {
      one.clear();
      if (c.read(one) < 0) {
        break;
      }
      out.write(one.array(), 0, 1);
    }
    return out.toString(UTF_8);
  }

  /** Everything until the server closes (a reset counts as closed). */
  private static String readToEnd(SocketChannel c) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(4096);
    try {
      while (c.read(b.clear()) >= 0) {
        out.write(b.array(), 0, b.position());
      }
    } catch (IOException e) {
      // reset: closed
    }
    return out.toString(UTF_8);
  }

  /** Answers {@link #answer} to every contact it records, after {@link #hold} opens. */
  private static final class RecordingAdmission implements Admission {
    final List<Contact> contacts = new CopyOnWriteArrayList<>();
    volatile Decision answer = Decision.accept("fine");
    final List<String> threads = new CopyOnWriteArrayList<>();
    final List<Sender> senders = new CopyOnWriteArrayList<>();
    volatile CountDownLatch hold = new CountDownLatch(0);
    volatile boolean fromMemory;

    @Override
    public boolean decidesFromMemory() {
      return fromMemory;
    }

    @Override
    public Decision connect(Contact contact, Sender sender) {
      senders.add(sender);
      return connect(contact);
    }

    @Override
    public Decision connect(Contact contact) {
      contacts.add(contact);
      threads.add(Thread.currentThread().getName());
      try {
        hold.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return answer;
    }

    @Override
    public Decision earlyTalker(Contact contact) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Decision dictionary(Contact contact, int unknownRecipients) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Decision relayed(Contact contact) {
      throw new UnsupportedOperationException();
    }
  }
}

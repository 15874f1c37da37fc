package org.mxtrap.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mxtrap.smtp.Sessions.HOST;
import static org.mxtrap.smtp.Sessions.SETTINGS;
import static org.mxtrap.smtp.Sessions.transcript;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Action;
import org.mxtrap.core.Decision;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.core.ReversePath;
import org.mxtrap.core.Sender;
import org.mxtrap.core.Verdict;
import org.mxtrap.testing.FakeChunkedInputStream;
import org.slf4j.LoggerFactory;

class SmtpSessionTest {

  private final RecordingMessageSink sink = new RecordingMessageSink();

  private static final String EHLO_LINES =
      """
      S: 250-mail.example.test
      S: 250-PIPELINING
      S: 250-SIZE 10000
      S: 250-8BITMIME
      S: 250-ENHANCEDSTATUSCODES
      S: 250 SMTPUTF8
      """;

  @Test
  void deliversOneMessage() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: EHLO client.test
        """
            + EHLO_LINES
            + """
        C: MAIL FROM:<alice@sender.test> SIZE=100
        S: 250 2.1.0 Ok
        C: RCPT TO:<Bob@Example.TEST>
        S: 250 2.1.5 Ok
        C: RCPT TO:<carol@example.org>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: Subject: hi
        C:
        C: ..leading dot
        C: .
        S: 250 2.0.0 Ok: queued as 4Q1
        C: QUIT
        S: 221 2.0.0 Bye
        """);
    assertThat(sink.committed()).hasSize(1);
    RecordingMessageSink.Message m = sink.opened.get(0);
    assertThat(m.text()).isEqualTo("Subject: hi\r\n\r\n.leading dot\r\n");
    assertThat(m.envelope.reversePath())
        .isEqualTo(new ReversePath(new Mailbox("alice", "sender.test")));
    assertThat(m.envelope.recipients())
        .containsExactly(
            new ForwardPath(new Mailbox("Bob", "example.test")),
            new ForwardPath(new Mailbox("carol", "example.org")));
    assertThat(m.envelope.bodyType()).isEqualTo("7BIT");
    assertThat(m.trace.protocol()).isEqualTo("ESMTP");
    assertThat(m.trace.helo()).isEqualTo("client.test");
    assertThat(m.trace.client()).isEqualTo(Sessions.CLIENT.remote());
    assertThat(m.trace.entry()).isEqualTo(Sessions.CLIENT.entry());
    assertThat(m.trace.tls()).isNull();
    assertThat(m.trace.received()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
  }

  @Test
  void heloIsPlainSmtpWithoutParameters() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: HELO client.test
        S: 250 mail.example.test
        C: MAIL FROM:<> BODY=8BITMIME
        S: 555 5.5.4 Unsupported option
        C: MAIL FROM:<>
        S: 250 2.1.0 Ok
        C: RCPT TO:<postmaster@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: x
        C: .
        S: 250 2.0.0 Ok: queued as 4Q1
        C: QUIT
        S: 221 2.0.0 Bye
        """);
    assertThat(sink.opened.get(0).trace.protocol()).isEqualTo("SMTP");
    assertThat(sink.opened.get(0).envelope.reversePath().isNull()).isTrue();
  }

  @Test
  void sourceRouteOfTheReversePathIsDropped() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<@relay.test,@other.test:alice@sender.test>
        S: 250 2.1.0 Ok
        C: RCPT TO:<x@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: .
        S: 250 2.0.0 Ok: queued as 4Q1
        """);
    assertThat(sink.opened.get(0).envelope.reversePath().toString())
        .isEqualTo("<alice@sender.test>");
  }

  @Test
  void pipelinedCommandsGetTheirRepliesInOrderInOneWrite() throws IOException {
    FakeTransport t =
        FakeTransport.of(
            "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nRCPT TO:<no@else.test>\r\n"
                + "RCPT TO:<y@example.test>\r\nDATA\r\nhello\r\n.\r\nQUIT\r\n");
    Sessions.run(SETTINGS, t, sink);
    String ehlo = String.join("\r\n", Sessions.EHLO) + "\r\n";
    assertThat(t.flushes())
        .containsExactly(
            "220 mail.example.test ESMTP\r\n",
            ehlo
                + "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                + "550 5.7.1 <no@else.test>: relay access denied\r\n"
                + "250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n",
            "250 2.0.0 Ok: queued as 4Q1\r\n221 2.0.0 Bye\r\n");
    assertThat(sink.committed()).hasSize(1);
    assertThat(sink.opened.get(0).envelope.recipients()).hasSize(2);
  }

  @Test
  void repliesAreFlushedWhenTheClientWaits() throws IOException {
    // One line per read: a client that waits for each reply sees each reply on its own.
    FakeTransport t =
        new FakeTransport(
            new FakeLinePacedInputStream("EHLO c\r\nNOOP\r\nQUIT\r\n".getBytes(UTF_8)));
    Sessions.run(SETTINGS, t, sink);
    assertThat(t.flushes()).hasSize(4);
  }

  @Test
  void aReplyIsNotHeldBehindAPartialLine() throws IOException {
    // "NOOP\r\nNOO" in one read, the rest later: the NOOP's reply must not wait for the rest.
    FakeTransport t =
        new FakeTransport(
            new java.io.SequenceInputStream(
                new FakeChunkedInputStream("EHLO c\r\nNOOP\r\nNOO".getBytes(UTF_8), 1000),
                new FakeChunkedInputStream("P\r\nQUIT\r\n".getBytes(UTF_8), 1000)));
    Sessions.run(SETTINGS, t, sink);
    String ehlo = String.join("\r\n", Sessions.EHLO) + "\r\n";
    assertThat(t.flushes())
        .containsExactly(
            "220 mail.example.test ESMTP\r\n",
            ehlo + "250 2.0.0 Ok\r\n",
            "250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n");
  }

  @Test
  void theSameMailboxTwiceIsAcceptedAndDeliveredOnce() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: RCPT TO:<dup@example.test>
        S: 250 2.1.5 Ok
        C: RCPT TO:<dup@example.test>
        S: 250 2.1.5 Ok
        C: RCPT TO:<DUP@EXAMPLE.TEST>
        S: 250 2.1.5 Ok
        C: RCPT TO:<"dup"@example.test>
        S: 250 2.1.5 Ok
        C: RCPT TO:<other@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: .
        S: 250 2.0.0 Ok: queued as 4Q1
        """);
    assertThat(sink.opened.get(0).envelope.recipients())
        .extracting(r -> r.mailbox().toString())
        .containsExactly("dup@example.test", "other@example.test");
  }

  @Test
  void unknownMailboxesAre550AndADictionaryAttackEndsTheSession() throws IOException {
    Mailboxes onlyBob =
        mb ->
            mb.folded().localPart().equals("bob")
                ? Mailboxes.Answer.EXISTS
                : Mailboxes.Answer.UNKNOWN;
    SessionSettings settings =
        new SessionSettings(
            Sessions.HOST,
            List.of("example.test"),
            10_000,
            100,
            100,
            java.time.Duration.ofMinutes(5),
            500,
            3,
            List.of());
    RecordingAdmission admission = new RecordingAdmission();
    FakeTransport t =
        FakeTransport.of(
            "HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<Bob@example.test>\r\n"
                + "RCPT TO:<alice@example.test>\r\nRCPT TO:<carol@example.test>\r\n"
                + "RCPT TO:<dave@example.test>\r\nRCPT TO:<erin@example.test>\r\n");
    Sessions.run(settings, t, sink, onlyBob, admission);
    assertThat(Sessions.replyLines(t.output()))
        .containsExactly(
            "220 mail.example.test ESMTP",
            "250 mail.example.test",
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "550 5.1.1 <alice@example.test>: Recipient address rejected: User unknown",
            "550 5.1.1 <carol@example.test>: Recipient address rejected: User unknown",
            "550 5.1.1 <dave@example.test>: Recipient address rejected: User unknown",
            "421 4.7.1 mail.example.test Error: too many unknown recipients, closing connection");
    assertThat(admission.dictionaryReports).containsExactly(3);
  }

  @Test
  void everyMailFromNamesItsSenderToTheEngineButTheNullOne() throws IOException {
    RecordingAdmission admission = new RecordingAdmission();
    FakeTransport t =
        FakeTransport.of(
            "EHLO client.example.net\r\nMAIL FROM:<Bounce@Pool.Example>\r\nRSET\r\n"
                + "MAIL FROM:<>\r\nQUIT\r\n");
    Sessions.run(SETTINGS, t, new RecordingMessageSink(), Mailboxes.ANY, admission);
    assertThat(admission.identified)
        .containsExactly(new Sender("client.example.net", "Bounce@pool.example"));
    assertThat(admission.identified.get(0).mailDomain()).isEqualTo("pool.example");
  }

  /** A client of a trap whose engine decides after MAIL FROM (trap.decide_at: mail). */
  private static ClientFacts decidedAtMail() {
    ClientFacts c = Sessions.CLIENT;
    return new ClientFacts(c.remote(), c.local(), c.entry(), "s2", null, true);
  }

  private static void runDecidedAtMail(RecordingAdmission admission, FakeTransport t)
      throws IOException {
    new SmtpSession(
            SETTINGS,
            decidedAtMail(),
            new RecordingMessageSink(),
            Mailboxes.ANY,
            admission,
            Sessions.CLOCK,
            t)
        .run();
  }

  @Test
  void aClientDecidedAtMailIsAnsweredThereWithWhatTheGreetingWouldHaveSaid() throws IOException {
    RecordingAdmission admission = new RecordingAdmission();
    admission.senderDecision = new Decision(Verdict.MX_SKIP, Action.TEMPFAIL, "trap hit", null);
    FakeTransport t =
        FakeTransport.of("EHLO bot.invalid\r\nMAIL FROM:<x@spam.test>\r\nRCPT TO:<b@c.test>\r\n");
    runDecidedAtMail(admission, t);
    List<String> replies = Sessions.replyLines(t.output());
    assertThat(replies.get(replies.size() - 1))
        .isEqualTo("421 4.7.0 mail.example.test Service temporarily unavailable, try again later");
    assertThat(replies).noneMatch(r -> r.startsWith("250 2.1.0"));
    assertThat(admission.decidedWith).containsExactly(new Sender("bot.invalid", "x@spam.test"));
    assertThat(admission.identified).isEmpty();
  }

  @Test
  void aClientDecidedAtMailThatLeavesBeforeOneIsDecidedAtTheEnd() throws IOException {
    RecordingAdmission admission = new RecordingAdmission();
    runDecidedAtMail(admission, FakeTransport.of("HELO probe.invalid\r\nQUIT\r\n"));
    assertThat(admission.decidedWith).containsExactly(new Sender("probe.invalid", null));
  }

  @Test
  void aServedClientDecidedAtMailGoesOnAsAnyOther() throws IOException {
    RecordingAdmission admission = new RecordingAdmission();
    FakeTransport t =
        FakeTransport.of("EHLO mta.example.net\r\nMAIL FROM:<a@example.net>\r\nQUIT\r\n");
    runDecidedAtMail(admission, t);
    assertThat(Sessions.replyLines(t.output())).contains("250 2.1.0 Ok", "221 2.0.0 Bye");
    assertThat(admission.decidedWith)
        .containsExactly(new Sender("mta.example.net", "a@example.net"));
  }

  @Test
  void anAllowListedDictionaryClientGoesOn() throws IOException {
    RecordingAdmission admission = new RecordingAdmission();
    admission.dictionaryDecision = Decision.accept("allowed");
    SessionSettings settings =
        new SessionSettings(
            Sessions.HOST,
            List.of("example.test"),
            10_000,
            100,
            100,
            java.time.Duration.ofMinutes(5),
            500,
            1,
            List.of());
    FakeTransport t =
        FakeTransport.of("HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nQUIT\r\n");
    Sessions.run(settings, t, sink, mb -> Mailboxes.Answer.UNKNOWN, admission);
    assertThat(Sessions.replyLines(t.output()))
        .endsWith(
            "550 5.1.1 <x@example.test>: Recipient address rejected: User unknown",
            "221 2.0.0 Bye");
    assertThat(admission.dictionaryReports).containsExactly(1);
  }

  @Test
  void aMailboxThatCannotBeToldIsATemporaryRefusal() throws IOException {
    FakeTransport t =
        FakeTransport.of("HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nQUIT\r\n");
    Sessions.run(SETTINGS, t, sink, mb -> Mailboxes.Answer.CANNOT_TELL, new RecordingAdmission());
    assertThat(Sessions.replyLines(t.output()))
        .contains("450 4.1.1 <x@example.test>: Recipient address rejected: cannot verify it now");
  }

  @Test
  void rsetDropsTheTransactionButNotTheGreeting() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: EHLO c
        """
            + EHLO_LINES
            + """
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: RCPT TO:<x@example.test>
        S: 250 2.1.5 Ok
        C: RSET
        S: 250 2.0.0 Ok
        C: RCPT TO:<x@example.test>
        S: 503 5.5.1 Error: need MAIL command
        C: DATA
        S: 503 5.5.1 Error: need MAIL command
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: RSET
        S: 250 2.0.0 Ok
        C: QUIT
        S: 221 2.0.0 Bye
        """);
    assertThat(sink.opened).isEmpty();
  }

  @Test
  void sequencingErrors() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: MAIL FROM:<a@b.test>
        S: 503 5.5.1 Error: send HELO/EHLO first
        C: RCPT TO:<x@example.test>
        S: 503 5.5.1 Error: send HELO/EHLO first
        C: DATA
        S: 503 5.5.1 Error: send HELO/EHLO first
        C: RSET
        S: 250 2.0.0 Ok
        C: NOOP
        S: 250 2.0.0 Ok
        C: HELO c
        S: 250 mail.example.test
        C: RCPT TO:<x@example.test>
        S: 503 5.5.1 Error: need MAIL command
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: MAIL FROM:<a@b.test>
        S: 503 5.5.1 Error: nested MAIL command
        C: DATA
        S: 503 5.5.1 Error: need RCPT command
        C: VRFY root
        S: 252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery
        C: HELP
        S: 214 2.0.0 See RFC 5321
        C: FOO
        S: 500 5.5.1 Error: command not recognized
        C: QUIT
        S: 221 2.0.0 Bye
        """);
  }

  @Test
  void ehloInsideATransactionResetsIt() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: HELO c
        S: 250 mail.example.test
        C: RCPT TO:<x@example.test>
        S: 503 5.5.1 Error: need MAIL command
        """);
  }

  @Test
  void recipientLimitAnswers452AndKeepsTheAccepted() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: RCPT TO:<r1@example.test>
        S: 250 2.1.5 Ok
        C: RCPT TO:<r2@example.test>
        S: 250 2.1.5 Ok
        C: RCPT TO:<r3@example.test>
        S: 250 2.1.5 Ok
        C: RCPT TO:<r4@example.test>
        S: 452 4.5.3 Error: too many recipients
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: .
        S: 250 2.0.0 Ok: queued as 4Q1
        """);
    assertThat(sink.opened.get(0).envelope.recipients()).hasSize(3);
  }

  @Test
  void sizeLimitAtMailAndInData() throws IOException {
    String big = ("C: " + "x".repeat(98) + "\n").repeat(101); // 10100 octets of content
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: EHLO c
        """
            + EHLO_LINES
            + """
        C: MAIL FROM:<a@b.test> SIZE=10001
        S: 552 5.3.4 Error: message size exceeds fixed limit
        C: MAIL FROM:<a@b.test> SIZE=10000
        S: 250 2.1.0 Ok
        C: RCPT TO:<r@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        """
            + big
            + """
        C: .
        S: 552 5.3.4 Error: message size exceeds fixed limit
        C: QUIT
        S: 221 2.0.0 Bye
        """);
    assertThat(sink.opened).singleElement().satisfies(m -> assertThat(m.aborted).isTrue());
    assertThat(sink.committed()).isEmpty();
  }

  @Test
  void barePostmasterGoesToTheFirstDomain() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<>
        S: 250 2.1.0 Ok
        C: RCPT TO:<POSTMASTER>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: .
        S: 250 2.0.0 Ok: queued as 4Q1
        """);
    assertThat(sink.opened.get(0).envelope.recipients())
        .containsExactly(new ForwardPath(new Mailbox("postmaster", "example.test")));
  }

  @Test
  void utf8TransactionIsUtf8Smtp() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: EHLO c
        """
            + EHLO_LINES
            + """
        C: RCPT TO:<x@example.test>
        S: 503 5.5.1 Error: need MAIL command
        C: MAIL FROM:<jörg@bücher.test>
        S: 553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter
        C: MAIL FROM:<jörg@bücher.test> SMTPUTF8 BODY=8BITMIME
        S: 250 2.1.0 Ok
        C: RCPT TO:<用户@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: Subject: ü
        C: .
        S: 250 2.0.0 Ok: queued as 4Q1
        """);
    RecordingMessageSink.Message m = sink.opened.get(0);
    assertThat(m.trace.protocol()).isEqualTo("UTF8SMTP");
    assertThat(m.envelope.smtpUtf8()).isTrue();
    assertThat(m.envelope.bodyType()).isEqualTo("8BITMIME");
    assertThat(m.text()).isEqualTo("Subject: ü\r\n");
  }

  @Test
  void badCommandLines() throws IOException {
    FakeTransport t =
        FakeTransport.of("NOOP\nEHLO c\r\n" + "X".repeat(600) + "\r\nNO\rOP\r\nNOOP\0\r\nQUIT\r\n");
    Sessions.run(SETTINGS, t, sink);
    assertThat(Sessions.replyLines(t.output()))
        .containsExactly(
            "220 mail.example.test ESMTP",
            "500 5.5.2 Error: bare <CR> or <LF> received; use <CR><LF>",
            Sessions.EHLO.get(0),
            Sessions.EHLO.get(1),
            Sessions.EHLO.get(2),
            Sessions.EHLO.get(3),
            Sessions.EHLO.get(4),
            Sessions.EHLO.get(5),
            "500 5.5.2 Error: line too long",
            "500 5.5.2 Error: bare <CR> or <LF> received; use <CR><LF>",
            "500 5.5.2 Error: invalid characters in command",
            "221 2.0.0 Bye");
  }

  @Test
  void tooManyErrorsEndsTheSession() throws IOException {
    SessionSettings strict = Sessions.settings(HOST, List.of("example.test"), 10_000, 3, 3);
    transcript(
        strict,
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: FOO
        S: 500 5.5.1 Error: command not recognized
        C: MAIL FROM:<a@b>
        S: 503 5.5.1 Error: send HELO/EHLO first
        C: BAR
        S: 500 5.5.1 Error: command not recognized
        S: 421 4.7.0 mail.example.test Error: too many errors
        C: HELO never.answered
        """);
  }

  @Test
  void smuggledMessageStaysInsideTheRefusedOne() throws IOException {
    FakeTransport t =
        FakeTransport.of(
            "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n"
                + "Subject: first\r\n\r\nbody\n.\nMAIL FROM:<evil@spam.test>\r\n"
                + "RCPT TO:<victim@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nspam\r\n.\r\n"
                + "QUIT\r\n");
    Sessions.run(SETTINGS, t, sink);
    List<String> lines = Sessions.replyLines(t.output());
    assertThat(lines.subList(lines.size() - 4, lines.size()))
        .containsExactly(
            "250 2.1.5 Ok",
            "354 End data with <CR><LF>.<CR><LF>",
            "550 5.6.11 Error: bare <CR> or <LF> in message content; use <CR><LF>",
            "221 2.0.0 Bye");
    assertThat(sink.opened).singleElement().satisfies(m -> assertThat(m.aborted).isTrue());
  }

  @Test
  void contentViolations() throws IOException {
    FakeTransport t =
        FakeTransport.of(
            "HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\nnul\0here\r\n.\r\n"
                + "MAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n"
                + "y".repeat(1001)
                + "\r\n.\r\nQUIT\r\n");
    Sessions.run(SETTINGS, t, sink);
    assertThat(Sessions.replyLines(t.output()))
        .contains(
            "550 5.6.0 Error: NUL character in message content",
            "500 5.5.2 Error: message content line too long")
        .endsWith("221 2.0.0 Bye");
    assertThat(sink.opened).hasSize(2).allSatisfy(m -> assertThat(m.aborted).isTrue());
  }

  @Test
  void failedCommitIsATemporaryError() throws IOException {
    RecordingMessageSink faulty = new RecordingMessageSink(RecordingMessageSink.Fault.COMMIT);
    transcript(
        faulty,
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: RCPT TO:<x@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: hi
        C: .
        S: 451 4.3.0 Error: queue file write error
        C: QUIT
        S: 221 2.0.0 Bye
        """);
    assertThat(faulty.opened).singleElement().satisfies(m -> assertThat(m.aborted).isTrue());
  }

  @Test
  void failedOpenNeedsNoContent() throws IOException {
    transcript(
        new RecordingMessageSink(RecordingMessageSink.Fault.OPEN),
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: RCPT TO:<x@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 451 4.3.0 Error: queue file write error
        C: QUIT
        S: 221 2.0.0 Bye
        """);
  }

  @Test
  void startTlsDiscardsPipelinedPlaintextAndStartsOver() throws IOException {
    FakeTransport t =
        FakeTransport.of(
                "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<injected@evil.test>\r\nRCPT TO:<x@example.test>\r\n")
            .withTls(
                "MAIL FROM:<a@b.test>\r\nEHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b.test>\r\n"
                    + "RCPT TO:<x@example.test>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n");
    Sessions.run(SETTINGS, t, sink);
    List<String> lines = Sessions.replyLines(t.output());
    assertThat(lines)
        .containsExactly(
            "220 mail.example.test ESMTP",
            "250-mail.example.test",
            "250-PIPELINING",
            "250-SIZE 10000",
            "250-STARTTLS",
            "250-8BITMIME",
            "250-ENHANCEDSTATUSCODES",
            "250 SMTPUTF8",
            "220 2.0.0 Ready to start TLS",
            "503 5.5.1 Error: send HELO/EHLO first",
            Sessions.EHLO.get(0),
            Sessions.EHLO.get(1),
            Sessions.EHLO.get(2),
            Sessions.EHLO.get(3),
            Sessions.EHLO.get(4),
            Sessions.EHLO.get(5),
            "503 5.5.1 Error: TLS already active",
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Ok: queued as 4Q1",
            "221 2.0.0 Bye");
    assertThat(String.join("", t.flushes().subList(0, t.flushesBeforeHandshake())))
        .as("the 220 reached the client before the handshake")
        .endsWith("220 2.0.0 Ready to start TLS\r\n");
    RecordingMessageSink.Message m = sink.opened.get(0);
    assertThat(m.envelope.reversePath().toString()).isEqualTo("<a@b.test>");
    assertThat(m.trace.protocol()).isEqualTo("ESMTPS");
    assertThat(m.trace.tls()).isEqualTo("TLSv1.3 TLS_FAKE_WITH_NULL");
  }

  @Test
  void startTlsNotOfferedOrInsideATransaction() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: STARTTLS
        S: 502 5.5.1 Error: command not implemented
        """);
    FakeTransport t =
        FakeTransport.of("EHLO c\r\nMAIL FROM:<a@b.test>\r\nSTARTTLS\r\nQUIT\r\n").withTls("");
    Sessions.run(SETTINGS, t, sink);
    assertThat(Sessions.replyLines(t.output()))
        .contains("503 5.5.1 Error: MAIL transaction in progress")
        .endsWith("221 2.0.0 Bye");
  }

  @Test
  void failedHandshakeEndsTheSession() throws IOException {
    FakeTransport t = FakeTransport.of("EHLO c\r\nSTARTTLS\r\nQUIT\r\n").withFailingTls();
    Sessions.run(SETTINGS, t, sink);
    assertThat(Sessions.replyLines(t.output())).endsWith("220 2.0.0 Ready to start TLS");
  }

  @Test
  void aStoppingServerEndsAnIdleSessionWith421() throws IOException {
    // The client sent EHLO, then nothing: while the session waits for the second command, the
    // server stops and ends its input (here: the input simply ends).
    FakeTransport t = FakeTransport.of("EHLO c\r\n").stoppingAtWait(2);
    Sessions.run(SETTINGS, t, sink);
    assertThat(Sessions.replyLines(t.output()))
        .endsWith("421 4.3.2 mail.example.test Service shutting down, closing connection");
  }

  @Test
  void aStoppingServerReadsNoFurtherCommand() throws IOException {
    FakeTransport t =
        FakeTransport.of("EHLO c\r\nMAIL FROM:<a@b.test>\r\nQUIT\r\n").stoppingAtWait(1);
    Sessions.run(SETTINGS, t, sink);
    // The pipelined commands after EHLO were not acknowledged, so nothing is lost by not
    // reading them: RFC 5321 3.8 allows the 421 at any point.
    assertThat(Sessions.replyLines(t.output()))
        .doesNotContain("250 2.1.0 Ok", "221 2.0.0 Bye")
        .last()
        .isEqualTo("421 4.3.2 mail.example.test Service shutting down, closing connection");
  }

  @Test
  void timeoutAnswers421() throws IOException {
    FakeTransport t = new FakeTransport(timingOutAfter("EHLO c\r\nMAIL FROM:<a@b.test>\r\n"));
    Sessions.run(SETTINGS, t, sink);
    assertThat(Sessions.replyLines(t.output()))
        .endsWith("250 2.1.0 Ok", "421 4.4.2 mail.example.test Error: timeout exceeded");
    assertThat(t.allFlushed()).isTrue();
  }

  @Test
  void timeoutInDataAbortsTheMessage() throws IOException {
    FakeTransport t =
        new FakeTransport(
            timingOutAfter(
                "HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\npartial\r\n"));
    Sessions.run(SETTINGS, t, sink);
    assertThat(Sessions.replyLines(t.output()))
        .endsWith(
            "354 End data with <CR><LF>.<CR><LF>",
            "421 4.4.2 mail.example.test Error: timeout exceeded");
    assertThat(sink.opened).singleElement().satisfies(m -> assertThat(m.aborted).isTrue());
  }

  @Test
  void endOfInputEndsQuietly() throws IOException {
    transcript(
        sink,
        """
        S: 220 mail.example.test ESMTP
        C: HELO c
        S: 250 mail.example.test
        C: MAIL FROM:<a@b.test>
        S: 250 2.1.0 Ok
        C: RCPT TO:<x@example.test>
        S: 250 2.1.5 Ok
        C: DATA
        S: 354 End data with <CR><LF>.<CR><LF>
        C: unfinished
        """);
    assertThat(sink.opened).singleElement().satisfies(m -> assertThat(m.aborted).isTrue());
  }

  @Test
  void logsOneLinePerMessageAndPerRejection() throws IOException {
    Logger logger = (Logger) LoggerFactory.getLogger("smtpd");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      Sessions.run(
          SETTINGS,
          FakeTransport.of(
              "EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nRCPT TO:<x@y.test>\r\n"
                  + "DATA\r\nhi\r\n.\r\nQUIT\r\n"),
          sink);
    } finally {
      logger.detachAppender(appender);
    }
    assertThat(appender.list.stream().map(ILoggingEvent::getFormattedMessage))
        .contains(
            "reject: RCPT from [192.0.2.7]:53122: 550 5.7.1 <x@y.test>: relay access denied",
            "4Q1: from=<a@b.test>, size=4, nrcpt=1, client=[192.0.2.7]:53122, local=127.0.0.1:2525,"
                + " role=primary, pref=10, proto=ESMTP");
  }

  private static InputStream timingOutAfter(String input) {
    return new SequenceInputStream(
        new FakeChunkedInputStream(input.getBytes(UTF_8), Integer.MAX_VALUE),
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new SocketTimeoutException("Read timed out");
          }
        });
  }
}

package org.mxtrap.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.config.Limits;
import org.mxtrap.core.Action;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.core.Verdict;

/**
 * A trusted relay names the client it relays for: XCLIENT, or its own Received field; the client is
 * judged and logged, and the mail is marked, never refused, for what the engine says.
 */
class TrustedRelayTest {
  private static final Decision SUPPRESSED =
      new Decision(Verdict.SUPPRESSED, Action.TEMPFAIL, "suppressed for mx-skip", null);

  private final RecordingMessageSink sink = new RecordingMessageSink();
  private final RecordingAdmission admission = new RecordingAdmission();

  /** Sessions.CLIENT (192.0.2.7) is a trusted relay or not. */
  private static SessionSettings settings(boolean trusted) {
    return new SessionSettings(
        Sessions.HOST,
        List.of("example.test"),
        10_000,
        100,
        100,
        Limits.DEFAULTS.commandTimeout(),
        Limits.DEFAULTS.minDataRate(),
        3,
        trusted ? List.of(Cidr.parse("192.0.2.0/24")) : List.of());
  }

  private List<String> run(boolean trusted, String input) throws IOException {
    FakeTransport t = FakeTransport.of(input);
    Sessions.run(settings(trusted), t, sink, Mailboxes.ANY, admission);
    return Sessions.replyLines(t.output());
  }

  private static final String MAIL =
      "MAIL FROM:<a@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n";

  @Test
  void xclientIsOfferedToATrustedRelayOnlyAndRefusedToOthers() throws IOException {
    assertThat(run(false, "EHLO r\r\nXCLIENT ADDR=198.51.100.9\r\nQUIT\r\n"))
        .noneMatch(l -> l.contains("XCLIENT"))
        .contains("550 5.7.0 Error: insufficient authorization");
    assertThat(admission.relayed).isEmpty();

    assertThat(run(true, "EHLO r\r\nQUIT\r\n")).contains("250 XCLIENT ADDR PORT NAME HELO PROTO");
  }

  @Test
  void xclientStartsTheSessionAgainAsTheNamedClient() throws IOException {
    List<String> replies =
        run(
            true,
            "EHLO backup.example.test\r\n"
                + "XCLIENT ADDR=198.51.100.9 PORT=40000 NAME=mail.sender.test HELO=mail+20sender"
                + " PROTO=ESMTP\r\n"
                + "EHLO backup.example.test\r\n"
                + MAIL
                + "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");

    assertThat(replies).contains("220 " + Sessions.HOST + " ESMTP");
    assertThat(replies.stream().filter(l -> l.startsWith("220 "))).hasSize(2);
    Contact c = admission.relayed.get(0);
    assertThat(c.client()).isEqualTo(address("198.51.100.9"));
    assertThat(c.relay()).isEqualTo(address("192.0.2.7"));
    RecordingMessageSink.Message m = sink.committed().get(0);
    assertThat(m.trace.client().getAddress()).isEqualTo(address("198.51.100.9"));
    assertThat(m.trace.client().getPort()).isEqualTo(40000);
    assertThat(m.trace.clientName()).isEqualTo("mail.sender.test");
    assertThat(m.trace.helo()).isEqualTo("mail sender");
    assertThat(m.trace.protocol()).isEqualTo("ESMTP");
    assertThat(m.text()).isEqualTo("Subject: hi\r\n\r\nbody\r\n");
  }

  @Test
  void aClientThatWouldBeRefusedIsMarkedNotRefused() throws IOException {
    admission.relayedDecision = SUPPRESSED;
    List<String> replies =
        run(
            true,
            "EHLO r\r\nXCLIENT ADDR=IPV6:2001:db8::9\r\nEHLO r\r\n"
                + MAIL
                + "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");

    assertThat(replies).anyMatch(l -> l.startsWith("250 2.0.0 Ok: queued as "));
    assertThat(sink.committed().get(0).text())
        .isEqualTo(
            "X-Mxtrap-Suspect: suppressed (client [IPv6:2001:db8::9] via [192.0.2.7], would have"
                + " been answered tempfail)\r\nSubject: hi\r\n\r\nbody\r\n");
  }

  @Test
  void withoutXclientTheRelaysReceivedFieldNamesTheClient() throws IOException {
    admission.relayedDecision = SUPPRESSED;
    String received =
        "Received: from [203.0.113.1] (unknown [198.51.100.77])\r\n"
            + "\tby backup.example.test with ESMTP id X; Tue, 3 Jun 2025 10:00:00 +0000\r\n";
    run(true, "EHLO r\r\n" + MAIL + received + "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");

    assertThat(admission.relayed)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.client()).isEqualTo(address("198.51.100.77"));
              assertThat(c.relay()).isEqualTo(address("192.0.2.7"));
            });
    RecordingMessageSink.Message m = sink.committed().get(0);
    assertThat(m.trace.client().getAddress()).isEqualTo(address("192.0.2.7"));
    assertThat(m.text())
        .startsWith("X-Mxtrap-Suspect: suppressed (client [198.51.100.77] via [192.0.2.7]")
        .endsWith(")\r\n" + received + "Subject: hi\r\n\r\nbody\r\n");
  }

  @Test
  void aServedClientLeavesTheMessageAsItCame() throws IOException {
    String content = "Received: from x (y [198.51.100.5]) by b; date\r\nSubject: s\r\n\r\nb\r\n";
    run(true, "EHLO r\r\n" + MAIL + content + ".\r\nQUIT\r\n");

    assertThat(admission.relayed).hasSize(1);
    assertThat(sink.committed().get(0).text()).isEqualTo(content);
  }

  @Test
  void theMessagesOfAnUntrustedClientAreNotRead() throws IOException {
    run(false, "EHLO r\r\n" + MAIL + "Received: from x (y [198.51.100.5])\r\n\r\nb\r\n.\r\n");

    assertThat(admission.relayed).isEmpty();
  }

  @Test
  void xclientIsRefusedInATransactionAndWhenMalformed() throws IOException {
    List<String> replies =
        run(
            true,
            "EHLO r\r\nMAIL FROM:<a@b.test>\r\nXCLIENT ADDR=198.51.100.9\r\nRSET\r\n"
                + "XCLIENT ADDR=999.1.1.1\r\nXCLIENT LOGIN=x\r\nXCLIENT\r\n"
                + "XCLIENT NAME=bad_name!\r\nXCLIENT ADDR=2001:db8::1\r\nQUIT\r\n");

    assertThat(replies)
        .contains(
            "503 5.5.1 Error: MAIL transaction in progress",
            "501 5.5.4 Bad XCLIENT ADDR syntax: 999.1.1.1",
            "501 5.5.4 Bad XCLIENT attribute name: LOGIN",
            "501 5.5.4 Syntax: XCLIENT attribute=value...",
            "501 5.5.4 Bad XCLIENT NAME syntax: bad_name!",
            "501 5.5.4 Bad XCLIENT ADDR syntax: 2001:db8::1");
    assertThat(admission.relayed).isEmpty();
  }

  @Test
  void unavailableAttributesAreUnknownAndNoAddressMeansTheRelayItself() throws IOException {
    run(
        true,
        "EHLO r\r\nXCLIENT ADDR=198.51.100.9 NAME=[UNAVAILABLE] HELO=[TEMPUNAVAIL]\r\nEHLO r2\r\n"
            + MAIL
            + "x\r\n.\r\n"
            + "XCLIENT ADDR=[UNAVAILABLE]\r\nEHLO r3\r\n"
            + MAIL
            + "y\r\n.\r\nQUIT\r\n");

    List<RecordingMessageSink.Message> m = sink.committed();
    assertThat(m.get(0).trace.client().getAddress()).isEqualTo(address("198.51.100.9"));
    assertThat(m.get(0).trace.clientName()).isNull();
    assertThat(m.get(0).trace.helo()).isEqualTo("r2");
    assertThat(m.get(1).trace.client().getAddress()).isEqualTo(address("192.0.2.7"));
    assertThat(m.get(1).trace.helo()).isEqualTo("r3");
  }

  @Test
  void aNamedClientsUnknownRecipientsCountAgainstItNeverAgainstTheRelay() throws IOException {
    Mailboxes onlyBob =
        mb -> mb.localPart().equals("bob") ? Mailboxes.Answer.EXISTS : Mailboxes.Answer.UNKNOWN;
    String unknowns =
        "MAIL FROM:<a@sender.test>\r\nRCPT TO:<x@example.test>\r\nRCPT TO:<y@example.test>\r\n"
            + "RCPT TO:<z@example.test>\r\nRCPT TO:<bob@example.test>\r\nRSET\r\n";

    FakeTransport unnamed = FakeTransport.of("EHLO r\r\n" + unknowns + "QUIT\r\n");
    Sessions.run(settings(true), unnamed, sink, onlyBob, admission);
    assertThat(admission.dictionaryReports).as("the relay itself is never judged").isEmpty();
    assertThat(Sessions.replyLines(unnamed.output())).contains("250 2.1.5 Ok", "221 2.0.0 Bye");

    FakeTransport named =
        FakeTransport.of(
            "EHLO r\r\nXCLIENT ADDR=198.51.100.9\r\nEHLO r\r\n" + unknowns + "QUIT\r\n");
    Sessions.run(settings(true), named, sink, onlyBob, admission);
    assertThat(admission.dictionaryReports).containsExactly(3);
    Contact judged = admission.dictionaryContacts.get(0);
    assertThat(judged.client()).isEqualTo(address("198.51.100.9"));
    assertThat(judged.relay()).isEqualTo(address("192.0.2.7"));
    assertThat(Sessions.replyLines(named.output()))
        .as("the relay's session goes on: it has other mail")
        .contains("250 2.1.5 Ok", "221 2.0.0 Bye");
  }

  private static InetAddress address(String text) throws IOException {
    return InetAddress.getByName(text);
  }
}

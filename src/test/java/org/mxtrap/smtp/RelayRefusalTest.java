package org.mxtrap.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The classic ways of making a mail exchanger relay (Sendmail's and Postfix's old test lists):
 * every one must be refused, while plain mailboxes of our domains and the bare postmaster pass. Our
 * domains here: example.test and example.org.
 */
class RelayRefusalTest {

  /** The replies to EHLO, MAIL, RCPT {@code path}, DATA. */
  private static List<String> tryRecipient(String path, RecordingMessageSink sink)
      throws IOException {
    FakeTransport t =
        FakeTransport.of(
            "EHLO c\r\nMAIL FROM:<spammer@spam.test>\r\nRCPT TO:"
                + path
                + "\r\nDATA\r\n.\r\nQUIT\r\n");
    Sessions.run(Sessions.SETTINGS, t, sink);
    List<String> lines = Sessions.replyLines(t.output());
    return lines.subList(Sessions.EHLO.size() + 2, lines.size());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "<user@other.test>",
        "<user@example.test.other.test>",
        "<user@sub.example.test>",
        "<user@example.testx>",
        "<user@localhost>",
        "<postmaster@other.test>",
        "<user%other.test@example.test>",
        "<user%other.test%example.test@example.test>",
        "<other.test!user@example.test>",
        "<other.test!user%example.test@example.test>",
        "<\"user@other.test\"@example.test>",
        "<\"user%other.test\"@example.test>",
        "<\"other.test!user\"@example.test>",
        "<\"user@other.test\"@example.org>",
        "<@example.test:user@other.test>",
        "<@example.test:user@example.test>",
        "<@other.test:user@example.test>",
        "<@example.test,@other.test:user@other.test>",
        "<user@[127.0.0.1]>",
        "<user@[192.0.2.10]>",
        "<postmaster@[127.0.0.1]>",
        "<user@[IPv6:::1]>",
        "<user@[IPv6:2001:db8::10]>",
        "<user@[tag:example.test]>",
        "<\"user\"@other.test>"
      })
  void relayTricksAreDenied(String path) throws IOException {
    RecordingMessageSink sink = new RecordingMessageSink();
    assertThat(tryRecipient(path, sink))
        .startsWith(
            "550 5.7.1 " + pathAsEchoed(path) + ": relay access denied",
            "503 5.5.1 Error: need RCPT command");
    assertThat(sink.opened).isEmpty();
  }

  /** An empty local part in our domain is no relaying: no mailbox has it, so it is unknown. */
  @Test
  void emptyLocalPartIsAnUnknownMailbox() throws IOException {
    RecordingMessageSink sink = new RecordingMessageSink();
    assertThat(tryRecipient("<\"\"@example.test>", sink))
        .startsWith(
            "550 5.1.1 <\"\"@example.test>: Recipient address rejected: User unknown",
            "503 5.5.1 Error: need RCPT command");
    assertThat(sink.opened).isEmpty();
  }

  /** The echo is our rendering of the path: domains lower case, quotes as needed. */
  private static String pathAsEchoed(String path) {
    return path.replace("IPv6", "ipv6");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "<user@example.test.>",
        "<user@example.test..>",
        "<user@.example.test>",
        "<user@other.test@example.test>",
        "<user@example.test@other.test>",
        "<user@example%test>",
        "<user@example.test:25>",
        "user@example.test",
        "<user@other.test",
        "<user@[127.0.0.1>",
        "<@example.test user@other.test>",
        "<@[127.0.0.1]:user@other.test>",
        "<\"user@other.test>",
        "<user@other.test>>",
        "<<user@other.test>>",
        "<user@example.test> <user@other.test>"
      })
  void malformedPathsAreRefusedAsSyntax(String path) throws IOException {
    RecordingMessageSink sink = new RecordingMessageSink();
    List<String> replies = tryRecipient(path, sink);
    assertThat(replies.get(0)).matches("50[01] 5\\.[15]\\.[34] .*|555 5\\.5\\.4 .*");
    assertThat(replies.get(1)).isEqualTo("503 5.5.1 Error: need RCPT command");
    assertThat(sink.opened).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "<user@example.test>",
        "<User.Name+tag@EXAMPLE.TEST>",
        "<user@example.org>",
        "<\"john doe\"@example.test>",
        "<postmaster>",
        "<Postmaster>",
        "<POSTMASTER>",
        "<postmaster@example.test>",
        "<abuse@example.org>"
      })
  void ourMailboxesAreAccepted(String path) throws IOException {
    RecordingMessageSink sink = new RecordingMessageSink();
    assertThat(tryRecipient(path, sink))
        .startsWith(
            "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as 4Q1");
    assertThat(sink.committed()).hasSize(1);
  }
}

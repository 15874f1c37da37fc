package org.mxtrap.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.mxtrap.config.Limits;
import org.mxtrap.config.RecipientSettings;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.Role;

/** Defaults and a transcript runner for session tests. */
final class Sessions {
  private Sessions() {}

  static final String HOST = "mail.example.test";

  static final SessionSettings SETTINGS =
      settings(HOST, List.of("example.test", "example.org"), 10_000, 3, 100);

  /** Settings with the configuration's default deadlines and unknown-recipient limit. */
  static SessionSettings settings(
      String hostname,
      List<String> domains,
      long maxMessageSize,
      int maxRecipients,
      int maxErrors) {
    return new SessionSettings(
        hostname,
        domains,
        maxMessageSize,
        maxRecipients,
        maxErrors,
        Limits.DEFAULTS.commandTimeout(),
        Limits.DEFAULTS.minDataRate(),
        RecipientSettings.DEFAULTS.maxUnknown(),
        List.of());
  }

  static final ClientFacts CLIENT;

  static {
    try {
      InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
      InetAddress client = InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 7});
      CLIENT =
          new ClientFacts(
              new InetSocketAddress(client, 53122),
              new InetSocketAddress(lo, 2525),
              new LayoutEntry(10, HOST, lo, 2525, Role.PRIMARY),
              "s1",
              null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);

  /** The EHLO reply lines without STARTTLS. */
  static final List<String> EHLO =
      List.of(
          "250-" + HOST,
          "250-PIPELINING",
          "250-SIZE 10000",
          "250-8BITMIME",
          "250-ENHANCEDSTATUSCODES",
          "250 SMTPUTF8");

  static void run(SessionSettings settings, FakeTransport transport, MessageSink sink)
      throws IOException {
    run(settings, transport, sink, Mailboxes.ANY, new RecordingAdmission());
  }

  static void run(
      SessionSettings settings,
      FakeTransport transport,
      MessageSink sink,
      Mailboxes mailboxes,
      RecordingAdmission admission)
      throws IOException {
    new SmtpSession(settings, CLIENT, sink, mailboxes, admission, CLOCK, transport).run();
  }

  /**
   * Replays a script of {@code C: } and {@code S: } lines (a line {@code C: .} included): every
   * client line is sent with CRLF in one write, and the server's output must be exactly the {@code
   * S:} lines. Other lines are ignored. Returns the transport for further checks.
   */
  static FakeTransport transcript(SessionSettings settings, MessageSink sink, String script)
      throws IOException {
    StringBuilder in = new StringBuilder();
    List<String> expected = new ArrayList<>();
    for (String line : script.strip().split("\n")) {
      String l = line.strip();
      if (l.startsWith("C:")) {
        in.append(l.length() > 3 ? l.substring(3) : "").append("\r\n");
      } else if (l.startsWith("S:")) {
        expected.add(l.substring(3));
      }
    }
    FakeTransport t = FakeTransport.of(in.toString());
    run(settings, t, sink);
    assertThat(replyLines(t.output())).containsExactlyElementsOf(expected);
    assertThat(t.allFlushed()).as("everything flushed at the end").isTrue();
    return t;
  }

  static FakeTransport transcript(MessageSink sink, String script) throws IOException {
    return transcript(SETTINGS, sink, script);
  }

  static List<String> replyLines(String output) {
    assertThat(output).endsWith("\r\n");
    return List.of(output.substring(0, output.length() - 2).split("\r\n", -1));
  }
}

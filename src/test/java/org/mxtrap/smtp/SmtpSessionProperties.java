package org.mxtrap.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.mxtrap.testing.FakeChunkedInputStream;

/**
 * Whatever a client sends, in whatever pieces: the session ends normally, every reply line is well
 * formed, and no message is acknowledged that was not committed.
 */
class SmtpSessionProperties {

  private static final Pattern REPLY_LINE = Pattern.compile("([2-5])\\d\\d([ -])(.*)");
  private static final Pattern STATUS = Pattern.compile("([245])\\.\\d{1,3}\\.\\d{1,3} .*");

  @Property(tries = 300)
  void randomBytes(
      @ForAll @Size(max = 3000) byte[] input,
      @ForAll @IntRange(min = 1, max = 700) int chunk,
      @ForAll boolean tls)
      throws IOException {
    check(input, chunk, tls, Sessions.SETTINGS);
  }

  @Property(tries = 500)
  void randomConversations(
      @ForAll("conversations") String input,
      @ForAll @IntRange(min = 1, max = 700) int chunk,
      @ForAll boolean tls,
      @ForAll @IntRange(min = 1, max = 30) int maxErrors)
      throws IOException {
    SessionSettings settings =
        Sessions.settings(Sessions.HOST, List.of("example.test"), 300, 3, maxErrors);
    check(input.getBytes(UTF_8), chunk, tls, settings);
  }

  @Provide
  Arbitrary<String> conversations() {
    Arbitrary<String> command =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(
                8,
                Arbitraries.of(
                    "EHLO c",
                    "HELO c",
                    "MAIL FROM:<a@b.test>",
                    "MAIL FROM:<>",
                    "MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME",
                    "MAIL FROM:<> SIZE=20000",
                    "MAIL FROM:<jörg@b.test> SMTPUTF8",
                    "RCPT TO:<x@example.test>",
                    "RCPT TO:<用户@example.test>",
                    "RCPT TO:<x@other.test>",
                    "RCPT TO:<x%y@example.test>",
                    "RCPT TO:<postmaster>",
                    "DATA",
                    "RSET",
                    "NOOP",
                    "QUIT",
                    "VRFY x",
                    "HELP",
                    "STARTTLS",
                    ".",
                    "..",
                    "",
                    "Subject: test",
                    "x".repeat(1200))),
            net.jqwik.api.Tuple.of(2, Arbitraries.strings().ofMaxLength(80)),
            net.jqwik.api.Tuple.of(
                1, Arbitraries.strings().withChars("\r\n.\0 <>@:\"").ofMaxLength(12)));
    Arbitrary<String> lineEnd = Arbitraries.of("\r\n", "\r\n", "\r\n", "\r\n", "\n", "\r", "");
    return Combinators.combine(command, lineEnd)
        .as((c, e) -> c + e)
        .list()
        .ofMaxSize(40)
        .map(parts -> String.join("", parts));
  }

  private static void check(byte[] input, int chunk, boolean tls, SessionSettings settings)
      throws IOException {
    FakeTransport t = new FakeTransport(new FakeChunkedInputStream(input, chunk));
    if (tls) {
      t.withTls(
          "EHLO again\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\nhi\r\n.\r\n");
    }
    RecordingMessageSink sink = new RecordingMessageSink();

    Sessions.run(settings, t, sink); // no exception may escape

    assertThat(t.allFlushed()).isTrue();
    String output = t.output();
    assertThat(output).endsWith("\r\n");
    List<String> lines = Sessions.replyLines(output);
    String previousCode = null;
    for (String line : lines) {
      Matcher m = REPLY_LINE.matcher(line);
      assertThat(m.matches()).as("reply line %s", line).isTrue();
      String code = line.substring(0, 3);
      if (previousCode != null) {
        assertThat(code).as("continuation of a multi-line reply").isEqualTo(previousCode);
      }
      previousCode = m.group(2).equals("-") ? code : null;
      Matcher status = STATUS.matcher(m.group(3));
      if (status.matches()) {
        assertThat(status.group(1)).as("status class of %s", line).isEqualTo(m.group(1));
      } else {
        // Only the greeting, the HELO/EHLO reply and 354 carry no enhanced status code.
        assertThat(code).as("reply without enhanced status: %s", line).isIn("220", "250", "354");
        if (code.equals("220")) {
          assertThat(line).isEqualTo("220 mail.example.test ESMTP");
        }
      }
    }
    assertThat(previousCode).as("last reply complete").isNull();
    assertThat(lines.get(0)).isEqualTo("220 mail.example.test ESMTP");

    long queued = lines.stream().filter(l -> l.startsWith("250 2.0.0 Ok: queued as ")).count();
    assertThat(queued)
        .as("every 250 queued is a committed message")
        .isEqualTo(sink.committed().size());
    for (RecordingMessageSink.Message msg : sink.opened) {
      assertThat(msg.committed ^ msg.aborted).as("committed or aborted, exactly one").isTrue();
      assertThat(msg.envelope.recipients()).isNotEmpty();
      msg.envelope
          .recipients()
          .forEach(r -> assertThat(r.mailbox().domain()).isIn("example.test", "example.org"));
    }
  }
}

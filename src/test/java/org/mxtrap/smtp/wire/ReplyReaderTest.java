package org.mxtrap.smtp.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.testing.FakeChunkedInputStream;

class ReplyReaderTest {

  /**
   * Every reply in {@code input}, read with the input split into chunks of {@code chunk} octets.
   */
  private static List<SmtpReply> replies(String input, int chunk, int count) throws IOException {
    LineReader in = new LineReader(new FakeChunkedInputStream(input.getBytes(UTF_8), chunk));
    List<SmtpReply> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(ReplyReader.read(in));
    }
    assertThat(in.read()).as("nothing left").isEqualTo(-1);
    return out;
  }

  /** The same replies whatever the split of the input (every byte boundary, STYLE.md rule 12). */
  private static void assertReplies(String input, SmtpReply... expected) throws IOException {
    for (int chunk = 1; chunk <= input.length() + 1; chunk++) {
      assertThat(replies(input, chunk, expected.length))
          .as("chunk %d", chunk)
          .containsExactly(expected);
    }
  }

  private static void assertMalformed(String input, String message) {
    for (int chunk = 1; chunk <= input.length() + 1; chunk++) {
      int c = chunk;
      assertThatThrownBy(() -> replies(input, c, 1))
          .as("chunk %d", chunk)
          .isInstanceOf(MalformedReplyException.class)
          .hasMessageContaining(message);
    }
  }

  @Test
  void readsOneLineRepliesWithAndWithoutEnhancedStatus() throws IOException {
    assertReplies(
        "220 mx.example ESMTP\r\n250 2.1.0 Ok\r\n",
        new SmtpReply(220, null, List.of("mx.example ESMTP")),
        SmtpReply.of(250, "2.1.0", "Ok"));
  }

  @Test
  void readsAMultiLineReplyAsOne() throws IOException {
    assertReplies(
        "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n354 go\r\n",
        new SmtpReply(250, null, List.of("mx.example", "PIPELINING", "SIZE 1000", "8BITMIME")),
        new SmtpReply(354, null, List.of("go")));
  }

  @Test
  void takesTheEnhancedStatusOnlyWhenEveryLineCarriesIt() throws IOException {
    assertReplies(
        "550-5.1.1 no such\r\n550 5.1.1 user\r\n",
        new SmtpReply(550, "5.1.1", List.of("no such", "user")));
    assertReplies(
        "550-5.1.1 no such\r\n550 user\r\n",
        new SmtpReply(550, null, List.of("5.1.1 no such", "user")));
    // A status of another class than the code is text, not a status.
    assertReplies("550 4.1.1 odd\r\n", new SmtpReply(550, null, List.of("4.1.1 odd")));
  }

  @Test
  void toleratesEmptyText() throws IOException {
    assertReplies(
        "250\r\n250 \r\n250-\r\n250 \r\n250 2.0.0\r\n",
        new SmtpReply(250, null, List.of("")),
        new SmtpReply(250, null, List.of("")),
        new SmtpReply(250, null, List.of("", "")),
        new SmtpReply(250, "2.0.0", List.of("")));
  }

  @Test
  void readsWhatTheEncoderWrites() throws IOException {
    SmtpReply[] replies = {
      SmtpReply.of(421, "4.3.2", "Service shutting down"),
      new SmtpReply(214, "2.0.0", List.of("a", "b", "")),
      new SmtpReply(250, null, List.of("mx", "SMTPUTF8")),
      SmtpReply.of(553, "5.1.3", "<jörg@exämple.test>: bad"),
    };
    StringBuilder wire = new StringBuilder();
    for (SmtpReply r : replies) {
      wire.append(r.render());
    }
    assertReplies(wire.toString(), replies);
  }

  @Test
  void refusesBadCodes() {
    assertMalformed("25 ok\r\n", "not a reply code");
    assertMalformed("2500 ok\r\n", "no space or hyphen");
    assertMalformed("150 ok\r\n", "not a reply code");
    assertMalformed("260 ok\r\n", "not a reply code");
    assertMalformed("2a0 ok\r\n", "not a reply code");
    assertMalformed("hello\r\n", "not a reply code");
    assertMalformed("\r\n", "not a reply code");
    assertMalformed("250-a\r\n251 b\r\n", "reply code changed");
  }

  @Test
  void refusesBareLineEnds() {
    assertMalformed("250 ok\n", "bare");
    assertMalformed("250 o\rk\r\n", "bare");
  }

  @Test
  void boundsTheLengthOfALineAndTheNumberOfLines() throws IOException {
    String longest = "250 " + "x".repeat(ReplyReader.MAX_LINE - 6) + "\r\n";
    assertThat(replies(longest, 4096, 1).getFirst().lines().getFirst())
        .hasSize(ReplyReader.MAX_LINE - 6);
    assertThatThrownBy(() -> replies("250 x" + longest.substring(4), 4096, 1))
        .isInstanceOf(MalformedReplyException.class)
        .hasMessageContaining("octets");

    String most = "250-x\r\n".repeat(ReplyReader.MAX_LINES - 1) + "250 x\r\n";
    assertThat(replies(most, 4096, 1).getFirst().lines()).hasSize(ReplyReader.MAX_LINES);
    assertThatThrownBy(() -> replies("250-x\r\n" + most, 4096, 1))
        .isInstanceOf(MalformedReplyException.class)
        .hasMessageContaining("lines");
  }

  @Test
  void theEndOfInputWithinAReplyIsNoReply() {
    for (String input : new String[] {"", "250-a\r\n", "250 ok"}) {
      assertThatThrownBy(() -> replies(input, 1, 1)).isInstanceOf(EOFException.class);
    }
  }
}

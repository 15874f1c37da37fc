package org.mxtrap.smtp.wire;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxtrap.testing.FakeChunkedInputStream;

class LineReaderTest {

  /** Reads every line, rendering each outcome as a short string, with the given chunking. */
  private static List<String> lines(String input, int chunk, int bufferSize, int max)
      throws IOException {
    LineReader reader =
        new LineReader(new FakeChunkedInputStream(input.getBytes(ISO_8859_1), chunk), bufferSize);
    List<String> out = new ArrayList<>();
    while (true) {
      InputLine line = reader.readLine(max);
      switch (line) {
        case InputLine.Complete c -> out.add("line:" + new String(c.octets(), ISO_8859_1));
        case InputLine.TooLong t -> out.add("too-long");
        case InputLine.BareLineEnd b -> out.add("bare");
        case InputLine.End e -> {
          return out;
        }
      }
    }
  }

  /** The same outcomes whatever the split of the input and whatever our buffer size. */
  private static void assertLines(String input, int max, String... expected) throws IOException {
    for (int chunk = 1; chunk <= input.length() + 1; chunk++) {
      for (int buffer : new int[] {1, 3, 16, 8192}) {
        assertThat(lines(input, chunk, buffer, max))
            .as("chunk %d, buffer %d", chunk, buffer)
            .containsExactly(expected);
      }
    }
  }

  @Test
  void theAdaptiveBufferReadsLongAndShortInputAlike() throws IOException {
    StringBuilder in = new StringBuilder();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3000; i++) { // 3000 pipelined lines: fills the small buffer, then the big
      in.append("NOOP ").append(i).append("\r\n");
      expected.add("line:NOOP " + i);
    }
    for (int chunk : new int[] {1, 7, 1024, 5000, 100_000}) {
      LineReader reader =
          new LineReader(new FakeChunkedInputStream(in.toString().getBytes(ISO_8859_1), chunk));
      List<String> out = new ArrayList<>();
      InputLine line;
      while (!((line = reader.readLine(512)) instanceof InputLine.End)) {
        out.add(
            line instanceof InputLine.Complete c
                ? "line:" + new String(c.octets(), ISO_8859_1)
                : "?");
      }
      assertThat(out).as("chunk %d", chunk).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void splitsAtCrlfOnly() throws IOException {
    assertLines("EHLO a\r\nMAIL FROM:<>\r\n\r\n", 512, "line:EHLO a", "line:MAIL FROM:<>", "line:");
  }

  @Test
  void bareLfEndsTheLineAsAnError() throws IOException {
    assertLines("NOOP\nQUIT\r\n", 512, "bare", "line:QUIT");
    assertLines("\n\r\n", 512, "bare", "line:");
  }

  @Test
  void bareCrIsAnErrorAndTheLineEndsAtItsLf() throws IOException {
    assertLines("NO\rOP\r\nQUIT\r\n", 512, "bare", "line:QUIT");
    assertLines("NOOP\r\r\nQUIT\r\n", 512, "bare", "line:QUIT");
    assertLines("\r\rX\r\n", 512, "bare");
  }

  @Test
  void limitCountsTheCrlf() throws IOException {
    String ok = "x".repeat(510);
    assertThat(lines(ok + "\r\nQUIT\r\n", 7, 8192, 512)).containsExactly("line:" + ok, "line:QUIT");
    assertThat(lines(ok + "y\r\nQUIT\r\n", 7, 8192, 512)).containsExactly("too-long", "line:QUIT");
  }

  @Test
  void overlongLineIsConsumedToItsEndWithoutBufferingIt() throws IOException {
    String huge = "A".repeat(200_000);
    assertThat(lines(huge + "\r\nQUIT\r\n", 4096, 8192, 512))
        .containsExactly("too-long", "line:QUIT");
    assertLines("abcdefgh\r\nab\r\n", 5, "too-long", "line:ab");
  }

  @Test
  void partialLineAtEndOfInputIsDropped() throws IOException {
    assertLines("QUIT\r\nQU", 512, "line:QUIT");
    assertLines("QUIT\r", 512);
  }

  @Test
  void reportsBufferedInputForPipelining() throws IOException {
    LineReader reader =
        new LineReader(
            new ByteArrayInputStream("MAIL FROM:<>\r\nRCPT TO:<a@b>\r\n".getBytes(ISO_8859_1)));
    assertThat(reader.hasBuffered()).isFalse();
    reader.readLine(512);
    assertThat(reader.hasBuffered()).isTrue();
    reader.readLine(512);
    assertThat(reader.hasBuffered()).isFalse();
  }

  @Test
  void restartDiscardsWhatWasBuffered() throws IOException {
    LineReader reader =
        new LineReader(
            new ByteArrayInputStream("STARTTLS\r\nMAIL FROM:<evil@x>\r\n".getBytes(ISO_8859_1)));
    assertThat(reader.readLine(512)).isInstanceOf(InputLine.Complete.class);
    assertThat(reader.hasBuffered()).isTrue();
    reader.restartOn(new ByteArrayInputStream("EHLO tls\r\n".getBytes(ISO_8859_1)));
    assertThat(reader.hasBuffered()).isFalse();
    InputLine next = reader.readLine(512);
    assertThat(next)
        .isInstanceOfSatisfying(
            InputLine.Complete.class,
            c -> assertThat(new String(c.octets(), ISO_8859_1)).isEqualTo("EHLO tls"));
  }
}

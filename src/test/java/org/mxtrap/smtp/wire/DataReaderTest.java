package org.mxtrap.smtp.wire;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxtrap.smtp.wire.DataResult.Outcome;
import org.mxtrap.testing.FakeChunkedInputStream;

class DataReaderTest {

  /** What one DATA read produced, plus the first line after it. */
  private record Read(DataResult result, String content, String after) {}

  private static Read read(String input, int chunk, long maxSize) throws IOException {
    LineReader reader =
        new LineReader(new FakeChunkedInputStream(input.getBytes(ISO_8859_1), chunk));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DataResult result = DataReader.read(reader, out, maxSize);
    String after =
        switch (reader.readLine(LineReader.MAX_COMMAND_LINE)) {
          case InputLine.Complete c -> new String(c.octets(), ISO_8859_1);
          case InputLine.End e -> "<end>";
          default -> "<bad>";
        };
    return new Read(result, out.toString(ISO_8859_1), after);
  }

  /** Reads with every chunk size; all must agree; returns the result of the one-octet split. */
  private static Read readEverySplit(String input, long maxSize) throws IOException {
    Read first = read(input, 1, maxSize);
    for (int chunk = 2; chunk <= input.length() + 1; chunk++) {
      assertThat(read(input, chunk, maxSize)).as("chunk %d", chunk).isEqualTo(first);
    }
    return first;
  }

  @Test
  void readsToCrlfDotCrlfAndLeavesWhatFollows() throws IOException {
    Read r = readEverySplit("Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n", 1000);
    assertThat(r.result()).isEqualTo(new DataResult(Outcome.COMPLETE, 21, null));
    assertThat(r.content()).isEqualTo("Subject: x\r\n\r\nhello\r\n");
    assertThat(r.after()).isEqualTo("QUIT");
  }

  @Test
  void emptyMessage() throws IOException {
    Read r = readEverySplit(".\r\nQUIT\r\n", 1000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.content()).isEmpty();
    assertThat(r.after()).isEqualTo("QUIT");
  }

  @Test
  void unstuffsLeadingDots() throws IOException {
    Read r = readEverySplit("..\r\n...x\r\n.y\r\na.b\r\n.\r\n", 1000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.content()).isEqualTo(".\r\n..x\r\ny\r\na.b\r\n");
  }

  /**
   * Every end-of-data look-alike that some server once accepted. None may end the message: the
   * smuggled second transaction stays inside the first, which is refused, and the next command
   * after the real end is the one that follows it.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "\n.\n",
        "\n.\r\n",
        "\r\n.\n",
        "\r.\r",
        "\r\n.\r",
        "\r.\r\n",
        "\n.\r",
        "\r.\n",
        "\r\n.\r\r\n",
        "\n\r\n.\n",
        "\r\r\n.\r",
        "\n..\n",
        "\r\n.\r.\r\n"
      })
  void smugglingVariantsNeverEndTheMessage(String fakeEnd) throws IOException {
    String smuggled =
        "MAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nevil\r\n";
    Read r =
        readEverySplit("Subject: a\r\n\r\nbody" + fakeEnd + smuggled + ".\r\nQUIT\r\n", 10_000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.BARE_LINE_END);
    assertThat(r.after()).isEqualTo("QUIT");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\r\n\0.\r\n", "\r\n.\0\r\n", "\r\n\0.\0\r\n", "\0\r\n.\r\n\0"})
  void nulVariantsNeverEndTheMessageEarly(String fakeEnd) throws IOException {
    String input = "body" + fakeEnd + "MAIL FROM:<evil@x.test>\r\n.\r\nQUIT\r\n";
    Read r = readEverySplit(input, 10_000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.NUL);
    if (fakeEnd.equals("\0\r\n.\r\n\0")) {
      // the dot line is real; what follows is the next "command" line, starting with NUL
      assertThat(r.after()).startsWith("\0MAIL");
    } else {
      assertThat(r.after()).isEqualTo("QUIT");
    }
  }

  @Test
  void bareLfInsideContentIsRefused() throws IOException {
    Read r = readEverySplit("a\nb\r\n.\r\n", 1000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.BARE_LINE_END);
    assertThat("a").as("nothing written after a violation").startsWith(r.content());
  }

  @Test
  void textLineLimitCountsTheCrlf() throws IOException {
    String ok = "x".repeat(998);
    assertThat(read(ok + "\r\n.\r\n", 4096, 10_000).result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(read("." + ok + "\r\n.\r\n", 4096, 10_000).result().outcome())
        .as("the stuffed dot does not count")
        .isEqualTo(Outcome.COMPLETE);
    assertThat(read(ok + "y\r\n.\r\nQUIT\r\n", 4096, 10_000))
        .satisfies(r -> assertThat(r.result().outcome()).isEqualTo(Outcome.LINE_TOO_LONG))
        .satisfies(r -> assertThat(r.after()).isEqualTo("QUIT"));
  }

  @Test
  void sizeLimitStopsWritingButReadsToTheEnd() throws IOException {
    String body = "0123456789\r\n".repeat(100);
    Read r = readEverySplit(body + ".\r\nQUIT\r\n", 500);
    assertThat(r.result().outcome()).isEqualTo(Outcome.TOO_BIG);
    assertThat(r.result().size()).isEqualTo(1200);
    assertThat(r.content().length()).isLessThanOrEqualTo(500);
    assertThat(r.after()).isEqualTo("QUIT");

    assertThat(read(body + ".\r\n", 7, 1200).result().outcome()).isEqualTo(Outcome.COMPLETE);
  }

  @Test
  void endOfInputBeforeTheEnd() throws IOException {
    assertThat(read("abc\r\n", 3, 100).result().outcome()).isEqualTo(Outcome.END_OF_INPUT);
    assertThat(read("abc\r\n.\r", 3, 100).result().outcome()).isEqualTo(Outcome.END_OF_INPUT);
  }

  @Test
  void failingOutputIsReportedAndInputStillConsumed() throws IOException {
    LineReader reader =
        new LineReader(new FakeChunkedInputStream("a\r\n.\r\nQUIT\r\n".getBytes(ISO_8859_1), 2));
    OutputStream faulty =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("disk full");
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            throw new IOException("disk full");
          }
        };
    DataResult result = DataReader.read(reader, faulty, 100);
    assertThat(result.outcome()).isEqualTo(Outcome.SINK_FAILED);
    assertThat(result.sinkFailure()).hasMessage("disk full");
    assertThat(reader.readLine(512)).isInstanceOf(InputLine.Complete.class);
  }

  @Test
  void readsLargeContentInChunks() throws IOException {
    String line = "y".repeat(70) + "\r\n";
    String body = line.repeat(2000);
    Read r = read(body + ".\r\n", 1500, 1_000_000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.content()).isEqualTo(body);
  }
}

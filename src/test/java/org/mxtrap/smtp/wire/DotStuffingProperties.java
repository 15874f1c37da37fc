package org.mxtrap.smtp.wire;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.mxtrap.testing.FakeChunkedInputStream;

/** Whatever content we stuff, the DATA reader gives it back unchanged, in any split. */
class DotStuffingProperties {

  @Property(tries = 300)
  void dataReaderUndoesDotStuffing(
      @ForAll("contents") String content, @ForAll @IntRange(min = 1, max = 50) int chunk)
      throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    long n = DotStuffing.write(new ByteArrayInputStream(content.getBytes(ISO_8859_1)), wire);
    assertThat(n).isEqualTo(wire.size());
    wire.write("QUIT\r\n".getBytes(ISO_8859_1));

    LineReader reader = new LineReader(new FakeChunkedInputStream(wire.toByteArray(), chunk));
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    DataResult result = DataReader.read(reader, back, Long.MAX_VALUE);

    assertThat(result.outcome()).isEqualTo(DataResult.Outcome.COMPLETE);
    String expected = content.isEmpty() || content.endsWith("\r\n") ? content : content + "\r\n";
    assertThat(back.toString(ISO_8859_1)).isEqualTo(expected);
    assertThat(reader.readLine(512)).isInstanceOf(InputLine.Complete.class);
  }

  @Provide
  Arbitrary<String> contents() {
    return Arbitraries.of(
            "", ".", "..", "a", ".a", "\r\n", "\r\n.", "\r\n.\r\n", "x.y", "\r\n..\r\n")
        .list()
        .ofMaxSize(30)
        .map(parts -> String.join("", parts))
        .filter(
            s -> !s.replace("\r\n", "").contains("\r") && !s.replace("\r\n", "").contains("\n"));
  }

  @Example
  void stuffsLeadingDotsAndEnds() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DotStuffing.write(new ByteArrayInputStream(".a\r\nb\r\n.\r\n".getBytes(ISO_8859_1)), out);
    assertThat(out.toString(ISO_8859_1)).isEqualTo("..a\r\nb\r\n..\r\n.\r\n");
    out.reset();
    DotStuffing.write(new ByteArrayInputStream("no newline".getBytes(ISO_8859_1)), out);
    assertThat(out.toString(ISO_8859_1)).isEqualTo("no newline\r\n.\r\n");
  }
}

package org.mxtrap.smtp.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.mxtrap.fuzz.InputDeadline;
import org.mxtrap.smtp.wire.DataResult.Outcome;
import org.mxtrap.testing.FakeChunkedInputStream;

/**
 * Fuzzes {@link DataReader} over {@link LineReader} with the octets a hostile client can send after
 * 354. Each input is read three times: in one piece without a size limit; one octet per read with a
 * limit of half its length; and split at random points (seeded by the input, so a finding
 * reproduces) into a random buffer, with a random limit, an output that may fail part way, and an
 * input that ends in an {@link IOException} instead of end of stream. Every result is checked
 * against {@link Expected}, a plain model of RFC 5321 4.5.2: only CRLF.CRLF ends the data, nothing
 * after it is read, and the content is written unstuffed and whole, or not committed.
 *
 * <p>Committed inputs: {@code src/test/resources/org/mxtrap/smtp/wire/DataReaderFuzzTestInputs/}.
 */
class DataReaderFuzzTest {

  private static final long NEVER = Long.MAX_VALUE;

  @FuzzTest
  void read(byte[] input) throws IOException {
    InputDeadline.run(input, () -> readThreeWays(input));
  }

  private static void readThreeWays(byte[] input) throws IOException {
    Expected expected = Expected.of(input);
    check(input, expected, new ByteArrayInputStream(input), null, 8192, Long.MAX_VALUE, NEVER);
    check(input, expected, new FakeChunkedInputStream(input, 1), null, 1, input.length / 2, NEVER);

    SplittableRandom random = new SplittableRandom(Arrays.hashCode(input));
    Splitting in = new Splitting(input, random.split());
    long maxSize = random.nextInt(input.length + 2);
    long failAfter = random.nextInt(4) == 0 ? random.nextInt(input.length + 1) : NEVER;
    int buffer = 1 + random.nextInt(64);
    if (expected.end < 0) {
      Throwable thrown =
          catchThrowable(() -> check(input, expected, in, in.failure, buffer, maxSize, failAfter));
      assertThat(thrown).as("the input's own exception, unchanged").isSameAs(in.failure);
    } else {
      check(input, expected, in, in.failure, buffer, maxSize, failAfter);
    }
  }

  /**
   * @param endOfInput the exception {@code in} throws at its end instead of returning -1, or null
   */
  private static void check(
      byte[] input,
      Expected expected,
      InputStream in,
      @Nullable IOException endOfInput,
      int buffer,
      long maxSize,
      long failAfter)
      throws IOException {
    LineReader reader = new LineReader(in, buffer);
    FaultyOutput out = new FaultyOutput(failAfter);
    DataResult result = DataReader.read(reader, out, maxSize);
    byte[] written = out.toByteArray();

    assertThat(result.sinkFailure()).isSameAs(out.failure);
    assertThat(out.failure != null).isEqualTo(result.outcome() == Outcome.SINK_FAILED);
    assertThat((long) written.length).as("bounded output").isLessThanOrEqualTo(maxSize);
    assertThat(isPrefix(written, expected.content))
        .as("written: a prefix of the unstuffed content")
        .isTrue();

    if (expected.end < 0) {
      assertThat(result.outcome()).isEqualTo(Outcome.END_OF_INPUT);
      boolean crPending = input.length > 0 && input[input.length - 1] == '\r';
      assertThat(result.size()).isEqualTo(expected.content.length - (crPending ? 1 : 0));
      return;
    }

    assertThat(result.outcome()).isNotEqualTo(Outcome.END_OF_INPUT);
    assertThat(result.size()).as("size").isEqualTo(expected.content.length);
    assertThat(rest(reader, endOfInput))
        .as("nothing after the end-of-data line is read")
        .isEqualTo(Arrays.copyOfRange(input, expected.end, input.length));

    if (out.failure != null) {
      return; // SINK_FAILED, checked above: the output failed before the content broke a rule
    }
    Set<Outcome> violations = EnumSet.noneOf(Outcome.class);
    violations.addAll(expected.violations);
    if (expected.content.length > maxSize) {
      violations.add(Outcome.TOO_BIG);
    }
    if (violations.isEmpty()) {
      assertThat(result.outcome()).isEqualTo(Outcome.COMPLETE);
      assertThat(written).as("the whole content").isEqualTo(expected.content);
      assertRoundTrip(written);
    } else {
      assertThat(result.outcome()).as("the first rule broken").isIn(violations);
    }
  }

  /** Stuffed again by our client's {@link DotStuffing}, the content reads back the same. */
  private static void assertRoundTrip(byte[] content) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffing.write(new ByteArrayInputStream(content), wire);
    LineReader reader = new LineReader(new ByteArrayInputStream(wire.toByteArray()));
    ByteArrayOutputStream back = new ByteArrayOutputStream();
    DataResult again = DataReader.read(reader, back, Long.MAX_VALUE);
    assertThat(again.outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(back.toByteArray()).isEqualTo(content);
    assertThat(reader.read()).isEqualTo(-1);
  }

  private static byte[] rest(LineReader reader, @Nullable IOException endOfInput)
      throws IOException {
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    try {
      for (int b; (b = reader.read()) >= 0; ) {
        rest.write(b);
      }
    } catch (IOException e) {
      if (e != endOfInput) {
        throw e;
      }
    }
    return rest.toByteArray();
  }

  private static boolean isPrefix(byte[] prefix, byte[] of) {
    return prefix.length <= of.length
        && Arrays.equals(prefix, 0, prefix.length, of, 0, prefix.length);
  }

  /**
   * RFC 5321 4.5.2 worked out the plain way. A line starts at the beginning of the data or after
   * CRLF, and nowhere else; a line that is exactly ".\r\n" ends the data; a dot that starts any
   * other line is stuffing and is dropped.
   *
   * @param end the index after the end-of-data line, or -1 when there is none
   * @param content the unstuffed content before the end-of-data line (all of the input when there
   *     is none)
   * @param violations what the content breaks, whatever the size limit and the output
   */
  private record Expected(int end, byte[] content, Set<Outcome> violations) {

    static Expected of(byte[] in) {
      ByteArrayOutputStream content = new ByteArrayOutputStream();
      Set<Outcome> violations = EnumSet.noneOf(Outcome.class);
      boolean lineStart = true;
      int lineLength = 0;
      for (int i = 0; i < in.length; i++) {
        byte b = in[i];
        if (lineStart && b == '.') {
          if (i + 2 < in.length && in[i + 1] == '\r' && in[i + 2] == '\n') {
            return new Expected(i + 3, content.toByteArray(), violations);
          }
          lineStart = false;
          continue;
        }
        lineStart = false;
        content.write(b);
        boolean crOfCrlf = b == '\r' && i + 1 < in.length && in[i + 1] == '\n';
        boolean lfOfCrlf = b == '\n' && i > 0 && in[i - 1] == '\r';
        if (lfOfCrlf) {
          lineStart = true;
          lineLength = 0;
          continue;
        }
        if (crOfCrlf) {
          continue;
        }
        if (b == '\r' || b == '\n') {
          violations.add(Outcome.BARE_LINE_END);
        } else if (b == 0) {
          violations.add(Outcome.NUL);
        }
        if (++lineLength + 2 > DataReader.MAX_TEXT_LINE) {
          violations.add(Outcome.LINE_TOO_LONG);
        }
      }
      return new Expected(-1, content.toByteArray(), violations);
    }
  }

  /** Serves the input in reads of random length, then fails instead of reporting the end. */
  private static final class Splitting extends InputStream {
    private final byte[] data;
    private final SplittableRandom random;
    private int pos;
    final IOException failure = new IOException("connection reset (fuzz)");

    Splitting(byte[] data, SplittableRandom random) {
      this.data = data;
      this.random = random;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (pos >= data.length) {
        throw failure;
      }
      int n = Math.min(Math.min(len, 1 + random.nextInt(16)), data.length - pos);
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }

  /** An output that fails once more than {@code failAfter} octets would have been written. */
  private static final class FaultyOutput extends OutputStream {
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private final long failAfter;
    @Nullable IOException failure;

    FaultyOutput(long failAfter) {
      this.failAfter = failAfter;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (failure == null && written.size() + (long) len > failAfter) {
        failure = new IOException("disk full (fuzz)");
      }
      if (failure != null) {
        throw failure;
      }
      written.write(b, off, len);
    }

    byte[] toByteArray() {
      return written.toByteArray();
    }
  }
}

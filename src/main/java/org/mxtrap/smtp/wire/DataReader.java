package org.mxtrap.smtp.wire;

import java.io.IOException;
import java.io.OutputStream;
import org.jspecify.annotations.Nullable;
import org.mxtrap.smtp.wire.DataResult.Outcome;

/**
 * Reads the message content that follows a 354 reply (RFC 5321 4.1.1.4 and 4.5.2).
 *
 * <p>Only the five octets CR LF "." CR LF end the content, where the first CRLF is the end of a
 * real line (or the content is empty: ".\r\n" right after the 354). Bare LF and bare CR never end a
 * line, so none of the end-of-data smuggling variants ({@code \n.\n}, {@code \r.\r}, {@code
 * \r\n.\n}, {@code \n.\r\n}, ...) can split one transmission into two messages: whatever follows
 * them is part of the same, refused, message.
 *
 * <p>Written to the output: the content with the leading dot of each stuffed line removed, CRLF
 * line ends, without the end-of-data line. Once a violation is found nothing more is written, but
 * input is still read to the real end of data, so that the session stays in step with the client.
 * Writes go out in chunks of up to 8 KiB.
 */
public final class DataReader {

  /** RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including the CRLF. */
  public static final int MAX_TEXT_LINE = 1000;

  private static final int CHUNK = 8192;

  private enum State {
    /** At the start of a line: a dot here is either stuffing or the end of data. */
    LINE_START,
    /** Inside a line. */
    IN_LINE,
    /** A dot at the start of a line. */
    DOT,
    /** A dot and a CR at the start of a line. */
    DOT_CR,
    /** A CR inside a line, not yet known to be followed by LF. */
    CR
  }

  private final LineReader in;
  private final OutputStream out;
  private final long maxSize;
  private final byte[] chunk = new byte[CHUNK];
  private int chunkLength;
  private long size;
  private int lineLength;
  private Outcome violation = Outcome.COMPLETE;
  private @Nullable IOException sinkFailure;

  private DataReader(LineReader in, OutputStream out, long maxSize) {
    this.in = in;
    this.out = out;
    this.maxSize = maxSize;
  }

  /**
   * Reads content from {@code in} until the end-of-data line, writing it to {@code out}. Exceptions
   * of {@code out} are reported as {@link Outcome#SINK_FAILED}; exceptions of the input (timeouts
   * included) propagate.
   *
   * @param maxSize the most content octets accepted
   */
  public static DataResult read(LineReader in, OutputStream out, long maxSize) throws IOException {
    return new DataReader(in, out, maxSize).run();
  }

  private DataResult run() throws IOException {
    State state = State.LINE_START;
    while (true) {
      int b = in.read();
      if (b < 0) {
        return new DataResult(Outcome.END_OF_INPUT, size, null);
      }
      switch (state) {
        case LINE_START -> state = b == '.' ? State.DOT : inLine(b);
        case DOT -> state = b == '\r' ? State.DOT_CR : inLine(b); // stuffed dot dropped
        case DOT_CR -> {
          if (b == '\n') {
            flushChunk();
            return new DataResult(violation, size, sinkFailure);
          }
          // ".\r" and more: the dot was stuffing, and the CR is bare.
          content('\r');
          violate(Outcome.BARE_LINE_END);
          state = inLine(b);
        }
        case IN_LINE -> state = inLine(b);
        case CR -> {
          if (b == '\n') {
            content('\r');
            content('\n');
            lineLength = 0;
            state = State.LINE_START;
          } else {
            content('\r');
            lineLength++;
            violate(Outcome.BARE_LINE_END);
            state = inLine(b);
          }
        }
      }
    }
  }

  /** Handles an octet inside a line; returns the next state. */
  private State inLine(int b) {
    if (b == '\r') {
      return State.CR;
    }
    if (b == '\n') {
      violate(Outcome.BARE_LINE_END);
    } else if (b == 0) {
      violate(Outcome.NUL);
    }
    content(b);
    lineLength++;
    if (lineLength + 2 > MAX_TEXT_LINE) {
      violate(Outcome.LINE_TOO_LONG);
    }
    return State.IN_LINE;
  }

  private void violate(Outcome outcome) {
    if (violation == Outcome.COMPLETE) {
      violation = outcome;
    }
  }

  private void content(int b) {
    size++;
    if (size > maxSize) {
      violate(Outcome.TOO_BIG);
    }
    if (violation != Outcome.COMPLETE) {
      return;
    }
    chunk[chunkLength++] = (byte) b;
    if (chunkLength == CHUNK) {
      flushChunk();
    }
  }

  private void flushChunk() {
    if (violation != Outcome.COMPLETE || chunkLength == 0) {
      chunkLength = 0;
      return;
    }
    try {
      out.write(chunk, 0, chunkLength);
    } catch (IOException e) {
      sinkFailure = e;
      violate(Outcome.SINK_FAILED);
    }
    chunkLength = 0;
  }
}

package org.mxtrap.smtp.wire;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A bounded, buffered reader of CRLF-terminated SMTP lines, which also feeds the {@link DataReader}
 * so that pipelined octets (RFC 2920) are never lost between commands and message content.
 *
 * <p>Memory is bounded: one buffer of fixed size plus at most one line of the caller's limit. A
 * line over the limit is read to its end and discarded. Used by one thread. Any {@link IOException}
 * from the underlying stream, including {@link java.net.SocketTimeoutException}, propagates
 * unchanged and leaves the reader usable only for {@link #restartOn(InputStream)}.
 */
public final class LineReader {

  /** RFC 5321 4.5.3.1.4: a command line is at most 512 octets including the CRLF. */
  public static final int MAX_COMMAND_LINE = 512;

  /** RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including the CRLF. */
  public static final int MAX_REPLY_LINE = 512;

  private static final int DEFAULT_BUFFER = 8192;

  private InputStream in;
  private final byte[] buffer;
  private int pos;
  private int limit;

  public LineReader(InputStream in) {
    this(in, DEFAULT_BUFFER);
  }

  /** A reader with a buffer of {@code bufferSize} octets (tests use tiny ones). */
  public LineReader(InputStream in, int bufferSize) {
    if (bufferSize < 1) {
      throw new IllegalArgumentException("buffer size " + bufferSize);
    }
    this.in = in;
    this.buffer = new byte[bufferSize];
  }

  /**
   * Reads one line. Blocks until a whole line (or the end of input) has arrived.
   *
   * @param maxOctets the longest acceptable line including its CRLF
   */
  public InputLine readLine(int maxOctets) throws IOException {
    byte[] line = new byte[maxOctets];
    int count = 0; // octets before the LF, CRs included; saturates far above maxOctets
    int previous = -1;
    boolean bareCr = false;
    while (true) {
      int b = read();
      if (b < 0) {
        return new InputLine.End();
      }
      if (b == '\n') {
        if (count + 1 > maxOctets) {
          return new InputLine.TooLong();
        }
        if (previous != '\r' || bareCr) {
          return new InputLine.BareLineEnd();
        }
        return new InputLine.Complete(Arrays.copyOf(line, count - 1));
      }
      if (previous == '\r') {
        bareCr = true;
      }
      if (count < maxOctets) {
        line[count] = (byte) b;
      }
      if (count <= maxOctets) {
        count++;
      }
      previous = b;
    }
  }

  /**
   * True when octets the client already sent are waiting in our buffer. A server flushes its
   * replies only when this is false, so that a pipelined group of commands gets its replies in one
   * write (RFC 2920 section 3.1), as Postfix does.
   */
  public boolean hasBuffered() {
    return pos < limit;
  }

  /**
   * True when a whole line (up to its LF) the client already sent is waiting in our buffer. While
   * only part of a line waits, the replies to the commands before it must go out at once: the
   * client may be waiting for them before it sends the rest.
   */
  public boolean hasBufferedLine() {
    for (int i = pos; i < limit; i++) {
      if (buffer[i] == '\n') {
        return true;
      }
    }
    return false;
  }

  /**
   * Drops everything buffered and reads from {@code source} from now on. After STARTTLS, plaintext
   * that arrived before the handshake must never be taken as commands sent under TLS
   * (CVE-2011-0411).
   */
  public void restartOn(InputStream source) {
    discardBuffered();
    this.in = source;
  }

  /** Drops everything buffered; the next read goes to the stream. */
  public void discardBuffered() {
    pos = 0;
    limit = 0;
  }

  /** The next octet, or -1 at the end of input. */
  int read() throws IOException {
    if (pos == limit && !fill()) {
      return -1;
    }
    return buffer[pos++] & 0xff;
  }

  private boolean fill() throws IOException {
    int n;
    do {
      n = in.read(buffer, 0, buffer.length);
    } while (n == 0);
    if (n < 0) {
      pos = 0;
      limit = 0;
      return false;
    }
    pos = 0;
    limit = n;
    return true;
  }
}

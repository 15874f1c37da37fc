package org.mxtrap.smtp.wire;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A bounded, buffered reader of CRLF-terminated SMTP lines, which also feeds the {@link DataReader}
 * so that pipelined octets (RFC 2920) are never lost between commands and message content.
 *
 * <p>Memory is bounded: one buffer plus at most one line of the caller's limit. A line over the
 * limit is read to its end and discarded. The buffer is small ({@value #IDLE_BUFFER} octets) while
 * the client talks command by command, which is how an idle session waits, and large ({@value
 * #BUSY_BUFFER}) while a read fills it, as message content and long pipelined groups do: thousands
 * of idle sessions cost little, a message costs few reads. The buffer is swapped only when it is
 * empty. Nothing is allocated while waiting for the first octet of a line. Used by one thread. Any
 * {@link IOException} from the underlying stream, including {@link
 * java.net.SocketTimeoutException}, propagates unchanged and leaves the reader usable only for
 * {@link #restartOn(InputStream)}.
 */
public final class LineReader {

  /** RFC 5321 4.5.3.1.4: a command line is at most 512 octets including the CRLF. */
  public static final int MAX_COMMAND_LINE = 512;

  /** RFC 5321 4.5.3.1.5: a reply line is at most 512 octets including the CRLF. */
  public static final int MAX_REPLY_LINE = 512;

  static final int IDLE_BUFFER = MAX_COMMAND_LINE;
  static final int BUSY_BUFFER = 8192;

  private InputStream in;
  private final int idleSize;
  private final int busySize;
  private byte[] buffer;
  private boolean lastFillWasFull;
  private int pos;
  private int limit;

  public LineReader(InputStream in) {
    this(in, IDLE_BUFFER, BUSY_BUFFER);
  }

  /** A reader with a buffer of {@code bufferSize} octets always (tests use tiny ones). */
  public LineReader(InputStream in, int bufferSize) {
    this(in, bufferSize, bufferSize);
  }

  private LineReader(InputStream in, int idleSize, int busySize) {
    if (idleSize < 1 || busySize < idleSize) {
      throw new IllegalArgumentException("buffer sizes " + idleSize + ", " + busySize);
    }
    this.in = in;
    this.idleSize = idleSize;
    this.busySize = busySize;
    this.buffer = new byte[idleSize];
  }

  /**
   * Reads one line. Blocks until a whole line (or the end of input) has arrived.
   *
   * @param maxOctets the longest acceptable line including its CRLF
   */
  public InputLine readLine(int maxOctets) throws IOException {
    // The wait for a new line calls fill() itself: an idle session parks one frame less deep,
    // which is memory while thousands wait (a parked virtual thread keeps its frames).
    if (pos == limit && !fill()) {
      return new InputLine.End();
    }
    int b = buffer[pos++] & 0xff;
    byte[] line = new byte[maxOctets];
    int count = 0; // octets before the LF, CRs included; saturates far above maxOctets
    int previous = -1;
    boolean bareCr = false;
    for (; ; b = read()) {
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
    int size = lastFillWasFull ? busySize : idleSize;
    if (buffer.length != size) {
      buffer = new byte[size];
    }
    int n;
    do {
      n = in.read(buffer, 0, buffer.length);
    } while (n == 0);
    lastFillWasFull = n == buffer.length;
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

package org.mxtrap.smtp.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The sending side of RFC 5321 4.5.2, for our SMTP client: the inverse of {@link DataReader}. */
public final class DotStuffing {
  private DotStuffing() {}

  /**
   * Copies message content as the DATA of an SMTP transaction: a dot is added before every line
   * that starts with a dot, a CRLF is added if the content does not end with one, and the
   * end-of-data line ".\r\n" follows. The content is expected to have CRLF line ends already (as
   * the spool stores it); other octets pass unchanged. Neither stream is closed or flushed.
   *
   * @return octets written, end-of-data line included
   */
  public static long write(InputStream content, OutputStream out) throws IOException {
    byte[] in = new byte[8192];
    byte[] buf = new byte[2 * in.length];
    long written = 0;
    boolean lineStart = true;
    int previous = -1;
    int n;
    while ((n = content.read(in)) >= 0) {
      int len = 0;
      for (int i = 0; i < n; i++) {
        byte b = in[i];
        if (lineStart && b == '.') {
          buf[len++] = '.';
        }
        buf[len++] = b;
        lineStart = b == '\n' && previous == '\r';
        previous = b;
      }
      out.write(buf, 0, len);
      written += len;
    }
    byte[] end =
        lineStart ? new byte[] {'.', '\r', '\n'} : new byte[] {'\r', '\n', '.', '\r', '\n'};
    out.write(end);
    return written + end.length;
  }
}

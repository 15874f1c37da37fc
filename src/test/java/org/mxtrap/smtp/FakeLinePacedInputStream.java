package org.mxtrap.smtp;

import java.io.InputStream;

/** Returns at most one line per read, as a client that waits for each reply would send. */
final class FakeLinePacedInputStream extends InputStream {
  private final byte[] data;
  private int pos;

  FakeLinePacedInputStream(byte[] data) {
    this.data = data.clone();
  }

  @Override
  public int read() {
    return pos < data.length ? data[pos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (pos >= data.length) {
      return -1;
    }
    int n = 0;
    while (n < len && pos < data.length) {
      byte x = data[pos++];
      b[off + n++] = x;
      if (x == '\n') {
        break;
      }
    }
    return n;
  }
}

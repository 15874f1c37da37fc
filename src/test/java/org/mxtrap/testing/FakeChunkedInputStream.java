package org.mxtrap.testing;

import java.io.InputStream;
import java.util.Arrays;

/** Serves fixed bytes at most {@code chunk} octets per read, as a slow network would. */
public final class FakeChunkedInputStream extends InputStream {
  private final byte[] data;
  private final int chunk;
  private int pos;

  public FakeChunkedInputStream(byte[] data, int chunk) {
    this.data = data.clone();
    this.chunk = chunk;
  }

  @Override
  public int read() {
    return pos < data.length ? data[pos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    if (pos >= data.length) {
      return -1;
    }
    int n = Math.min(Math.min(len, chunk), data.length - pos);
    System.arraycopy(data, pos, b, off, n);
    pos += n;
    return n;
  }

  /** The octets not yet read. */
  public byte[] remaining() {
    return Arrays.copyOfRange(data, pos, data.length);
  }
}

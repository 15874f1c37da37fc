package org.mxtrap.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Holds back the start of a message until its first header field is whole, then writes what {@code
 * prefix} makes of that field, then the field and everything after it. A field ends at a CRLF that
 * is not followed by a space or tab (RFC 5322 2.2.3, folding), so the octet after the CRLF is
 * waited for. When the content starts with its empty line (no header), when the held octets pass
 * {@link #MAX_HELD}, or at {@link #finish()}, what is held so far is taken as the field.
 *
 * <p>The field is given to {@code prefix} as ISO-8859-1 text, CRLF included. Not thread-safe; does
 * not close {@code out}.
 */
final class FirstFieldHold extends OutputStream {
  /** The most octets held back: a Received field is a few hundred. */
  static final int MAX_HELD = 8192;

  private final OutputStream out;
  private final Function<String, byte[]> prefix;
  private @Nullable ByteArrayOutputStream held = new ByteArrayOutputStream(512);
  private int beforeLast = -1;
  private int last = -1;

  FirstFieldHold(OutputStream out, Function<String, byte[]> prefix) {
    this.out = out;
    this.prefix = prefix;
  }

  @Override
  public void write(int b) throws IOException {
    ByteArrayOutputStream h = held;
    if (h == null) {
      out.write(b);
      return;
    }
    int n = h.size() + 1;
    boolean afterCrlf = beforeLast == '\r' && last == '\n';
    h.write(b);
    beforeLast = last;
    last = b & 0xff;
    if (n == 2 && beforeLast == '\r' && last == '\n') {
      release(n); // the empty line first: no header section
    } else if (afterCrlf && b != ' ' && b != '\t') {
      release(n - 1);
    } else if (n >= MAX_HELD) {
      release(n);
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    int i = 0;
    while (held != null && i < len) {
      write(b[off + i++]);
    }
    if (i < len) {
      out.write(b, off + i, len - i);
    }
  }

  /** The content has ended: what is still held is taken as the field. Call once, at the end. */
  void finish() throws IOException {
    ByteArrayOutputStream h = held;
    if (h != null) {
      release(h.size());
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /** Writes the prefix for the held octets up to {@code fieldEnd}, then all held; holds no more. */
  private void release(int fieldEnd) throws IOException {
    byte[] a = Objects.requireNonNull(held).toByteArray();
    held = null;
    out.write(prefix.apply(new String(a, 0, fieldEnd, StandardCharsets.ISO_8859_1)));
    out.write(a);
  }
}

package org.mxtrap.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.mxtrap.testing.FakeChunkedInputStream;

/**
 * A transport over byte arrays. Records every flush as one segment, so tests see which replies went
 * out together. With {@link #withTls}, {@link #startTls()} swaps in a second input, as a real
 * handshake swaps in the decrypting stream.
 */
final class FakeTransport implements Transport {
  private InputStream in;
  private final RecordingOutput out = new RecordingOutput();
  private @Nullable InputStream afterTls;
  private @Nullable IOException handshakeFailure;
  private boolean tlsActive;
  private int flushesBeforeHandshake = -1;

  private int waitsBeforeStop = -1;
  private boolean stopping;

  FakeTransport(InputStream in) {
    this.in = in;
  }

  /** The server starts stopping while the session waits for its {@code n}th command (1-based). */
  FakeTransport stoppingAtWait(int n) {
    this.waitsBeforeStop = n;
    return this;
  }

  @Override
  public void awaitingCommand(boolean awaiting) {
    if (awaiting && waitsBeforeStop > 0 && --waitsBeforeStop == 0) {
      stopping = true;
    }
  }

  @Override
  public boolean stopping() {
    return stopping;
  }

  /** All input arrives in one read, as a pipelining client's single write would. */
  static FakeTransport of(String input) {
    return new FakeTransport(new FakeChunkedInputStream(input.getBytes(UTF_8), Integer.MAX_VALUE));
  }

  /** Offers STARTTLS; the handshake succeeds and the client then sends {@code afterTls}. */
  FakeTransport withTls(String afterTlsInput) {
    this.afterTls = new FakeChunkedInputStream(afterTlsInput.getBytes(UTF_8), Integer.MAX_VALUE);
    return this;
  }

  /** Offers STARTTLS, but the handshake fails. */
  FakeTransport withFailingTls() {
    this.afterTls = InputStream.nullInputStream();
    this.handshakeFailure = new IOException("handshake failed");
    return this;
  }

  @Override
  public InputStream in() {
    return in;
  }

  @Override
  public OutputStream out() {
    return out;
  }

  @Override
  public boolean tlsAvailable() {
    return afterTls != null && !tlsActive;
  }

  @Override
  public void startTls() throws IOException {
    flushesBeforeHandshake = out.segments.size();
    if (handshakeFailure != null) {
      throw handshakeFailure;
    }
    in = afterTls;
    tlsActive = true;
  }

  @Override
  public @Nullable String tlsDescription() {
    return tlsActive ? "TLSv1.3 TLS_FAKE_WITH_NULL" : null;
  }

  /** Everything written, flushed or not. */
  String output() {
    return out.all.toString(UTF_8);
  }

  /** What each flush sent, in order. */
  List<String> flushes() {
    return out.segments;
  }

  /** How many flushes happened before the handshake began, or -1 if none began. */
  int flushesBeforeHandshake() {
    return flushesBeforeHandshake;
  }

  /** True when nothing written is waiting for a flush. */
  boolean allFlushed() {
    return out.pending.size() == 0;
  }

  private static final class RecordingOutput extends OutputStream {
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    final List<String> segments = new ArrayList<>();

    @Override
    public void write(int b) {
      all.write(b);
      pending.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      all.write(b, off, len);
      pending.write(b, off, len);
    }

    @Override
    public void flush() {
      if (pending.size() > 0) {
        segments.add(pending.toString(UTF_8));
        pending.reset();
      }
    }
  }
}

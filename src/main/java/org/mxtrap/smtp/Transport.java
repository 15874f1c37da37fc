package org.mxtrap.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The byte streams under one SMTP session: a socket in production, byte arrays in tests.
 *
 * <p>Reads block until the input's deadline ({@link #lineDeadline}, {@link #dataDeadline}) and then
 * throw {@link java.net.SocketTimeoutException}: a deadline covers the whole line or message, not
 * each read, so a client that trickles one octet at a time gains nothing. Writes go to {@link
 * #out()} and reach the peer on {@code flush()}; a write the peer does not take within the server's
 * write deadline ends the connection (the write then throws). Used by one thread.
 */
public interface Transport {

  InputStream in();

  OutputStream out();

  /**
   * From now on the input up to the end of the next command line must arrive within {@code timeout}
   * (RFC 5321 4.5.3.2.7, applied to the whole line).
   */
  default void lineDeadline(Duration timeout) {}

  /**
   * From now on the input is message content: it must arrive within {@code timeout} plus one second
   * per {@code minRate} octets received since this call, so a message of any size may take as long
   * as a client that keeps up {@code minRate} needs, and one that trickles is cut.
   */
  default void dataDeadline(Duration timeout, long minRate) {}

  /** True when the server offers STARTTLS on this connection (TLS configured, not yet active). */
  boolean tlsAvailable();

  /**
   * Performs the TLS handshake as server. Afterwards {@link #in()} and {@link #out()} return the
   * encrypted streams; whatever the caller had buffered from the old stream must be discarded
   * (CVE-2011-0411).
   */
  void startTls() throws IOException;

  /** {@code TLSv1.3 TLS_AES_256_GCM_SHA384} once TLS is active, else null. */
  @Nullable String tlsDescription();

  /**
   * The session says whether it is about to wait for the next command with nothing buffered: the
   * only moment at which a stopping server may end it without cutting a message short.
   */
  default void awaitingCommand(boolean awaiting) {}

  /**
   * True once the server is stopping: the session ends with 421 4.3.2 instead of reading another
   * command. While it waits for one, the server ends its input, so it sees the end at once.
   */
  default boolean stopping() {
    return false;
  }
}

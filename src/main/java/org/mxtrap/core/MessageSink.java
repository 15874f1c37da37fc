package org.mxtrap.core;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The port through which the SMTP server hands an incoming message to durable storage. It lives in
 * {@code core} rather than {@code smtp} so that the queue can implement it without depending on the
 * protocol code.
 *
 * <p>Call order: {@link #open} once per DATA; write the message content (dot-unstuffed, CRLF line
 * ends, no end-of-data line) to {@link Incoming#content()}; then exactly one of {@link
 * Incoming#commit()} or {@link Incoming#abort()}. An {@code Incoming} is used by one thread.
 * Implementations are safe for concurrent use by many sessions.
 */
public interface MessageSink {

  /** Starts storing a message; nothing is visible to delivery until {@link Incoming#commit()}. */
  Incoming open(Envelope envelope, TraceInfo trace) throws IOException;

  /** A message being received. */
  interface Incoming extends AutoCloseable {

    /** Where the content goes. Not buffered by the caller: implementations buffer. */
    OutputStream content();

    /**
     * Makes the message durable: when this returns, content, envelope and trace are on stable
     * storage (file and directory synced) and the message will be delivered even after a crash.
     *
     * @return the queue ID, for the 250 reply and the logs
     * @throws IOException if the message could not be made durable; it is then discarded
     */
    String commit() throws IOException;

    /**
     * Discards the message unless it was committed; then does nothing. Safe to call after a failed
     * commit, and more than once.
     */
    void abort();

    /** Aborts unless committed. */
    @Override
    default void close() {
      abort();
    }
  }
}

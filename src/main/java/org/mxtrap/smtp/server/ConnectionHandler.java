package org.mxtrap.smtp.server;

import java.io.IOException;

/**
 * Runs the SMTP conversation of one connection, from the greeting to the end. Called on the
 * connection's own virtual thread; the server closes the socket and releases the connection's
 * permits when this returns or throws.
 */
@FunctionalInterface
public interface ConnectionHandler {

  /**
   * Runs the conversation on {@code connection} to its end.
   *
   * @throws IOException when the peer goes away or the socket fails: logged at DEBUG
   */
  void handle(Connection connection) throws IOException;
}

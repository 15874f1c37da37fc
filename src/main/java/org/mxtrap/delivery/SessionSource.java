package org.mxtrap.delivery;

import java.net.InetSocketAddress;

/**
 * Where sessions to one address come from: the {@link SmtpClient} opens a new one, the {@link
 * ConnectionCache} hands out an idle one first.
 */
@FunctionalInterface
public interface SessionSource {

  /**
   * A session with {@code host} at {@code target}. Never throws for what the peer or the network
   * does: that is a {@link Connect.Failed}.
   *
   * @param host the peer's name, for results and SNI
   */
  Connect open(String host, InetSocketAddress target);
}

package org.mxtrap.smtp.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;

/**
 * What the listeners of one host are configured with: the parts of {@code listen}, {@code layout},
 * {@code limits}, {@code trap} and {@code suppress} the server itself applies before a session
 * starts. Values are validated by the configuration; {@code app} builds this from it.
 *
 * @param listen the addresses to bind (port 0 binds a free port)
 * @param layout the domain's MX layout: a connection's entry is found by its local address
 * @param hostname our name in refusals, except on a trap (see {@link SmtpServer#nameOn})
 * @param maxConnections connections per layout entry at once ({@code limits.max_connections}, or
 *     less when this host's descriptors or heap cannot hold that many)
 * @param maxPerIp connections per client address and entry at once ({@code limits.max_per_ip})
 * @param commandTimeout the deadline of each command line and write ({@code
 *     limits.command_timeout})
 * @param maxErrors refused commands before a refused session is closed ({@code limits.max_errors})
 * @param greetDelays how long each entry waits before its greeting, watching for early talkers
 *     ({@code trap.greet_delay} and the entries' own); an entry not in the map does not wait
 * @param tarpitInterval the pace of a held connection's reply ({@code suppress.tarpit_interval})
 * @param tarpitHold how long a connection is held ({@code suppress.tarpit_hold})
 * @param tarpitMax connections held at once ({@code suppress.tarpit_max}, or less)
 * @param proxied the {@code listen} addresses behind load balancers, with what they expect of them;
 *     a connection on one is found its client and layout entry from the balancer's PROXY header
 */
public record ListenerSettings(
    List<InetSocketAddress> listen,
    Layout layout,
    String hostname,
    int maxConnections,
    int maxPerIp,
    Duration commandTimeout,
    int maxErrors,
    Map<LayoutEntry, Duration> greetDelays,
    Duration tarpitInterval,
    Duration tarpitHold,
    int tarpitMax,
    Map<InetSocketAddress, ProxyListener> proxied) {

  public ListenerSettings {
    listen = List.copyOf(listen);
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    greetDelays = Map.copyOf(greetDelays);
    Objects.requireNonNull(tarpitInterval, "tarpitInterval");
    Objects.requireNonNull(tarpitHold, "tarpitHold");
    proxied = Map.copyOf(proxied);
    if (!listen.containsAll(proxied.keySet())) {
      throw new IllegalArgumentException("a PROXY listener that is not in listen: " + proxied);
    }
  }

  /** How long {@code entry} waits before its greeting (zero: it greets at once). */
  Duration greetDelay(LayoutEntry entry) {
    return greetDelays.getOrDefault(entry, Duration.ZERO);
  }
}

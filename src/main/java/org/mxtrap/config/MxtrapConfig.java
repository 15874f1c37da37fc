package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Layout;

/**
 * The whole, validated configuration of one host. Built only by {@link ConfigLoader} or {@link
 * #demo(Path)}; every value has been checked, so consumers never re-validate.
 *
 * @param source the file this was read from, or null for the embedded demo defaults
 * @param hostname our name in the banner, EHLO reply and Received headers
 * @param domains the domains we accept mail for, lower case, without trailing dot
 * @param dataDir the root of the spool, the Maildirs and the logs
 * @param layout the domain's whole MX layout
 * @param listen the addresses this host binds; a connection's role comes from its local address
 * @param tls STARTTLS key material, or null when STARTTLS is not offered
 */
public record MxtrapConfig(
    @Nullable Path source,
    String hostname,
    List<String> domains,
    Path dataDir,
    Layout layout,
    List<InetSocketAddress> listen,
    Limits limits,
    @Nullable TlsSettings tls,
    DeliverySettings delivery,
    QueueSettings queue) {

  public MxtrapConfig {
    Objects.requireNonNull(hostname, "hostname");
    domains = List.copyOf(domains);
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(layout, "layout");
    listen = List.copyOf(listen);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(delivery, "delivery");
    Objects.requireNonNull(queue, "queue");
  }

  /**
   * The embedded defaults that {@code mxtrap serve} runs without a config file (PRODUCT.md): the
   * domain {@code example.test}, the primary on 127.0.0.1:2525, traps (MX 30, 40) on :2526 and
   * :2527, data under {@code workDir/data}, Maildir delivery.
   */
  public static MxtrapConfig demo(Path workDir) {
    return ConfigLoader.demo(workDir);
  }
}

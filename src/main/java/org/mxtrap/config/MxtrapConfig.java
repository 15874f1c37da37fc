package org.mxtrap.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;

/**
 * The whole, validated configuration of one host. Built only by {@link ConfigLoader} or {@link
 * #demo(Path)}; every value has been checked, so consumers never re-validate.
 *
 * @param source the file this was read from, or null for the embedded demo defaults
 * @param hostname our name in the banner, EHLO reply and Received headers
 * @param domains the domains we accept mail for, lower case, without trailing dot
 * @param dataDir the root of the spool, the Maildirs and the logs
 * @param layout the domain's whole MX layout
 * @param listen the addresses this host binds; a connection's role comes from its local address, or
 *     on a listener behind load balancers from the destination in the balancer's PROXY header
 * @param tls STARTTLS key material, or null when STARTTLS is not offered
 * @param recipients which mailboxes of our domains exist
 * @param allow networks that are never suppressed and always served
 * @param block networks that are always refused with {@code suppress.action}
 * @param trustedRelays networks of the relays we trust to name the client they received a message
 *     from (our backups): offered XCLIENT, and their Received header read when they do not use it
 * @param allowPools domains (large senders' pools) whose SPF-authorized addresses are never
 *     suppressed: a trap or backup contact from one of them is served as a fallback
 * @param dns how DNS is asked (resolvers, timeout, retries, the reverse-name and SPF budgets)
 * @param dnsbl the DNS blocklists asked about every client, and the score that refuses it
 * @param policy the Postfix policy delegation service
 * @param log how the log on standard output is written
 * @param export the file of the active suppressions kept current for other tools; null: none
 */
public record MxtrapConfig(
    @Nullable Path source,
    String hostname,
    List<String> domains,
    Path dataDir,
    Layout layout,
    List<ListenAddress> listen,
    Limits limits,
    @Nullable TlsSettings tls,
    DeliverySettings delivery,
    RecipientSettings recipients,
    QueueSettings queue,
    TrapSettings trap,
    SuppressSettings suppress,
    List<Cidr> allow,
    List<Cidr> block,
    List<Cidr> trustedRelays,
    List<String> allowPools,
    StateSettings state,
    AdminSettings admin,
    DnsSettings dns,
    DnsblSettings dnsbl,
    PolicySettings policy,
    LogSettings log,
    @Nullable ExportSettings export) {

  public MxtrapConfig {
    Objects.requireNonNull(hostname, "hostname");
    domains = List.copyOf(domains);
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(layout, "layout");
    listen = List.copyOf(listen);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(delivery, "delivery");
    Objects.requireNonNull(recipients, "recipients");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(trap, "trap");
    Objects.requireNonNull(suppress, "suppress");
    allow = List.copyOf(allow);
    block = List.copyOf(block);
    trustedRelays = List.copyOf(trustedRelays);
    allowPools = List.copyOf(allowPools);
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(dns, "dns");
    Objects.requireNonNull(dnsbl, "dnsbl");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(log, "log");
  }

  /**
   * The same configuration without listeners: for {@code mxtrap policy}, where Postfix listens on
   * the layout's addresses and this host serves none of them itself (it probes them all).
   */
  public MxtrapConfig withoutListeners() {
    return new MxtrapConfig(
        source,
        hostname,
        domains,
        dataDir,
        layout,
        List.of(),
        limits,
        tls,
        delivery,
        recipients,
        queue,
        trap,
        suppress,
        allow,
        block,
        trustedRelays,
        allowPools,
        state,
        admin,
        dns,
        dnsbl,
        policy,
        log,
        export);
  }

  /**
   * Whether one of this host's {@code listen} addresses receives the connections of {@code e}. A
   * listener behind load balancers receives every entry's: the balancers decide which they forward.
   */
  public boolean serves(LayoutEntry e) {
    return listen.stream().anyMatch(l -> l.proxy() != null || e.receivedOn(l.address()));
  }

  /**
   * The effective configuration as a few lines for the log at start, one key per line, every value
   * after defaults and path resolution. Shows where key material lives, never its content.
   */
  public String describe() {
    return "config: "
        + (source == null ? "embedded demo defaults" : source)
        + "\n"
        + TopLevel.FILE.describe().apply(this);
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

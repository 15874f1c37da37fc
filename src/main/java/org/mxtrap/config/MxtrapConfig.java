package org.mxtrap.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
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
 * @param listen the addresses this host binds; a connection's role comes from its local address
 * @param tls STARTTLS key material, or null when STARTTLS is not offered
 * @param recipients which mailboxes of our domains exist
 * @param allow networks that are never suppressed and always served
 * @param block networks that are always refused with {@code suppress.action}
 * @param dns how DNS is asked (resolvers, timeout, retries, the reverse-name budget)
 * @param dnsbl the DNS blocklists asked about every client, and the score that refuses it
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
    RecipientSettings recipients,
    QueueSettings queue,
    TrapSettings trap,
    SuppressSettings suppress,
    List<Cidr> allow,
    List<Cidr> block,
    StateSettings state,
    AdminSettings admin,
    DnsSettings dns,
    DnsblSettings dnsbl) {

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
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(dns, "dns");
    Objects.requireNonNull(dnsbl, "dnsbl");
  }

  /** Whether one of this host's {@code listen} addresses receives the connections of {@code e}. */
  public boolean serves(LayoutEntry e) {
    return listen.stream().anyMatch(a -> ConfigParser.matches(a, e));
  }

  /**
   * The effective configuration as a few lines for the log at start, one key per line, every value
   * after defaults and path resolution. Shows where key material lives, never its content.
   */
  public String describe() {
    StringBuilder b = new StringBuilder();
    b.append("config: ").append(source == null ? "embedded demo defaults" : source).append('\n');
    b.append("hostname: ").append(hostname).append('\n');
    b.append("domains: ").append(String.join(", ", domains)).append('\n');
    b.append("data_dir: ").append(dataDir).append('\n');
    b.append("layout:\n");
    for (LayoutEntry e : layout.entries()) {
      b.append("  ").append(e.describe()).append('\n');
    }
    b.append("listen: ")
        .append(
            listen.stream()
                .map(a -> Addresses.literal(a.getAddress(), a.getPort()))
                .collect(Collectors.joining(", ")))
        .append('\n');
    b.append("limits: max_connections=")
        .append(limits.maxConnections())
        .append(" max_per_ip=")
        .append(limits.maxPerIp())
        .append(" max_message_size=")
        .append(ByteSizes.format(limits.maxMessageSize()))
        .append(" max_recipients=")
        .append(limits.maxRecipients())
        .append(" command_timeout=")
        .append(Durations.format(limits.commandTimeout()))
        .append(" max_errors=")
        .append(limits.maxErrors())
        .append(" min_data_rate=")
        .append(ByteSizes.format(limits.minDataRate()))
        .append(" message_memory=")
        .append(
            limits.messageMemory() == Limits.AUTO
                ? "auto"
                : ByteSizes.format(limits.messageMemory()))
        .append('\n');
    b.append("tls: ")
        .append(
            tls == null
                ? "off (no STARTTLS)"
                : "cert=" + tls.cert() + " key=" + tls.key() + " (key content not shown)")
        .append('\n');
    b.append("delivery: ").append(delivery.mode().name().toLowerCase(Locale.ROOT)).append('\n');
    b.append("recipients: mode=")
        .append(recipients.mode().name().toLowerCase(Locale.ROOT))
        .append(recipients.file() == null ? "" : " file=" + recipients.file())
        .append(" max_unknown=")
        .append(recipients.maxUnknown())
        .append('\n');
    b.append("queue: max_age=")
        .append(Durations.format(queue.maxAge()))
        .append(" min_backoff=")
        .append(Durations.format(queue.minBackoff()))
        .append(" max_backoff=")
        .append(Durations.format(queue.maxBackoff()))
        .append('\n');
    b.append("trap: window=")
        .append(Durations.format(trap.window()))
        .append(" arm_after=")
        .append(Durations.format(trap.armAfter()))
        .append(" probe_interval=")
        .append(Durations.format(trap.probeInterval()))
        .append(" on_trap=")
        .append(trap.onTrap().label())
        .append(" suppress_for=")
        .append(Durations.format(trap.suppressFor()))
        .append(" suppress_max=")
        .append(Durations.format(trap.suppressMax()))
        .append(" backup_skip=")
        .append(trap.backupSkip().name().toLowerCase(Locale.ROOT))
        .append(" excuse_prefix_v4=")
        .append(trap.excusePrefixV4())
        .append(" excuse_prefix_v6=")
        .append(trap.excusePrefixV6())
        .append(" greet_delay=")
        .append(Durations.format(trap.greetDelay()))
        .append('\n');
    b.append("suppress: action=")
        .append(suppress.action().label())
        .append(" tarpit_interval=")
        .append(Durations.format(suppress.tarpitInterval()))
        .append(" tarpit_hold=")
        .append(Durations.format(suppress.tarpitHold()))
        .append(" tarpit_max=")
        .append(suppress.tarpitMax())
        .append('\n');
    b.append("allow: ").append(allow.isEmpty() ? "(none)" : join(allow)).append('\n');
    b.append("block: ").append(block.isEmpty() ? "(none)" : join(block)).append('\n');
    b.append("state: store=local max_contacts=").append(state.maxContacts()).append('\n');
    b.append("admin: ")
        .append(Addresses.literal(admin.bind().getAddress(), admin.bind().getPort()))
        .append(admin.allowRemote() ? " (remote access allowed)" : "")
        .append('\n');
    b.append("dns: resolver=")
        .append(
            dns.system()
                ? "system"
                : dns.resolvers().stream()
                    .map(a -> Addresses.literal(a.getAddress(), a.getPort()))
                    .collect(Collectors.joining(",")))
        .append(" timeout=")
        .append(Durations.format(dns.timeout()))
        .append(" retries=")
        .append(dns.retries())
        .append(" ptr_budget=")
        .append(dns.reverseNames() ? Durations.format(dns.ptrBudget()) : "0s (no reverse names)")
        .append('\n');
    b.append("dnsbl: ");
    if (!dnsbl.enabled()) {
      b.append("(no zones)");
    } else {
      b.append("threshold=")
          .append(number(dnsbl.threshold()))
          .append(" timeout=")
          .append(Durations.format(dnsbl.timeout()))
          .append(" zones=")
          .append(
              dnsbl.zones().stream()
                  .map(
                      z ->
                          z.name()
                              + "*"
                              + number(z.weight())
                              + (z.onUnknown() == DnsblSettings.OnUnknown.CLOSED ? " (closed)" : "")
                              + (z.codes().isEmpty() ? "" : "=" + join(z.codes())))
                  .collect(Collectors.joining(", ")));
    }
    return b.toString();
  }

  /** {@code 1}, {@code 0.5}: a weight or threshold as written. */
  static String number(double n) {
    return n == Math.rint(n) && Math.abs(n) < 1e15 ? Long.toString((long) n) : Double.toString(n);
  }

  private static String join(List<Cidr> prefixes) {
    return prefixes.stream().map(Cidr::toString).collect(Collectors.joining(", "));
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

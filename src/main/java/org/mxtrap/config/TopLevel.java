package org.mxtrap.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.LayoutRules.Parsed;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The top level of the config file: its keys, in the order they are read and shown, each section
 * registered here by one key. A new section is a record with its key table ({@link Limits} is one)
 * and one key here, plus its component of {@link MxtrapConfig}.
 */
final class TopLevel {
  private TopLevel() {}

  static final Key<MxtrapConfig, String> HOSTNAME =
      Key.of("hostname", Type.domainName(), null, MxtrapConfig::hostname);
  private static final Type<List<String>> DOMAIN_LIST =
      Type.of(TopLevel::domains, d -> String.join(", ", d));
  static final Key<MxtrapConfig, List<String>> DOMAINS =
      Key.<MxtrapConfig, List<String>>required(
              "domains", DOMAIN_LIST, "the domains to accept mail for", List.of())
          .shownAs(c -> DOMAIN_LIST.show().apply(c.domains()));
  static final Key<MxtrapConfig, Path> DATA_DIR =
      Key.of("data_dir", Type.path(), Path.of("/var/lib/mxtrap"), MxtrapConfig::dataDir);
  static final Key<MxtrapConfig, List<Parsed>> LAYOUT =
      Key.<MxtrapConfig, List<Parsed>>required(
              "layout",
              new Type<List<Parsed>>(
                  LayoutRules::layout,
                  l -> LayoutRules.show(l.stream().map(Parsed::entry).toList()),
                  LayoutRules.ENTRY),
              "the domain's MX layout",
              null)
          .shownAs(c -> LayoutRules.show(c.layout().entries()));
  static final Key<MxtrapConfig, List<ListenAddress>> LISTEN =
      Key.of(
          "listen",
          new Type<List<ListenAddress>>(
              LayoutRules::listen, LayoutRules::showListen, LayoutRules.LISTEN_ENTRY),
          List.of(LayoutRules.DEFAULT_LISTEN_ENTRY),
          MxtrapConfig::listen);
  static final Key<MxtrapConfig, Limits> LIMITS = section(Limits.SECTION, MxtrapConfig::limits);
  static final Key<MxtrapConfig, TlsSettings> TLS =
      Key.of("tls", TlsSettings.SECTION.type(), null, MxtrapConfig::tls)
          .shownAs(c -> TlsSettings.describe(c.tls()));
  static final Key<MxtrapConfig, DeliverySettings> DELIVERY =
      section(DeliverySettings.SECTION, MxtrapConfig::delivery);
  static final Key<MxtrapConfig, RecipientSettings> RECIPIENTS =
      section(RecipientSettings.SECTION, MxtrapConfig::recipients);
  static final Key<MxtrapConfig, QueueSettings> QUEUE =
      section(QueueSettings.SECTION, MxtrapConfig::queue);
  static final Key<MxtrapConfig, TrapSettings> TRAP =
      section(TrapSettings.SECTION, MxtrapConfig::trap);
  static final Key<MxtrapConfig, SuppressSettings> SUPPRESS =
      section(SuppressSettings.SECTION, MxtrapConfig::suppress);
  static final Key<MxtrapConfig, List<Cidr>> ALLOW =
      Key.of("allow", Type.prefixes(), List.of(), MxtrapConfig::allow);
  static final Key<MxtrapConfig, List<Cidr>> BLOCK =
      Key.of("block", Type.prefixes(), List.of(), MxtrapConfig::block);
  static final Key<MxtrapConfig, List<Cidr>> TRUSTED_RELAYS =
      Key.of("trusted_relays", Type.prefixes(), List.of(), MxtrapConfig::trustedRelays);
  private static final Type<List<String>> POOL_LIST =
      Type.of(TopLevel::pools, d -> d.isEmpty() ? "[]" : String.join(", ", d));
  static final Key<MxtrapConfig, List<String>> ALLOW_POOLS =
      Key.of("allow_pools", POOL_LIST, List.of(), MxtrapConfig::allowPools);
  static final Key<MxtrapConfig, StateSettings> STATE =
      section(StateSettings.SECTION, MxtrapConfig::state);
  static final Key<MxtrapConfig, AdminSettings> ADMIN =
      section(AdminSettings.SECTION, MxtrapConfig::admin);
  static final Key<MxtrapConfig, DnsSettings> DNS = section(DnsSettings.SECTION, MxtrapConfig::dns);
  static final Key<MxtrapConfig, DnsblSettings> DNSBL =
      section(DnsblSettings.SECTION, MxtrapConfig::dnsbl);
  static final Key<MxtrapConfig, PolicySettings> POLICY =
      section(PolicySettings.SECTION, MxtrapConfig::policy);
  static final Key<MxtrapConfig, LogSettings> LOG = section(LogSettings.SECTION, MxtrapConfig::log);
  static final Key<MxtrapConfig, ExportSettings> EXPORT =
      Key.of("export", ExportSettings.SECTION.type(), null, MxtrapConfig::export)
          .shownAs(c -> ExportSettings.describe(c.export()));

  /** The whole file; its printout is one {@code key: value} line per key. */
  static final Section<MxtrapConfig> FILE =
      Section.of(
              "",
              List.of(
                  HOSTNAME,
                  DOMAINS,
                  DATA_DIR,
                  LAYOUT,
                  LISTEN,
                  LIMITS,
                  TLS,
                  DELIVERY,
                  RECIPIENTS,
                  QUEUE,
                  TRAP,
                  SUPPRESS,
                  ALLOW,
                  BLOCK,
                  TRUSTED_RELAYS,
                  ALLOW_POOLS,
                  STATE,
                  ADMIN,
                  DNS,
                  DNSBL,
                  POLICY,
                  LOG,
                  EXPORT),
              TopLevel::build)
          .describedAs(TopLevel::describe);

  /** The key of a section whose record is never null: absent, it has its defaults. */
  private static <S> Key<MxtrapConfig, S> section(
      Section<S> section, Function<MxtrapConfig, @Nullable S> value) {
    return Key.of(section.name(), section.type(), section.defaults(), value);
  }

  /**
   * Reads the whole tree; null when any problem was found (see {@link NodeReader#problems()}).
   *
   * @param root the document's root node, or null for an empty file
   */
  static @Nullable MxtrapConfig parse(NodeReader r, @Nullable Node root) {
    Values top;
    if (root == null) {
      top = new Values(r, FILE.keys(), Map.of(), "", 1, null, null);
    } else if (root instanceof MappingNode) {
      top =
          new Values(
              r,
              FILE.keys(),
              r.fields(root, "", FILE.names()),
              "",
              NodeReader.line(root),
              null,
              null);
    } else {
      r.error(
          NodeReader.line(root),
          "",
          "expected a mapping of keys (hostname:, domains:, ...), got " + NodeReader.kind(root));
      return null;
    }
    MxtrapConfig c = FILE.build().apply(top);
    return r.problemCount() > 0 ? null : c;
  }

  /** Every key in order; the layout decides the default hostname and the listen match. */
  private static @Nullable MxtrapConfig build(Values v) {
    String hostname = v.get(HOSTNAME);
    List<String> domains = v.get(DOMAINS);
    Path dataDir = v.get(DATA_DIR);
    List<Parsed> layout = v.get(LAYOUT);
    List<ListenAddress> listen = v.given(LISTEN) ? v.get(LISTEN) : LayoutRules.defaultListen(v);
    Limits limits = v.get(LIMITS);
    TlsSettings tls = v.get(TLS);
    DeliverySettings delivery = v.get(DELIVERY);
    RecipientSettings recipients = v.get(RECIPIENTS);
    QueueSettings queue = v.get(QUEUE);
    TrapSettings trap = v.get(TRAP);
    if (layout != null) {
      trap = trap.withGreetDelays(LayoutRules.greetDelays(layout));
    }
    SuppressSettings suppress = v.get(SUPPRESS);
    List<Cidr> allow = v.get(ALLOW);
    List<Cidr> block = v.get(BLOCK);
    List<Cidr> trustedRelays = v.get(TRUSTED_RELAYS);
    List<String> allowPools = v.get(ALLOW_POOLS);
    StateSettings state = v.get(STATE);
    AdminSettings admin = v.get(ADMIN);
    DnsSettings dns = v.get(DNS);
    DnsblSettings dnsbl = v.get(DNSBL);
    PolicySettings policy = v.get(POLICY);
    LogSettings log = v.get(LOG);
    ExportSettings export = v.get(EXPORT);
    Field pools = v.field(ALLOW_POOLS);
    if (!allowPools.isEmpty() && dns != null && !dns.spf() && pools != null) {
      v.reader().error(pools, "needs SPF checks, which dns.spf_budget: 0s turns off");
    }
    if (hostname == null && !v.given(HOSTNAME) && layout != null) {
      // Default: the primary's name (the lowest preference if several). Right on the primary
      // host; a backup host should set hostname itself (documented).
      hostname =
          layout.stream()
              .map(Parsed::entry)
              .filter(e -> e.role() == Role.PRIMARY)
              .min(Comparator.comparingInt(LayoutEntry::preference))
              .map(LayoutEntry::host)
              .orElse(null);
    }
    if (v.reader().problemCount() > 0 || hostname == null || layout == null) {
      return null;
    }
    return new MxtrapConfig(
        v.reader().source(),
        hostname,
        domains,
        dataDir,
        new Layout(layout.stream().map(Parsed::entry).toList()),
        listen,
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

  /** One line per key, {@code key: value}; a value of several lines starts with a line break. */
  private static String describe(MxtrapConfig c) {
    List<String> lines = new ArrayList<>();
    for (Key<MxtrapConfig, ?> k : FILE.keys()) {
      String shown = Objects.requireNonNull(k.shown().apply(c), k.name());
      lines.add(k.name() + ":" + (shown.startsWith("\n") ? "" : " ") + shown);
    }
    return String.join("\n", lines);
  }

  /** {@code domains}: the valid ones, also when some are not (recipients.file is held to them). */
  private static List<String> domains(Values in, Field f) {
    List<Field> items = in.reader().list(f);
    if (items != null && items.isEmpty()) {
      in.reader().error(f, "must list at least one domain");
    }
    return names(in.reader(), items);
  }

  /** {@code allow_pools}: domains, none twice (that SPF checks are on is checked by build). */
  private static List<String> pools(Values in, Field f) {
    return names(in.reader(), in.reader().list(f));
  }

  /** The domain names of {@code items}, each once; null items (already reported): none. */
  private static List<String> names(NodeReader r, @Nullable List<Field> items) {
    if (items == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Field item : items) {
      String d = r.domainName(item);
      if (d != null) {
        if (out.contains(d)) {
          r.error(item, "listed twice: " + d);
        } else {
          out.add(d);
        }
      }
    }
    return out;
  }
}

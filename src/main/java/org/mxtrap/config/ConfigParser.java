package org.mxtrap.config;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException.Problem;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Turns the YAML node tree of one config file into an {@link MxtrapConfig}, collecting every
 * problem instead of stopping at the first. One instance per file; not thread-safe.
 *
 * <p>Checks that depend on several keys (the listen/layout match, preference order) run only when
 * the keys they read are themselves valid, so that one typo does not cascade into a page of errors.
 */
final class ConfigParser {

  static final List<String> TOP_KEYS =
      List.of(
          "hostname",
          "domains",
          "data_dir",
          "layout",
          "listen",
          "limits",
          "tls",
          "delivery",
          "recipients",
          "queue",
          "trap",
          "suppress",
          "allow",
          "block",
          "state",
          "admin",
          "dns",
          "dnsbl");

  /** Top-level keys of PRODUCT.md whose feature is not built yet, with what is missing. */
  static final Map<String, String> NOT_BUILT = notBuilt();

  private static Map<String, String> notBuilt() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("trusted_relays", "XCLIENT for trusted relays is not built");
    m.put("policy", "the Postfix policy service is not built");
    return Collections.unmodifiableMap(m);
  }

  static final List<String> LAYOUT_KEYS =
      List.of("preference", "host", "address", "port", "role", "greet_delay");
  static final List<String> TRAP_KEYS =
      List.of(
          "window",
          "arm_after",
          "probe_interval",
          "on_trap",
          "suppress_for",
          "suppress_max",
          "backup_skip",
          "excuse_prefix_v4",
          "excuse_prefix_v6",
          "greet_delay");
  static final List<String> SUPPRESS_KEYS =
      List.of("action", "tarpit_interval", "tarpit_hold", "tarpit_max");
  static final List<String> STATE_KEYS = List.of("store", "max_contacts");
  static final List<String> ADMIN_KEYS = List.of("bind", "allow_remote");
  static final List<String> LIMIT_KEYS =
      List.of(
          "max_connections",
          "max_per_ip",
          "max_message_size",
          "max_recipients",
          "command_timeout",
          "max_errors",
          "min_data_rate",
          "message_memory");
  static final List<String> TLS_KEYS = List.of("cert", "key");
  static final List<String> DNS_KEYS = List.of("resolver", "timeout", "retries", "ptr_budget");
  static final List<String> DNSBL_KEYS = List.of("zones", "threshold", "timeout");
  static final List<String> DNSBL_ZONE_KEYS = List.of("zone", "weight", "on_unknown", "codes");
  static final List<String> DELIVERY_KEYS = List.of("mode");
  static final List<String> RECIPIENT_KEYS = List.of("mode", "file", "max_unknown");

  /** Keys of PRODUCT.md's {@code recipients} whose feature is not built yet. */
  static final Map<String, String> RECIPIENT_NOT_BUILT =
      Map.of("verify_ttl", "recipient verification (mode verify) is not built");

  static final List<String> QUEUE_KEYS = List.of("max_age", "min_backoff", "max_backoff");

  // Why each duration key has the maximum it has: said in the error, and in the docs.
  static final String WHY_COMMAND_TIMEOUT =
      "RFC 5321 asks for 5 minutes; a longer wait lets a silent client hold its connection";
  static final String WHY_MAX_AGE = "how long a message may wait before it bounces";
  static final String WHY_BACKOFF = "the longest wait between two delivery attempts";
  static final String WHY_PERIOD = "a year";
  static final String WHY_PROBE_INTERVAL =
      "a lower MX that went down must be noticed before a trap judges its senders";
  static final String WHY_GREET_DELAY = "senders give up after 5 minutes without a greeting";
  static final String WHY_GREETING_WAIT = "the client waits this long for its greeting";
  static final String WHY_DNS_TIMEOUT =
      "one query to one resolver: answers come within seconds or not at all";
  static final String WHY_TARPIT_INTERVAL = "senders give up after 5 minutes without a byte";
  static final String WHY_TARPIT_HOLD = "each held connection takes a file descriptor";

  static final Path DEFAULT_DATA_DIR = Path.of("/var/lib/mxtrap");
  static final String DEFAULT_LISTEN = "0.0.0.0:25";
  static final int DEFAULT_PORT = 25;

  private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9](_?[0-9])*");
  private static final Pattern NUMBER = Pattern.compile("[-+]?[0-9]+(\\.[0-9]+)?");

  /**
   * A value in the tree with its key path: a mapping entry ({@code key} is the key's node) or a
   * list item ({@code key} is the item itself).
   */
  private record Field(String path, Node key, Node value) {}

  /** A layout entry that parsed, with where it came from. */
  private record Parsed(LayoutEntry entry, Field item, Map<String, Field> fields) {
    /** The field of a required key: an entry parses only when it has them all. */
    Field required(String key) {
      return Objects.requireNonNull(fields.get(key), key);
    }
  }

  private final String file;
  private final Path baseDir;
  private final List<Problem> problems = new ArrayList<>();

  /**
   * @param file the file name for messages, as the user gave it
   * @param baseDir the directory relative paths are resolved against: the config file's
   */
  ConfigParser(String file, Path baseDir) {
    this.file = file;
    this.baseDir = baseDir;
  }

  /** The problems found so far: this file's by line, then those of files it names. */
  List<Problem> problems() {
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(
        Comparator.comparing((Problem p) -> !p.file().equals(file))
            .thenComparingInt(Problem::line));
    return sorted;
  }

  /**
   * Reads the whole tree; returns null when any problem was found (see {@link #problems()}).
   *
   * @param root the document's root node, or null for an empty file
   */
  @Nullable MxtrapConfig parse(@Nullable Node root, Path source) {
    Map<String, Field> top = new HashMap<>();
    int rootLine = 1;
    if (root != null) {
      rootLine = line(root);
      if (!(root instanceof MappingNode)) {
        error(
            rootLine,
            "",
            "expected a mapping of keys (hostname:, domains:, ...), got " + kind(root));
        return null;
      }
      top = fields(root, "", TOP_KEYS, NOT_BUILT);
    }

    Field f;
    String hostname = (f = top.get("hostname")) == null ? null : domainName(f);

    List<String> domains = List.of();
    f = top.get("domains");
    if (f == null) {
      error(rootLine, "domains", "required key is missing (the domains to accept mail for)");
    } else {
      domains = domains(f);
    }

    Path dataDir = (f = top.get("data_dir")) == null ? DEFAULT_DATA_DIR : path(f);

    List<Parsed> layout = null;
    f = top.get("layout");
    Field layoutField = f;
    if (f == null) {
      error(rootLine, "layout", "required key is missing (the domain's MX layout)");
    } else {
      layout = layout(f);
    }

    List<InetSocketAddress> listen = listen(top.get("listen"), layout, layoutField, rootLine);
    Limits limits = limits(top.get("limits"));
    TlsSettings tls = (f = top.get("tls")) == null ? null : tls(f);
    DeliverySettings delivery =
        (f = top.get("delivery")) == null ? DeliverySettings.DEFAULTS : delivery(f);
    RecipientSettings recipients =
        (f = top.get("recipients")) == null ? RecipientSettings.DEFAULTS : recipients(f, domains);
    QueueSettings queue = (f = top.get("queue")) == null ? QueueSettings.DEFAULTS : queue(f);
    TrapSettings trap = (f = top.get("trap")) == null ? TrapSettings.DEFAULTS : trap(f);
    if (layout != null) {
      trap = withGreetDelays(trap, layout);
    }
    SuppressSettings suppress =
        (f = top.get("suppress")) == null ? SuppressSettings.DEFAULTS : suppress(f);
    List<Cidr> allow = (f = top.get("allow")) == null ? List.of() : prefixes(f);
    List<Cidr> block = (f = top.get("block")) == null ? List.of() : prefixes(f);
    StateSettings state = (f = top.get("state")) == null ? StateSettings.DEFAULTS : state(f);
    AdminSettings admin = (f = top.get("admin")) == null ? AdminSettings.DEFAULTS : admin(f);
    DnsSettings dns = (f = top.get("dns")) == null ? DnsSettings.DEFAULTS : dns(f);
    DnsblSettings dnsbl = (f = top.get("dnsbl")) == null ? DnsblSettings.NONE : dnsbl(f);

    if (hostname == null && !top.containsKey("hostname") && layout != null) {
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

    if (!problems.isEmpty() || hostname == null || layout == null || dataDir == null) {
      return null;
    }
    return new MxtrapConfig(
        source,
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
        state,
        admin,
        dns,
        dnsbl);
  }

  // --- sections -------------------------------------------------------------------------------

  private List<String> domains(Field f) {
    List<Field> items = list(f);
    if (items == null) {
      return List.of();
    }
    if (items.isEmpty()) {
      error(f, "must list at least one domain");
    }
    List<String> out = new ArrayList<>();
    for (Field item : items) {
      String d = domainName(item);
      if (d != null) {
        if (out.contains(d)) {
          error(item, "listed twice: " + d);
        } else {
          out.add(d);
        }
      }
    }
    return out;
  }

  /** The parsed entries, or null when any entry (or the list) has a problem. */
  private @Nullable List<Parsed> layout(Field f) {
    List<Field> items = list(f);
    if (items == null) {
      return null;
    }
    if (items.isEmpty()) {
      error(f, "must list at least one entry (and one of them with role primary)");
      return null;
    }
    List<Parsed> parsed = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      Parsed p = layoutEntry(item);
      if (p == null) {
        complete = false;
      } else {
        parsed.add(p);
      }
    }
    if (!complete) {
      return null;
    }
    int before = problems.size();
    for (int j = 0; j < parsed.size(); j++) {
      LayoutEntry b = parsed.get(j).entry();
      for (int i = 0; i < j; i++) {
        LayoutEntry a = parsed.get(i).entry();
        if (a.port() == b.port() && Addresses.sameHost(a.address(), b.address())) {
          Field at = parsed.get(j).required("address");
          error(
              at,
              "same address and port as "
                  + parsed.get(i).item().path()
                  + ": "
                  + Addresses.literal(b.address(), b.port()));
          break;
        }
      }
    }
    List<Parsed> servers = parsed.stream().filter(p -> p.entry().role() != Role.TRAP).toList();
    if (parsed.stream().noneMatch(p -> p.entry().role() == Role.PRIMARY)) {
      errorAtKey(f, "no entry has role primary");
    }
    for (Parsed p : parsed) {
      LayoutEntry e = p.entry();
      if (e.role() == Role.TRAP) {
        // A legitimate sender reaches a trap only after every lower entry failed for it; a trap
        // at or below a primary or backup would catch ordinary senders.
        for (Parsed s : servers) {
          if (s.entry().preference() >= e.preference()) {
            error(
                p.required("preference"),
                "a trap must have a higher preference number than every primary and backup, but "
                    + s.item().path()
                    + " ("
                    + s.entry().role().label()
                    + ") has "
                    + s.entry().preference());
            break;
          }
        }
      } else if (e.role() == Role.BACKUP
          && parsed.stream()
              .noneMatch(
                  q ->
                      q.entry().role() == Role.PRIMARY
                          && q.entry().preference() < e.preference())) {
        // A backup forwards only to hosts of strictly lower preference (RFC 5321 5.1).
        error(
            p.required("preference"),
            "a backup must have a higher preference number than a primary (it forwards only to"
                + " lower numbers)");
      }
    }
    return problems.size() == before ? parsed : null;
  }

  private @Nullable Parsed layoutEntry(Field item) {
    if (!(item.value() instanceof MappingNode)) {
      error(
          item,
          "expected a mapping like { preference: 10, host: mail.example.com, address: 192.0.2.10,"
              + " role: primary }, got "
              + kind(item.value()));
      return null;
    }
    int before = problems.size();
    Map<String, Field> fields = fields(item.value(), item.path(), LAYOUT_KEYS, Map.of());
    for (String required : List.of("preference", "host", "address", "role")) {
      if (!fields.containsKey(required)) {
        error(line(item.value()), item.path() + "." + required, "required key is missing");
      }
    }
    Field f;
    Long preference = (f = fields.get("preference")) == null ? null : integer(f, 0, 65535);
    String host = (f = fields.get("host")) == null ? null : domainName(f);
    InetAddress address =
        (f = fields.get("address")) == null ? null : parsed(f, IpLiterals::parseAddress);
    Long port =
        (f = fields.get("port")) == null ? Long.valueOf(DEFAULT_PORT) : integer(f, 1, 65535);
    Role role = null;
    if ((f = fields.get("role")) != null) {
      String text = text(f);
      if (text != null) {
        try {
          role = Role.parse(text);
        } catch (IllegalArgumentException e) {
          error(f, "unknown role: " + text + "; use primary, backup or trap");
        }
      }
    }
    if (problems.size() != before
        || preference == null
        || host == null
        || address == null
        || port == null
        || role == null) {
      return null;
    }
    return new Parsed(
        new LayoutEntry(preference.intValue(), host, address, port.intValue(), role), item, fields);
  }

  private List<InetSocketAddress> listen(
      @Nullable Field f, @Nullable List<Parsed> layout, @Nullable Field layoutField, int rootLine) {
    List<InetSocketAddress> out = new ArrayList<>();
    List<Field> from = new ArrayList<>();
    boolean complete = true;
    if (f == null) {
      out.add(IpLiterals.parseSocketAddress(DEFAULT_LISTEN));
    } else {
      List<Field> items = list(f);
      if (items == null) {
        return out;
      }
      if (items.isEmpty()) {
        error(f, "must list at least one ADDRESS:PORT to bind");
      }
      for (Field item : items) {
        String text = text(item);
        if (text == null) {
          complete = false;
          continue;
        }
        InetSocketAddress a;
        try {
          a = IpLiterals.parseSocketAddress(text);
        } catch (IllegalArgumentException e) {
          error(item, Objects.requireNonNullElse(e.getMessage(), e.toString()));
          complete = false;
          continue;
        }
        String clash = clash(a, out, from);
        if (clash != null) {
          error(item, clash);
          complete = false;
          continue;
        }
        out.add(a);
        from.add(item);
      }
    }
    if (!complete || layout == null) {
      return out;
    }
    for (int i = 0; i < out.size(); i++) {
      InetSocketAddress a = out.get(i);
      if (layout.stream().noneMatch(p -> matches(a, p.entry()))) {
        String literal = Addresses.literal(a.getAddress(), a.getPort());
        String hint =
            "; bind an entry's address and port, or 0.0.0.0:PORT / [::]:PORT for all entries on"
                + " PORT";
        if (f == null) {
          int at = layoutField == null ? rootLine : line(layoutField.key());
          error(at, "listen", "the default " + literal + " matches no layout entry" + hint);
        } else {
          error(from.get(i), literal + " matches no layout entry" + hint);
        }
      }
    }
    return out;
  }

  /** Why {@code a} cannot be bound beside {@code earlier}, or null when it can. */
  private static @Nullable String clash(
      InetSocketAddress a, List<InetSocketAddress> earlier, List<Field> from) {
    for (int i = 0; i < earlier.size(); i++) {
      InetSocketAddress b = earlier.get(i);
      if (a.getPort() != b.getPort()) {
        continue;
      }
      String path = from.get(i).path();
      if (a.getAddress().equals(b.getAddress())) {
        return "listed twice (see " + path + ")";
      }
      if (covers(a.getAddress(), b.getAddress()) || covers(b.getAddress(), a.getAddress())) {
        // The OS refuses the second bind: a wildcard already holds the port for these addresses.
        return "overlaps "
            + path
            + " ("
            + Addresses.literal(b.getAddress(), b.getPort())
            + "): a wildcard address already binds every address of its family on this port";
      }
    }
    return null;
  }

  /** Whether binding wildcard {@code w} also takes {@code x} (Java sockets are dual-stack). */
  private static boolean covers(InetAddress w, InetAddress x) {
    if (!w.isAnyLocalAddress()) {
      return false;
    }
    return !(w instanceof Inet4Address) || x instanceof Inet4Address;
  }

  /**
   * Whether a listener on {@code a} can receive connections for {@code e}: {@code 0.0.0.0:P}
   * matches every IPv4 entry on port P, {@code [::]:P} every entry on port P, and a specific
   * address only the entry with that address and port.
   */
  static boolean matches(InetSocketAddress a, LayoutEntry e) {
    if (a.getPort() != e.port()) {
      return false;
    }
    InetAddress l = a.getAddress();
    if (l.isAnyLocalAddress()) {
      return !(l instanceof Inet4Address) || e.address() instanceof Inet4Address;
    }
    return Addresses.sameHost(l, e.address());
  }

  private Limits limits(@Nullable Field section) {
    Limits d = Limits.DEFAULTS;
    if (section == null) {
      return d;
    }
    Map<String, Field> fields = fields(section.value(), section.path(), LIMIT_KEYS, Map.of());
    Field f;
    Long maxConnections = (f = fields.get("max_connections")) == null ? null : positiveInt(f);
    Long maxPerIp = (f = fields.get("max_per_ip")) == null ? null : positiveInt(f);
    Long maxSize = (f = fields.get("max_message_size")) == null ? null : size(f);
    Long maxRecipients = (f = fields.get("max_recipients")) == null ? null : positiveInt(f);
    Duration timeout =
        (f = fields.get("command_timeout")) == null
            ? null
            : duration(f, Limits.MAX_COMMAND_TIMEOUT, WHY_COMMAND_TIMEOUT);
    Long maxErrors = (f = fields.get("max_errors")) == null ? null : positiveInt(f);
    Long minDataRate = (f = fields.get("min_data_rate")) == null ? null : size(f);
    Long messageMemory = (f = fields.get("message_memory")) == null ? null : sizeOrAuto(f);
    return new Limits(
        maxConnections == null ? d.maxConnections() : maxConnections.intValue(),
        maxPerIp == null ? d.maxPerIp() : maxPerIp.intValue(),
        maxSize == null ? d.maxMessageSize() : maxSize,
        maxRecipients == null ? d.maxRecipients() : maxRecipients.intValue(),
        timeout == null ? d.commandTimeout() : timeout,
        maxErrors == null ? d.maxErrors() : maxErrors.intValue(),
        minDataRate == null ? d.minDataRate() : minDataRate,
        messageMemory == null ? d.messageMemory() : messageMemory);
  }

  private @Nullable TlsSettings tls(Field section) {
    Map<String, Field> fields = fields(section.value(), section.path(), TLS_KEYS, Map.of());
    Field cert = fields.get("cert");
    Field key = fields.get("key");
    if (cert == null && key == null) {
      return null; // tls: {} is no STARTTLS, like no tls key
    }
    if (cert == null || key == null) {
      Field given = Objects.requireNonNull(cert == null ? key : cert); // not both: see above
      String missing = cert == null ? "cert" : "key";
      error(
          line(given.key()),
          "tls." + missing,
          "required when " + given.path() + " is given (STARTTLS needs both)");
      return null;
    }
    Path c = readableFile(cert);
    Path k = readableFile(key);
    return c == null || k == null ? null : new TlsSettings(c, k);
  }

  private @Nullable Path readableFile(Field f) {
    Path p = path(f);
    if (p != null && !(Files.isRegularFile(p) && Files.isReadable(p))) {
      error(f, "not a readable file: " + p);
      return null;
    }
    return p;
  }

  private DeliverySettings delivery(Field section) {
    Map<String, Field> fields = fields(section.value(), section.path(), DELIVERY_KEYS, Map.of());
    Field f = fields.get("mode");
    if (f == null) {
      return DeliverySettings.DEFAULTS;
    }
    String mode = text(f);
    if (mode == null) {
      return DeliverySettings.DEFAULTS;
    }
    switch (mode) {
      case "maildir" -> {
        return new DeliverySettings(DeliverySettings.Mode.MAILDIR);
      }
      case "relay", "mx" ->
          error(
              f,
              mode
                  + ": not supported yet in this version ("
                  + (mode.equals("relay") ? "relay delivery" : "forwarding by MX")
                  + " is not built); use maildir");
      default -> error(f, "unknown delivery mode: " + mode + "; use maildir");
    }
    return DeliverySettings.DEFAULTS;
  }

  /**
   * {@code recipients}; with mode list, the file is read here too, so that check-config finds its
   * problems (at their lines in that file) before serve does.
   *
   * @param domains the valid ones of {@code domains}: the file's domains must be among them
   */
  private RecipientSettings recipients(Field section, List<String> domains) {
    RecipientSettings d = RecipientSettings.DEFAULTS;
    Map<String, Field> fields =
        fields(section.value(), section.path(), RECIPIENT_KEYS, RECIPIENT_NOT_BUILT);
    Field f;
    RecipientSettings.Mode mode = d.mode();
    Field fMode = fields.get("mode");
    if (fMode != null) {
      String modeText = text(fMode);
      mode =
          switch (modeText) {
            case null -> null;
            case "any" -> RecipientSettings.Mode.ANY;
            case "list" -> RecipientSettings.Mode.LIST;
            case "verify" -> {
              error(
                  fMode,
                  "verify: not supported yet in this version (asking the next hop is not built; it"
                      + " comes with the backup MX); use any or list");
              yield null;
            }
            default -> {
              error(fMode, "expected one of any, list, got " + modeText);
              yield null;
            }
          };
    }
    Long maxUnknown =
        (f = fields.get("max_unknown")) == null ? Long.valueOf(d.maxUnknown()) : positiveInt(f);
    Field fFile = fields.get("file");
    Path file = null;
    if (mode == RecipientSettings.Mode.LIST) {
      if (fFile == null) {
        error(
            line(Objects.requireNonNull(fMode).key()), // list is never the default
            "recipients.file",
            "required with mode: list (the file of addresses and @domain lines)");
      } else {
        file = recipientFile(fFile, domains);
      }
    } else if (mode == RecipientSettings.Mode.ANY && fFile != null) {
      errorAtKey(
          fFile,
          "only read with mode: list (mode is "
              + (fMode == null ? "any, the default" : "any")
              + "); set mode: list or remove the key");
    }
    if (mode == null
        || maxUnknown == null
        || (mode == RecipientSettings.Mode.LIST && file == null)) {
      return d;
    }
    return new RecipientSettings(mode, file, maxUnknown.intValue());
  }

  /** The recipients file, read once: its refused lines are problems at their own lines. */
  private @Nullable Path recipientFile(Field f, List<String> domains) {
    Path p = readableFile(f);
    if (p == null) {
      return null;
    }
    RecipientFile.Contents contents;
    try {
      contents = RecipientFile.read(p, domains);
    } catch (IOException e) {
      error(
          f,
          "cannot read "
              + p
              + ": "
              + (e instanceof CharacterCodingException ? "not UTF-8 text" : e));
      return null;
    }
    for (RecipientFile.BadLine b : contents.bad()) {
      problems.add(new Problem(p.toString(), b.line(), f.path(), b.message()));
    }
    return contents.bad().isEmpty() ? p : null;
  }

  private QueueSettings queue(Field section) {
    QueueSettings d = QueueSettings.DEFAULTS;
    Map<String, Field> fields = fields(section.value(), section.path(), QUEUE_KEYS, Map.of());
    Field fAge = fields.get("max_age");
    Field fMin = fields.get("min_backoff");
    Field fMax = fields.get("max_backoff");
    Duration maxAge =
        fAge == null ? d.maxAge() : duration(fAge, QueueSettings.MAX_AGE, WHY_MAX_AGE);
    Duration min =
        fMin == null ? d.minBackoff() : duration(fMin, QueueSettings.MAX_BACKOFF, WHY_BACKOFF);
    Duration max =
        fMax == null ? d.maxBackoff() : duration(fMax, QueueSettings.MAX_BACKOFF, WHY_BACKOFF);
    if (min != null && max != null && min.compareTo(max) > 0) {
      Field at = fMin != null ? fMin : fMax;
      if (at != null) {
        error(
            at,
            "queue.min_backoff ("
                + Durations.format(min)
                + ") is longer than queue.max_backoff ("
                + Durations.format(max)
                + (fMax == null ? ", the default" : "")
                + ")");
      }
    }
    if (maxAge == null || min == null || max == null) {
      return d;
    }
    return new QueueSettings(maxAge, min, max);
  }

  private TrapSettings trap(Field section) {
    TrapSettings d = TrapSettings.DEFAULTS;
    Map<String, Field> fields = fields(section.value(), section.path(), TRAP_KEYS, Map.of());
    Field f;
    Duration window = (f = fields.get("window")) == null ? d.window() : yearAtMost(f);
    Duration armAfter = (f = fields.get("arm_after")) == null ? d.armAfter() : yearAtMost(f);
    Duration probe =
        (f = fields.get("probe_interval")) == null
            ? d.probeInterval()
            : duration(f, TrapSettings.MAX_PROBE_INTERVAL, WHY_PROBE_INTERVAL);
    Action onTrap =
        (f = fields.get("on_trap")) == null
            ? d.onTrap()
            : choice(f, Action.class, List.of("tempfail", "reject", "tarpit"));
    Field fFor = fields.get("suppress_for");
    Field fMax = fields.get("suppress_max");
    Duration suppressFor = fFor == null ? d.suppressFor() : yearAtMost(fFor);
    Duration suppressMax = fMax == null ? d.suppressMax() : yearAtMost(fMax);
    if (suppressFor != null && suppressMax != null && suppressFor.compareTo(suppressMax) > 0) {
      error(
          fFor != null ? fFor : Objects.requireNonNull(fMax), // the defaults are in order
          "trap.suppress_for ("
              + Durations.format(suppressFor)
              + ") is longer than trap.suppress_max ("
              + Durations.format(suppressMax)
              + (fMax == null ? ", the default" : "")
              + ")");
    }
    TrapSettings.BackupSkip backupSkip =
        (f = fields.get("backup_skip")) == null
            ? d.backupSkip()
            : choice(f, TrapSettings.BackupSkip.class, List.of("tempfail", "trap", "ignore"));
    Long v4 =
        (f = fields.get("excuse_prefix_v4")) == null
            ? Long.valueOf(d.excusePrefixV4())
            : integer(f, 0, 32);
    Long v6 =
        (f = fields.get("excuse_prefix_v6")) == null
            ? Long.valueOf(d.excusePrefixV6())
            : integer(f, 0, 128);
    Duration greet = (f = fields.get("greet_delay")) == null ? d.greetDelay() : greetDelay(f);
    if (window == null
        || armAfter == null
        || probe == null
        || onTrap == null
        || suppressFor == null
        || suppressMax == null
        || backupSkip == null
        || v4 == null
        || v6 == null
        || greet == null) {
      return d;
    }
    return new TrapSettings(
        window,
        armAfter,
        probe,
        onTrap,
        suppressFor,
        suppressMax,
        backupSkip,
        v4.intValue(),
        v6.intValue(),
        greet,
        Map.of());
  }

  /** {@code trap} with the per-entry {@code greet_delay} overrides of the layout. */
  private TrapSettings withGreetDelays(TrapSettings t, List<Parsed> layout) {
    Map<LayoutEntry, Duration> delays = new HashMap<>();
    for (Parsed p : layout) {
      Field f = p.fields().get("greet_delay");
      if (f != null) {
        Duration d = greetDelay(f);
        if (d != null) {
          delays.put(p.entry(), d);
        }
      }
    }
    return delays.isEmpty()
        ? t
        : new TrapSettings(
            t.window(),
            t.armAfter(),
            t.probeInterval(),
            t.onTrap(),
            t.suppressFor(),
            t.suppressMax(),
            t.backupSkip(),
            t.excusePrefixV4(),
            t.excusePrefixV6(),
            t.greetDelay(),
            delays);
  }

  private SuppressSettings suppress(Field section) {
    SuppressSettings d = SuppressSettings.DEFAULTS;
    Map<String, Field> fields = fields(section.value(), section.path(), SUPPRESS_KEYS, Map.of());
    Field f;
    Action action =
        (f = fields.get("action")) == null
            ? d.action()
            : choice(f, Action.class, List.of("tempfail", "reject", "tarpit"));
    Duration interval =
        (f = fields.get("tarpit_interval")) == null
            ? d.tarpitInterval()
            : duration(f, SuppressSettings.MAX_TARPIT_INTERVAL, WHY_TARPIT_INTERVAL);
    Duration hold =
        (f = fields.get("tarpit_hold")) == null
            ? d.tarpitHold()
            : duration(f, SuppressSettings.MAX_TARPIT_HOLD, WHY_TARPIT_HOLD);
    Long max =
        (f = fields.get("tarpit_max")) == null ? Long.valueOf(d.tarpitMax()) : positiveInt(f);
    if (action == null || interval == null || hold == null || max == null) {
      return d;
    }
    return new SuppressSettings(action, interval, hold, max.intValue());
  }

  private List<Cidr> prefixes(Field f) {
    List<Cidr> out = prefixes(f, (c, text) -> null);
    return out == null ? List.of() : out;
  }

  /**
   * A list of CIDR prefixes, each also held to {@code rule} (given the prefix and its text as
   * written, it names what is wrong with it, or returns null). Null when any problem was reported.
   */
  private @Nullable List<Cidr> prefixes(Field f, BiFunction<Cidr, String, @Nullable String> rule) {
    List<Field> items = list(f);
    if (items == null) {
      return null;
    }
    List<Cidr> out = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      String text = text(item);
      if (text == null) {
        complete = false;
        continue;
      }
      String problem;
      Cidr c = null;
      try {
        c = Cidr.parse(text);
        problem = out.contains(c) ? "listed twice: " + c : rule.apply(c, text);
      } catch (IllegalArgumentException e) {
        problem = e.getMessage();
      }
      if (problem != null) {
        error(item, problem);
        complete = false;
      } else {
        out.add(c);
      }
    }
    return complete ? out : null;
  }

  private StateSettings state(Field section) {
    Map<String, Field> fields = fields(section.value(), section.path(), STATE_KEYS, Map.of());
    Field m = fields.get("max_contacts");
    Long max = m == null ? Long.valueOf(StateSettings.DEFAULTS.maxContacts()) : positiveInt(m);
    StateSettings settings =
        max == null ? StateSettings.DEFAULTS : new StateSettings(max.intValue());
    Field f = fields.get("store");
    String store = f == null ? "local" : text(f);
    if (f == null || store == null) {
      return settings;
    }
    switch (store) {
      case "local" -> {}
      case "redis" ->
          error(
              f,
              "redis: not supported yet in this version (the shared Redis store is not built);"
                  + " use local");
      default -> error(f, "unknown state store: " + store + "; use local");
    }
    return settings;
  }

  private AdminSettings admin(Field section) {
    AdminSettings d = AdminSettings.DEFAULTS;
    Map<String, Field> fields = fields(section.value(), section.path(), ADMIN_KEYS, Map.of());
    Field fBind = fields.get("bind");
    Field f;
    Boolean remote = (f = fields.get("allow_remote")) == null ? Boolean.FALSE : bool(f);
    InetSocketAddress bind =
        fBind == null ? d.bind() : parsed(fBind, IpLiterals::parseSocketAddress);
    if (bind == null || remote == null) {
      return d;
    }
    if (!bind.getAddress().isLoopbackAddress() && !remote) {
      error(
          fBind != null ? fBind : section,
          Addresses.literal(bind.getAddress(), bind.getPort())
              + " is not a loopback address: the admin API can add and remove suppressions;"
              + " set admin.allow_remote: true to bind it anyway (the bearer token is still"
              + " required)");
      return d;
    }
    return new AdminSettings(bind, remote);
  }

  private DnsSettings dns(Field section) {
    DnsSettings d = DnsSettings.DEFAULTS;
    Map<String, Field> fields = fields(section.value(), section.path(), DNS_KEYS, Map.of());
    Field f;
    List<InetSocketAddress> resolvers =
        (f = fields.get("resolver")) == null ? d.resolvers() : resolvers(f);
    Duration timeout =
        (f = fields.get("timeout")) == null
            ? d.timeout()
            : duration(f, DnsSettings.MAX_TIMEOUT, WHY_DNS_TIMEOUT);
    Long retries =
        (f = fields.get("retries")) == null
            ? Long.valueOf(d.retries())
            : integer(f, 0, DnsSettings.MAX_RETRIES);
    Duration ptrBudget =
        (f = fields.get("ptr_budget")) == null
            ? d.ptrBudget()
            : durationOrZero(f, DnsSettings.MAX_PTR_BUDGET, WHY_GREETING_WAIT);
    if (resolvers == null || timeout == null || retries == null || ptrBudget == null) {
      return d;
    }
    return new DnsSettings(resolvers, timeout, retries.intValue(), ptrBudget);
  }

  private DnsblSettings dnsbl(Field section) {
    DnsblSettings d = DnsblSettings.NONE;
    Map<String, Field> fields = fields(section.value(), section.path(), DNSBL_KEYS, Map.of());
    Field f;
    List<DnsblSettings.Zone> zones = (f = fields.get("zones")) == null ? List.of() : zones(f);
    Double threshold =
        (f = fields.get("threshold")) == null ? Double.valueOf(d.threshold()) : number(f);
    Duration timeout =
        (f = fields.get("timeout")) == null
            ? d.timeout()
            : duration(f, DnsblSettings.MAX_TIMEOUT, WHY_GREETING_WAIT);
    if (zones == null || threshold == null || timeout == null) {
      return d;
    }
    return new DnsblSettings(zones, threshold, timeout);
  }

  /** The zones of {@code dnsbl.zones}; null when any is reported. */
  private @Nullable List<DnsblSettings.Zone> zones(Field f) {
    List<Field> items = list(f);
    if (items == null) {
      return null;
    }
    List<DnsblSettings.Zone> out = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      DnsblSettings.Zone z = zone(item);
      if (z == null) {
        complete = false;
      } else if (out.stream().anyMatch(o -> o.name().equals(z.name()))) {
        error(item, "zone listed twice: " + z.name());
        complete = false;
      } else {
        out.add(z);
      }
    }
    return complete ? out : null;
  }

  /** One zone: a mapping, or just its name (weight 1, on_unknown open, every listing code). */
  private DnsblSettings.@Nullable Zone zone(Field item) {
    if (item.value() instanceof ScalarNode) {
      String name = zoneName(item);
      return name == null ? null : DnsblSettings.Zone.of(name);
    }
    if (!(item.value() instanceof MappingNode)) {
      error(
          item,
          "expected a mapping like { zone: zen.example-bl.test, weight: 1.0 } or a zone name, got "
              + kind(item.value()));
      return null;
    }
    int before = problems.size();
    Map<String, Field> fields = fields(item.value(), item.path(), DNSBL_ZONE_KEYS, Map.of());
    Field f;
    String name = null;
    if ((f = fields.get("zone")) == null) {
      error(line(item.value()), item.path() + ".zone", "required key is missing");
    } else {
      name = zoneName(f);
    }
    Double weight = (f = fields.get("weight")) == null ? Double.valueOf(1.0) : number(f);
    DnsblSettings.OnUnknown onUnknown =
        (f = fields.get("on_unknown")) == null
            ? DnsblSettings.OnUnknown.OPEN
            : choice(f, DnsblSettings.OnUnknown.class, List.of("open", "closed"));
    List<Cidr> codes = (f = fields.get("codes")) == null ? List.of() : codes(f);
    if (problems.size() != before
        || name == null
        || weight == null
        || onUnknown == null
        || codes == null) {
      return null;
    }
    return new DnsblSettings.Zone(name, weight, onUnknown, codes);
  }

  private @Nullable String zoneName(Field f) {
    String name = domainName(f);
    if (name != null && name.length() > DnsblSettings.MAX_ZONE_LENGTH) {
      error(
          f,
          "a zone name is at most "
              + DnsblSettings.MAX_ZONE_LENGTH
              + " characters (an IPv6 query puts 64 in front of it), got "
              + name.length());
      return null;
    }
    return name;
  }

  /**
   * The answers of a zone that count as a listing: addresses or prefixes in 127.0.0.0/8, none of
   * them among the refused codes. Null when reported.
   */
  private @Nullable List<Cidr> codes(Field f) {
    if (f.value() instanceof SequenceNode seq && seq.getValue().isEmpty()) {
      error(f, "must list at least one code; remove the key to count every listing answer");
      return null;
    }
    return prefixes(
        f,
        (c, text) -> {
          if (!c.isV4()
              || c.length() < DnsblSettings.ANSWERS.length()
              || !DnsblSettings.ANSWERS.contains(c.network())) {
            return "not within 127.0.0.0/8, where every DNSBL answer lies: " + text;
          }
          if (c.length() >= DnsblSettings.REFUSED.length()
              && DnsblSettings.REFUSED.contains(c.network())) {
            return text
                + " is among the codes lists use to refuse a query (127.255.255.0/24), which"
                + " never count as a listing";
          }
          return null;
        });
  }

  /**
   * {@code system}, one {@code ADDRESS[:PORT]} or a list of them; empty for system. Null when
   * reported.
   */
  private @Nullable List<InetSocketAddress> resolvers(Field f) {
    String hint =
        "; write system, an address like 192.0.2.53 or \"[2001:db8::53]:5353\", or a list";
    if (f.value() instanceof ScalarNode s && !isNull(s) && s.getValue().equals("system")) {
      return List.of();
    }
    List<Field> items;
    if (f.value() instanceof SequenceNode) {
      items = list(f);
      if (items == null) {
        return null;
      }
      if (items.isEmpty()) {
        error(f, "must list at least one resolver address, or be system");
        return null;
      }
    } else {
      items = List.of(f);
    }
    List<InetSocketAddress> out = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      String text = text(item);
      if (text == null) {
        complete = false;
        continue;
      }
      if (text.equals("system")) {
        error(item, "system cannot be listed with resolver addresses: use one or the other");
        complete = false;
        continue;
      }
      try {
        InetSocketAddress a = IpLiterals.parseSocketAddress(text, DnsSettings.DNS_PORT);
        if (out.contains(a)) {
          error(item, "listed twice: " + Addresses.literal(a.getAddress(), a.getPort()));
          complete = false;
        } else {
          out.add(a);
        }
      } catch (IllegalArgumentException e) {
        error(item, e.getMessage() + hint);
        complete = false;
      }
    }
    return complete ? out : null;
  }

  // --- values ---------------------------------------------------------------------------------

  /** One of {@code allowed}, as the constant of {@code type} with the same name upper-cased. */
  private <E extends Enum<E>> @Nullable E choice(Field f, Class<E> type, List<String> allowed) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (!allowed.contains(text)) {
      error(f, "expected one of " + String.join(", ", allowed) + ", got " + text);
      return null;
    }
    return Enum.valueOf(type, text.toUpperCase(java.util.Locale.ROOT));
  }

  private @Nullable Boolean bool(Field f) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    return switch (text) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> {
        error(f, "expected true or false, got " + text);
        yield null;
      }
    };
  }

  /** {@code d}, or null (reported) when it is longer than {@code max}; null stays null. */
  private @Nullable Duration atMost(Field f, @Nullable Duration d, Duration max, String why) {
    if (d != null && d.compareTo(max) > 0) {
      error(f, "at most " + Durations.format(max) + " (" + why + "), got " + Durations.format(d));
      return null;
    }
    return d;
  }

  /** A positive decimal number: {@code 1}, {@code 0.5}, {@code 2.25}. */
  private @Nullable Double number(Field f) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (((ScalarNode) f.value()).getScalarStyle() != DumperOptions.ScalarStyle.PLAIN
        || !NUMBER.matcher(text).matches()) {
      error(f, "expected a number like 1 or 0.5, got " + describeScalar((ScalarNode) f.value()));
      return null;
    }
    double n = Double.parseDouble(text);
    if (!(n > 0) || Double.isInfinite(n)) {
      error(f, "must be positive, got " + text);
      return null;
    }
    return n;
  }

  /** A duration from {@code 0s} (off) to {@code max}; {@code why} explains the maximum. */
  private @Nullable Duration durationOrZero(Field f, Duration max, String why) {
    return atMost(f, parsed(f, Durations::parse), max, why);
  }

  /** {@code trap.greet_delay}, {@code layout[].greet_delay}. */
  private @Nullable Duration greetDelay(Field f) {
    return durationOrZero(f, TrapSettings.MAX_GREET_DELAY, WHY_GREET_DELAY);
  }

  /** {@code trap.window}, {@code arm_after}, {@code suppress_for}, {@code suppress_max}. */
  private @Nullable Duration yearAtMost(Field f) {
    return duration(f, TrapSettings.MAX_PERIOD, WHY_PERIOD);
  }

  /**
   * The scalar's text through {@code parse}; an {@link IllegalArgumentException} from it is
   * reported at the field, whose message says what is wrong. Null when anything was reported.
   */
  private <T> @Nullable T parsed(Field f, Function<String, T> parse) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    try {
      return parse.apply(text);
    } catch (IllegalArgumentException e) {
      error(f, Objects.requireNonNullElse(e.getMessage(), e.toString()));
      return null;
    }
  }

  /**
   * The known keys of a mapping. Reports a value that is not a mapping, keys that are not plain
   * scalars, duplicate keys, keys whose feature is not built, and unknown keys.
   */
  private Map<String, Field> fields(
      Node node, String path, List<String> known, Map<String, String> notBuilt) {
    Map<String, Field> out = new LinkedHashMap<>();
    if (!(node instanceof MappingNode mapping)) {
      error(
          line(node),
          path,
          "expected a mapping of keys (" + String.join(", ", known) + "), got " + kind(node));
      return out;
    }
    Map<String, Field> seen = new HashMap<>();
    for (NodeTuple t : mapping.getValue()) {
      Node k = t.getKeyNode();
      if (!(k instanceof ScalarNode sk) || isNull(sk)) {
        error(line(k), path, "a key must be a plain name, got " + kind(k));
        continue;
      }
      String name = sk.getValue();
      String p = path.isEmpty() ? name : path + "." + name;
      Field f = new Field(p, k, t.getValueNode());
      Field earlier = seen.putIfAbsent(name, f);
      if (earlier != null) {
        error(line(k), p, "duplicate key (first on line " + line(earlier.key()) + ")");
      } else if (notBuilt.containsKey(name)) {
        error(
            line(k),
            p,
            "not supported yet in this version (" + notBuilt.get(name) + "); remove the key");
      } else if (!known.contains(name)) {
        error(line(k), p, "unknown key" + suggestion(name, known));
      } else {
        out.put(name, f);
      }
    }
    return out;
  }

  private static String suggestion(String name, List<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = distance(name, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best != null
        ? " (did you mean " + best + "?)"
        : "; expected one of: " + String.join(", ", known);
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** The items of a list, or null (reported) when the value is not a list. */
  private @Nullable List<Field> list(Field f) {
    Node v = f.value();
    if (!(v instanceof SequenceNode seq)) {
      error(
          f,
          v instanceof ScalarNode s && isNull(s)
              ? "no value (remove the key to use the default)"
              : "expected a list, e.g. [a, b], got " + kind(v));
      return null;
    }
    List<Field> items = new ArrayList<>();
    List<Node> nodes = seq.getValue();
    for (int i = 0; i < nodes.size(); i++) {
      items.add(new Field(f.path() + "[" + i + "]", nodes.get(i), nodes.get(i)));
    }
    return items;
  }

  /** A scalar's text, or null (reported) when the value is missing or not a scalar. */
  private @Nullable String text(Field f) {
    Node v = f.value();
    if (!(v instanceof ScalarNode s)) {
      error(f, "expected a single value, got " + kind(v));
      return null;
    }
    if (isNull(s)) {
      error(f, "no value (remove the key to use the default)");
      return null;
    }
    return s.getValue();
  }

  private @Nullable Long integer(Field f, long min, long max) {
    Node v = f.value();
    String text = text(f);
    if (text == null) {
      return null;
    }
    String digits = text.replace("_", "");
    if (((ScalarNode) v).getScalarStyle() != DumperOptions.ScalarStyle.PLAIN
        || !INTEGER.matcher(text).matches()) {
      error(f, "expected a whole number, got " + describeScalar((ScalarNode) v));
      return null;
    }
    String unsigned =
        digits.startsWith("-") || digits.startsWith("+") ? digits.substring(1) : digits;
    if (unsigned.length() > 1 && unsigned.startsWith("0")) {
      error(f, "leading zero in " + text + " (YAML may read it as octal); write it without");
      return null;
    }
    long n;
    try {
      n = Long.parseLong(digits);
    } catch (NumberFormatException e) {
      n = digits.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    if (n < min || n > max) {
      error(
          f,
          min == 1 && max == Integer.MAX_VALUE && n < 1
              ? "must be positive, got " + text
              : "out of range " + min + ".." + max + ": " + text);
      return null;
    }
    return n;
  }

  private @Nullable Long positiveInt(Field f) {
    return integer(f, 1, Integer.MAX_VALUE);
  }

  /** A positive duration up to {@code max}; {@code why} explains the maximum. */
  private @Nullable Duration duration(Field f, Duration max, String why) {
    Duration d = parsed(f, Durations::parse);
    if (d != null && d.isZero()) {
      error(f, "must be positive, got " + text(f));
      return null;
    }
    return atMost(f, d, max, why);
  }

  private @Nullable Long size(Field f) {
    Long n = parsed(f, ByteSizes::parse);
    if (n != null && n <= 0) {
      error(f, "must be positive, got " + text(f));
      return null;
    }
    return n;
  }

  /** {@code auto} ({@link Limits#AUTO}) or a positive size. */
  private @Nullable Long sizeOrAuto(Field f) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (text.equals("auto")) {
      return Limits.AUTO;
    }
    long n;
    try {
      n = ByteSizes.parse(text);
    } catch (IllegalArgumentException e) {
      error(f, e.getMessage() + "; or auto");
      return null;
    }
    if (n <= 0) {
      error(f, "must be positive or auto, got " + text);
      return null;
    }
    return n;
  }

  private @Nullable String domainName(Field f) {
    return parsed(f, DomainNames::canonical);
  }

  /** A path, resolved against the config file's directory when relative. */
  private @Nullable Path path(Field f) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (text.isBlank()) {
      error(f, "empty path");
      return null;
    }
    try {
      return baseDir.resolve(text).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      error(f, "not a valid path: " + e.getReason());
      return null;
    }
  }

  // --- reporting ------------------------------------------------------------------------------

  private static boolean isNull(ScalarNode s) {
    return Tag.NULL.equals(s.getTag());
  }

  private static String kind(Node n) {
    if (n instanceof MappingNode) {
      return "a mapping";
    }
    if (n instanceof SequenceNode) {
      return "a list";
    }
    return n instanceof ScalarNode s && isNull(s) ? "no value" : "a single value";
  }

  private static String describeScalar(ScalarNode s) {
    return s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN
        ? s.getValue()
        : "a quoted string \"" + s.getValue() + "\"";
  }

  private static int line(Node n) {
    return n.getStartMark().getLine() + 1;
  }

  /** A problem with a value, on the value's line. */
  private void error(Field f, String message) {
    error(line(f.value()), f.path(), message);
  }

  /** A problem with a whole section, on its key's line. */
  private void errorAtKey(Field f, String message) {
    error(line(f.key()), f.path(), message);
  }

  private void error(int line, String key, String message) {
    problems.add(new Problem(file, line, key, message));
  }
}

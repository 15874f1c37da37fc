package org.mxtrap.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mxtrap.config.ConfigException.Problem;
import org.mxtrap.core.Action;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

class ConfigLoaderTest {

  @TempDir Path dir;

  /** The PRODUCT.md example without the keys whose feature is not built yet. */
  static final String PRODUCT_EXAMPLE =
      """
      hostname: mail.example.com          # banner and Received
      domains: [example.com]              # mail is accepted for these only
      data_dir: /var/lib/mxtrap
      layout:
        - { preference: 10, host: mail.example.com, address: 192.0.2.10,   role: primary }
        - { preference: 20, host: mx1.example.com,  address: 198.51.100.5, role: backup }
        - { preference: 30, host: mx2.example.com,  address: 192.0.2.30,   role: trap }
        - { preference: 40, host: mx3.example.com,  address: 192.0.2.40,   role: trap }
      listen: ["0.0.0.0:25"]
      limits:  { max_connections: 20000, max_per_ip: 20, max_message_size: 50MB,
                 max_recipients: 100, command_timeout: 5m }
      delivery: { mode: maildir }
      queue:   { max_age: 5d }
      trap:    { window: 24h, arm_after: 24h, probe_interval: 60s, on_trap: tempfail,
                 suppress_for: 24h, suppress_max: 30d, backup_skip: tempfail,
                 excuse_prefix_v4: 32, excuse_prefix_v6: 128, greet_delay: 0s }
      suppress: { action: tempfail }      # tempfail | reject | tarpit
      allow: ["203.0.113.0/24"]           # never suppressed
      block: []                           # always refused
      state:   { store: local }
      admin:   { bind: 127.0.0.1:8025 }
      """;

  /** The smallest valid file: the two required keys. */
  static final String MINIMAL =
      """
      domains: [example.com]
      layout:
        - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
      """;

  private Path write(String yaml) throws IOException {
    Path f = dir.resolve("mxtrap.yml");
    Files.writeString(f, yaml);
    return f;
  }

  private List<String> problems(String yaml) throws IOException {
    Path f = write(yaml);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
    assertThat(e).as("expected a ConfigException").isNotNull();
    String prefix = f + ":";
    return e.problems().stream()
        .map(Problem::toString)
        .map(s -> s.startsWith(prefix) ? s.substring(prefix.length()) : s)
        .toList();
  }

  /** Asserts exactly one problem, given as {@code line: key: message-prefix}. */
  private void assertOneProblem(String yaml, String expected) throws IOException {
    List<String> p = problems(yaml);
    assertThat(p).hasSize(1);
    assertThat(p.get(0)).startsWith(expected);
  }

  private static String withMinimal(String extra) {
    return MINIMAL + extra;
  }

  // --- valid files ----------------------------------------------------------------------------

  @Test
  void theProductExampleRoundTrips() throws Exception {
    MxtrapConfig c = ConfigLoader.load(write(PRODUCT_EXAMPLE));
    assertThat(c.source()).isEqualTo(dir.resolve("mxtrap.yml").toAbsolutePath().normalize());
    assertThat(c.hostname()).isEqualTo("mail.example.com");
    assertThat(c.domains()).containsExactly("example.com");
    assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/mxtrap"));
    assertThat(c.layout().entries())
        .containsExactly(
            new LayoutEntry(
                10, "mail.example.com", IpLiterals.parseAddress("192.0.2.10"), 25, Role.PRIMARY),
            new LayoutEntry(
                20, "mx1.example.com", IpLiterals.parseAddress("198.51.100.5"), 25, Role.BACKUP),
            new LayoutEntry(
                30, "mx2.example.com", IpLiterals.parseAddress("192.0.2.30"), 25, Role.TRAP),
            new LayoutEntry(
                40, "mx3.example.com", IpLiterals.parseAddress("192.0.2.40"), 25, Role.TRAP));
    assertThat(c.listen())
        .containsExactly(new ListenAddress(IpLiterals.parseSocketAddress("0.0.0.0:25"), null));
    assertThat(c.limits()).isEqualTo(Limits.DEFAULTS);
    assertThat(c.tls()).isNull();
    assertThat(c.delivery()).isEqualTo(DeliverySettings.DEFAULTS);
    assertThat(c.queue()).isEqualTo(QueueSettings.DEFAULTS);
  }

  @Test
  void everyOptionalKeyHasTheDocumentedDefault() throws Exception {
    MxtrapConfig c = ConfigLoader.load(write(MINIMAL));
    assertThat(c.hostname()).as("the primary's host").isEqualTo("mail.example.com");
    assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/mxtrap"));
    assertThat(c.listen())
        .containsExactly(new ListenAddress(IpLiterals.parseSocketAddress("0.0.0.0:25"), null));
    assertThat(c.layout().entries().get(0).port()).isEqualTo(25);
    assertThat(c.limits()).isEqualTo(Limits.DEFAULTS);
    assertThat(c.limits().maxMessageSize()).isEqualTo(50L * 1024 * 1024);
    assertThat(c.tls()).isNull();
    assertThat(c.delivery().mode()).isEqualTo(DeliverySettings.Mode.MAILDIR);
    assertThat(c.queue()).isEqualTo(QueueSettings.DEFAULTS);
    assertThat(c.dns()).isEqualTo(DnsSettings.DEFAULTS);
    assertThat(c.dns().system()).isTrue();
    assertThat(c.dns().timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.dns().retries()).isEqualTo(2);
  }

  @Test
  void dnsResolversAreAddressesWithOptionalPortsOrSystem() throws Exception {
    assertThat(ConfigLoader.load(write(withMinimal("dns: { resolver: system }\n"))).dns())
        .isEqualTo(DnsSettings.DEFAULTS);
    MxtrapConfig one =
        ConfigLoader.load(
            write(withMinimal("dns: { resolver: 192.0.2.53, timeout: 500ms, retries: 0 }\n")));
    assertThat(one.dns())
        .isEqualTo(
            new DnsSettings(
                List.of(new InetSocketAddress(IpLiterals.parseAddress("192.0.2.53"), 53)),
                Duration.ofMillis(500),
                0));
    MxtrapConfig list =
        ConfigLoader.load(
            write(
                withMinimal(
                    "dns:\n  resolver: [\"127.0.0.1:5353\", \"::1\", \"[2001:db8::53]:5300\"]\n")));
    assertThat(list.dns().resolvers())
        .containsExactly(
            IpLiterals.parseSocketAddress("127.0.0.1:5353"),
            IpLiterals.parseSocketAddress("[::1]:53"),
            IpLiterals.parseSocketAddress("[2001:db8::53]:5300"));
    assertThat(list.describe())
        .contains("dns: resolver=127.0.0.1:5353,[::1]:53,[2001:db8::53]:5300 timeout=5s retries=2");
  }

  @Test
  void dnsErrorsNameTheKey() throws Exception {
    assertOneProblem(
        withMinimal("dns: { resolver: ns.example.com }\n"),
        "4: dns.resolver: not an IP address: ns.example.com; write system, an address like");
    assertOneProblem(
        withMinimal("dns: { resolver: [] }\n"),
        "4: dns.resolver: must list at least one resolver address, or be system");
    assertOneProblem(
        withMinimal("dns:\n  resolver: [192.0.2.53, system]\n"),
        "5: dns.resolver[1]: system cannot be listed with resolver addresses");
    assertOneProblem(
        withMinimal("dns: { resolver: [192.0.2.53, \"192.0.2.53:53\"] }\n"),
        "4: dns.resolver[1]: listed twice: 192.0.2.53:53");
    assertOneProblem(
        withMinimal("dns: { resolver: \"127.0.0.1:0\" }\n"),
        "4: dns.resolver: port out of range 1..65535 in 127.0.0.1:0");
    assertOneProblem(
        withMinimal("dns: { timeout: 5 }\n"), "4: dns.timeout: duration without a unit");
    assertOneProblem(withMinimal("dns: { timeout: 0s }\n"), "4: dns.timeout: must be positive");
    assertOneProblem(
        withMinimal("dns: { retries: 11 }\n"), "4: dns.retries: out of range 0..10: 11");
    assertOneProblem(withMinimal("dns: { resolvers: system }\n"), "4: dns.resolvers: unknown key");
    assertOneProblem(withMinimal("dns: system\n"), "4: dns: expected a mapping of keys (resolver,");
  }

  @Test
  void theDefaultHostnameIsTheMostPreferredPrimary() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                """
                domains: [example.com]
                layout:
                  - { preference: 30, host: mx2.example.com, address: 192.0.2.30, role: trap }
                  - { preference: 20, host: b.example.com, address: 192.0.2.20, role: primary }
                  - { preference: 10, host: a.example.com, address: 192.0.2.10, role: primary }
                """));
    assertThat(c.hostname()).isEqualTo("a.example.com");
  }

  @Test
  void valuesAreCanonicalizedAndRelativePathsFollowTheConfigFile() throws Exception {
    Path sub = Files.createDirectories(dir.resolve("etc"));
    Files.writeString(sub.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n");
    Files.writeString(sub.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n");
    Path f = sub.resolve("mxtrap.yml");
    Files.writeString(
        f,
        """
        hostname: Mail.Example.COM.
        domains: [Example.COM, example.net.]
        data_dir: ../spool
        layout:
          - preference: 10
            host: mail.example.com
            address: "::1"
            port: 2525
            role: primary
          - { preference: 30, host: mx2.example.com, address: 127.0.0.1, port: 2526, role: trap }
        listen: ["[::1]:2525", "127.0.0.1:2526"]
        limits:
          max_connections: 20_000
          max_per_ip: 5
          max_message_size: 10KB
          max_recipients: 7
          command_timeout: 1500ms
          max_errors: 3
        tls: { cert: cert.pem, key: ./key.pem }
        queue: { max_age: 2d, min_backoff: 30s, max_backoff: 30s }
        """);
    MxtrapConfig c = ConfigLoader.load(f);
    assertThat(c.hostname()).isEqualTo("mail.example.com");
    assertThat(c.domains()).containsExactly("example.com", "example.net");
    assertThat(c.dataDir()).isEqualTo(dir.resolve("spool").toAbsolutePath().normalize());
    assertThat(c.layout().entries().get(0).address()).isEqualTo(IpLiterals.parseAddress("::1"));
    assertThat(c.listen())
        .containsExactly(
            new ListenAddress(IpLiterals.parseSocketAddress("[::1]:2525"), null),
            new ListenAddress(
                new InetSocketAddress(IpLiterals.parseAddress("127.0.0.1"), 2526), null));
    assertThat(c.limits())
        .isEqualTo(
            new Limits(20_000, 5, 10 * 1024, 7, Duration.ofMillis(1500), 3, 500, Limits.AUTO));
    assertThat(c.tls())
        .isEqualTo(
            new TlsSettings(
                sub.resolve("cert.pem").toAbsolutePath().normalize(),
                sub.resolve("key.pem").toAbsolutePath().normalize()));
    assertThat(c.queue())
        .isEqualTo(
            new QueueSettings(Duration.ofDays(2), Duration.ofSeconds(30), Duration.ofSeconds(30)));
  }

  @Test
  void theExampleFileLoads() throws Exception {
    Path example = Path.of("mxtrap.example.yml");
    MxtrapConfig c = ConfigLoader.load(example);
    assertThat(c.domains()).isNotEmpty();
    assertThat(c.layout().entries()).hasSizeGreaterThan(1);
    assertThat(c.recipients().mode()).as("recommended").isEqualTo(RecipientSettings.Mode.LIST);
    assertThat(c.recipients().file())
        .isEqualTo(Path.of("recipients.example").toAbsolutePath().normalize());
  }

  @Test
  void theExampleFileLoadsWithTlsSwitchedOn() throws Exception {
    Files.copy(Path.of("recipients.example"), dir.resolve("recipients.example"));
    Files.writeString(dir.resolve("cert.pem"), "x");
    Files.writeString(dir.resolve("key.pem"), "x");
    String text =
        Files.readString(Path.of("mxtrap.example.yml"))
            .replace("# tls:", "tls:")
            .replace("#   cert: /etc/mxtrap/cert.pem", "  cert: cert.pem")
            .replace("#   key: /etc/mxtrap/key.pem", "  key: key.pem");
    MxtrapConfig c = ConfigLoader.load(write(text));
    assertThat(c.tls()).isNotNull();
  }

  /**
   * Every key path the key tables declare: {@code limits.max_connections}, {@code layout} and
   * {@code layout[].preference} (a list of mappings is a key, and so is each key of its items).
   */
  static Set<String> declaredKeys() {
    Set<String> out = new TreeSet<>();
    declaredKeys(TopLevel.FILE, "", out);
    return out;
  }

  private static void declaredKeys(Section<?> section, String prefix, Set<String> out) {
    for (Key<?, ?> k : section.keys()) {
      String path = prefix + k.name();
      Section<?> table = k.type().table();
      if (table == null || table.name().endsWith("[]")) {
        out.add(path);
      }
      if (table != null) {
        declaredKeys(table, path + (table.name().endsWith("[]") ? "[]." : "."), out);
      }
    }
  }

  /** The key paths a YAML tree uses, written as {@link #declaredKeys()} writes them. */
  private static void usedKeys(Node node, String path, Set<String> out) {
    if (node instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        String key = ((ScalarNode) t.getKeyNode()).getValue();
        String child = path.isEmpty() ? key : path + "." + key;
        out.add(child);
        usedKeys(t.getValueNode(), child, out);
      }
    } else if (node instanceof SequenceNode seq) {
      for (Node item : seq.getValue()) {
        usedKeys(item, path + "[]", out);
      }
    }
  }

  @Test
  void theExampleFileUsesEverySupportedKey() throws Exception {
    String text =
        Files.readString(Path.of("mxtrap.example.yml"))
            .replace("# tls:", "tls:")
            .replace("#   cert:", "  cert:")
            .replace("#   key:", "  key:")
            .replace("#   redis:", "  redis:")
            .replace("# export:", "export:")
            .replace("#   format:", "  format:")
            .replace("#   file:", "  file:")
            .replace("#   on_change", "  on_change")
            .replace("#   debounce:", "  debounce:")
            .replace("  # - { address:", "  - { address:");
    Set<String> used = new TreeSet<>();
    usedKeys(new Yaml().compose(new StringReader(text)), "", used);
    assertThat(declaredKeys()).isNotEmpty();
    assertThat(used).containsAll(declaredKeys());
  }

  @Test
  void theReferenceNamesEveryKeyAndNoOther() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("docs/configuration.md"));
    int from = lines.indexOf("## Keys");
    assertThat(from).as("docs/configuration.md has a section ## Keys").isNotNegative();
    Set<String> documented = new TreeSet<>();
    Pattern row = Pattern.compile("\\| `([^`]+)` \\|.*");
    for (String line : lines.subList(from + 1, lines.size())) {
      if (line.startsWith("#")) {
        break;
      }
      Matcher m = row.matcher(line);
      if (m.matches()) {
        documented.add(m.group(1));
      }
    }
    assertThat(documented).isEqualTo(declaredKeys());
  }

  @Test
  void describeShowsTheEffectiveValuesButNoKeyContent() throws Exception {
    Files.writeString(dir.resolve("cert.pem"), "CERT");
    Files.writeString(dir.resolve("key.pem"), "SECRET-KEY-MATERIAL");
    MxtrapConfig c =
        ConfigLoader.load(write(PRODUCT_EXAMPLE + "tls: { cert: cert.pem, key: key.pem }\n"));
    String d = c.describe();
    assertThat(d)
        .contains("hostname: mail.example.com")
        .contains("MX 30 mx2.example.com 192.0.2.30:25 trap")
        .contains("listen: 0.0.0.0:25")
        .contains("max_message_size=50MB")
        .contains("command_timeout=5m")
        .contains("key=" + dir.resolve("key.pem").toAbsolutePath().normalize())
        .contains("queue: max_age=5d min_backoff=1m max_backoff=1h")
        .doesNotContain("SECRET");
    assertThat(MxtrapConfig.demo(dir).describe()).startsWith("config: embedded demo defaults\n");
  }

  // --- one test per error class ---------------------------------------------------------------

  @Test
  void missingFile() {
    Path f = dir.resolve("nope.yml");
    assertThatThrownBy(() -> ConfigLoader.load(f))
        .isInstanceOf(ConfigException.class)
        .hasMessage(f + ": no such file");
  }

  @Test
  void yamlSyntaxErrorsHaveTheirLine() throws Exception {
    assertOneProblem(
        """
        domains: [example.com]
        layout: [
          { preference: 10, host: a.example.com, address: 192.0.2.10, role: primary }
        hostname: x: y
        """,
        "4: YAML syntax error: ");
    assertOneProblem("domains: [example.com\n", "2: YAML syntax error:");
    assertOneProblem("a: 1\n  b: 2\n", "2: YAML syntax error: mapping values are not allowed here");
    assertOneProblem(
        "a: 1\n---\nb: 2\n",
        "2: YAML syntax error: expected a single document in the stream but found another"
            + " document");
    assertOneProblem(
        "domains: [example.com]\nlayout:\n\t- x\n",
        "3: YAML syntax error: found character '\\t(TAB)'");
    // A tag with a broken %-escape: SnakeYAML's composer throws IllegalArgumentException for it
    // (found by fuzzing), so the bounds check refuses it first, at its line.
    assertOneProblem("!queu%e", "1: YAML syntax error: bad tag");
  }

  @Test
  void requiredKeys() throws Exception {
    assertThat(problems(""))
        .containsExactly(
            "1: domains: required key is missing (the domains to accept mail for)",
            "1: layout: required key is missing (the domain's MX layout)");
    assertOneProblem(
        "domains: []\nlayout:\n" + MINIMAL.lines().skip(2).findFirst().orElseThrow() + "\n",
        "1: domains: must list at least one domain");
    assertOneProblem(
        "domains: [example.com]\nlayout: []\n", "2: layout: must list at least one entry");
    assertOneProblem(
        "domains: [example.com]\nlayout:\n  - { preference: 10, host: a.example, role: primary }\n",
        "3: layout[0].address: required key is missing");
  }

  @Test
  void theTopLevelMustBeAMapping() throws Exception {
    assertOneProblem("- a\n- b\n", "1: expected a mapping of keys");
  }

  @Test
  void unknownKeysAnywhere() throws Exception {
    assertOneProblem(
        withMinimal("hostnme: a.example\n"), "4: hostnme: unknown key (did you mean hostname?)");
    assertOneProblem(
        withMinimal("colour: blue\n"), "4: colour: unknown key; expected one of: hostname, ");
    assertOneProblem(
        withMinimal("limits: { max_conections: 5 }\n"),
        "4: limits.max_conections: unknown key (did you mean max_connections?)");
    assertOneProblem(
        withMinimal("tls: { crt: a.pem }\n"), "4: tls.crt: unknown key (did you mean cert?)");
    assertOneProblem(withMinimal("delivery: { mdoe: maildir }\n"), "4: delivery.mdoe: unknown key");
    assertOneProblem(
        withMinimal("queue: { max_ages: 5d }\n"),
        "4: queue.max_ages: unknown key (did you mean max_age?)");
    assertOneProblem(
        """
        domains: [example.com]
        layout:
          - { preference: 10, host: a.example, address: 192.0.2.10, role: primary }
          - preference: 30
            host: b.example
            address: 192.0.2.30
            weight: 3
            role: trap
        """,
        "7: layout[1].weight: unknown key; expected one of: preference, host, address, port, role");
  }

  @Test
  void duplicateKeys() throws Exception {
    assertOneProblem(
        withMinimal("domains: [example.net]\n"), "4: domains: duplicate key (first on line 1)");
  }

  @Test
  void trapSuppressAllowBlockAndAdminAreRead() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                """
                domains: [example.com]
                layout:
                  - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
                  - { preference: 30, host: mx2.example.com, address: 192.0.2.30, role: trap, greet_delay: 5s }
                listen: ["0.0.0.0:25"]
                trap: { window: 2h, arm_after: 30s, on_trap: tarpit, backup_skip: ignore,
                        excuse_prefix_v4: 24, excuse_prefix_v6: 64, greet_delay: 1s }
                suppress: { action: reject, tarpit_hold: 2m, tarpit_max: 10 }
                allow: ["203.0.113.0/24", "2001:db8::1"]
                block: [198.51.100.7]
                admin: { bind: "[::1]:9025" }
                """));
    assertThat(c.trap().window()).isEqualTo(Duration.ofHours(2));
    assertThat(c.trap().armAfter()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.trap().onTrap()).isEqualTo(Action.TARPIT);
    assertThat(c.trap().backupSkip()).isEqualTo(TrapSettings.BackupSkip.IGNORE);
    assertThat(c.trap().excusePrefixV4()).isEqualTo(24);
    assertThat(c.trap().greetDelay(c.layout().entries().get(0))).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.trap().greetDelay(c.layout().entries().get(1))).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.suppress().action()).isEqualTo(Action.REJECT);
    assertThat(c.suppress().tarpitHold()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.suppress().tarpitMax()).isEqualTo(10);
    assertThat(c.allow())
        .extracting(Object::toString)
        .containsExactly("203.0.113.0/24", "2001:db8::1/128");
    assertThat(c.block()).extracting(Object::toString).containsExactly("198.51.100.7/32");
    assertThat(c.admin().bind().getPort()).isEqualTo(9025);
  }

  @Test
  void trapAndSuppressValuesAreChecked() throws Exception {
    assertOneProblem(
        withMinimal("trap: { on_trap: bounce }\n"),
        "4: trap.on_trap: expected one of tempfail, reject, tarpit, got bounce");
    assertOneProblem(
        withMinimal("trap: { excuse_prefix_v4: 33 }\n"),
        "4: trap.excuse_prefix_v4: out of range 0..32");
    assertOneProblem(
        withMinimal("trap: { suppress_for: 40d }\n"),
        "4: trap.suppress_for: trap.suppress_for (40d) is longer than trap.suppress_max (30d, the default)");
    assertOneProblem(
        withMinimal("suppress: { action: drop }\n"),
        "4: suppress.action: expected one of tempfail, reject, tarpit");
    assertOneProblem(
        withMinimal("allow: [192.0.2.1/24]\n"), "4: allow[0]: host bits set in 192.0.2.1/24");
    assertOneProblem(
        withMinimal("block: [10.0.0.0/8, 10.0.0.0/8]\n"), "4: block[1]: listed twice: 10.0.0.0/8");
    assertOneProblem(withMinimal("trap: { greet_delay: soon }\n"), "4: trap.greet_delay: ");
  }

  @Test
  void theAdminApiBindsLoopbackUnlessToldOtherwise() throws Exception {
    assertOneProblem(
        withMinimal("admin: { bind: 0.0.0.0:8025 }\n"),
        "4: admin.bind: 0.0.0.0:8025 is not a loopback address");
    MxtrapConfig c =
        ConfigLoader.load(
            write(withMinimal("admin: { bind: 0.0.0.0:8025, allow_remote: true }\n")));
    assertThat(c.admin().allowRemote()).isTrue();
  }

  @Test
  void trustedRelaysAreCidrPrefixes() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(write(withMinimal("trusted_relays: [198.51.100.5, 2001:db8::/64]\n")));
    assertThat(c.trustedRelays())
        .containsExactly(Cidr.parse("198.51.100.5/32"), Cidr.parse("2001:db8::/64"));
    assertThat(c.describe()).contains("trusted_relays: 198.51.100.5/32, 2001:db8::/64");
    assertOneProblem(withMinimal("trusted_relays: [mail.example.test]\n"), "4: trusted_relays");
  }

  @Test
  void theRedisStoreNeedsAUrlAndReadsItsKeysOnlyWithStoreRedis() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                withMinimal(
                    "state: { store: redis, redis: { url: \"redis://10.0.0.5:6380/2\","
                        + " key_prefix: \"site1:\" } }\n")));
    assertThat(c.state().store()).isEqualTo(StateSettings.Store.REDIS);
    StateSettings.Redis r = java.util.Objects.requireNonNull(c.state().redis());
    assertThat(r.topology())
        .isEqualTo(new StateSettings.Redis.Server(URI.create("redis://10.0.0.5:6380/2")));
    assertThat(r.keyPrefix()).isEqualTo("site1:");
    assertThat(r.passwordFile()).isNull();
    assertThat(c.describe()).contains("redis://10.0.0.5:6380/2 key_prefix=site1:");

    assertOneProblem(
        withMinimal("state: { store: redis }\n"), "4: state.redis: required with store: redis");
    assertOneProblem(
        withMinimal("state: { redis: { url: \"redis://10.0.0.5\" } }\n"),
        "4: state.redis: only read with store: redis");
    assertOneProblem(
        withMinimal("state: { store: redis, redis: { url: \"http://10.0.0.5\" } }\n"),
        "4: state.redis.url: must start with redis:// or rediss://");
    assertOneProblem(
        withMinimal("state: { store: redis, redis: { url: \"redis://:secret@10.0.0.5\" } }\n"),
        "4: state.redis.url: put the password in password_file");
    assertThat(c.state().onOutage()).isEqualTo(StateSettings.OnOutage.OPEN);
    assertThat(
            ConfigLoader.load(write(withMinimal("state: { on_outage: closed }\n")))
                .state()
                .onOutage())
        .isEqualTo(StateSettings.OnOutage.CLOSED);
    assertOneProblem(withMinimal("state: { on_outage: later }\n"), "4: state.on_outage: ");
  }

  @Test
  void theRedisStoreFindsItsMasterThroughSentinelInsteadOfByUrl() throws Exception {
    Files.writeString(dir.resolve("redis.pass"), "s3cret\n");
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                withMinimal(
                    """
                    state:
                      store: redis
                      redis:
                        sentinel:
                          master: mymaster
                          nodes: ["10.0.0.1:26379", "[2001:db8::2]:26380", "Sentinel.Example.COM:5000"]
                        password_file: redis.pass
                    """)));
    StateSettings.Redis r = java.util.Objects.requireNonNull(c.state().redis());
    assertThat(r.topology())
        .isEqualTo(
            new StateSettings.Redis.Sentinel(
                "mymaster",
                List.of(
                    InetSocketAddress.createUnresolved("10.0.0.1", 26379),
                    InetSocketAddress.createUnresolved("2001:db8::2", 26380),
                    InetSocketAddress.createUnresolved("sentinel.example.com", 5000))));
    assertThat(r.keyPrefix()).isEqualTo("mxtrap:");
    assertThat(c.describe())
        .contains(
            "sentinel master=mymaster nodes=10.0.0.1:26379,[2001:db8::2]:26380,"
                + "sentinel.example.com:5000 key_prefix=mxtrap: password_file=")
        .doesNotContain("s3cret");

    String both =
        "state: { store: redis, redis: { url: \"redis://10.0.0.5\",\n"
            + "  sentinel: { master: m, nodes: [\"10.0.0.1:26379\"] } } }\n";
    assertOneProblem(
        withMinimal(both), "5: state.redis.sentinel: give one of url (one server), sentinel");
    assertOneProblem(
        withMinimal("state: { store: redis, redis: { key_prefix: \"a:\" } }\n"),
        "4: state.redis: needs url (one server: redis://HOST:PORT), sentinel ({ master, nodes }) or"
            + " cluster");
    assertOneProblem(
        withMinimal(
            "state: { store: redis, redis: { sentinel: { nodes: [\"10.0.0.1:26379\"] } } }\n"),
        "4: state.redis.sentinel.master: required key is missing");
    assertOneProblem(
        withMinimal("state: { store: redis, redis: { sentinel: { master: m } } }\n"),
        "4: state.redis.sentinel.nodes: required key is missing");
    assertOneProblem(
        withMinimal("state: { store: redis, redis: { sentinel: { master: m, nodes: [] } } }\n"),
        "4: state.redis.sentinel.nodes: must list at least one Sentinel");
    assertOneProblem(
        withMinimal(
            "state: { store: redis, redis: { sentinel: { master: m, nodes: [\"10.0.0.1\"] } } }\n"),
        "4: state.redis.sentinel.nodes[0]: missing port in 10.0.0.1");
    assertOneProblem(
        withMinimal(
            "state: { store: redis, redis: { sentinel: { master: m,"
                + " nodes: [\"10.0.0.1:26379\", \"10.0.0.1:26379\"] } } }\n"),
        "4: state.redis.sentinel.nodes[1]: listed twice: 10.0.0.1:26379");
    assertOneProblem(
        withMinimal(
            "state: { store: redis, redis: { sentinel: { master: \"my master\","
                + " nodes: [\"10.0.0.1:26379\"] } } }\n"),
        "4: state.redis.sentinel.master: at most 64 printable ASCII characters, no spaces");
  }

  @Test
  void theRedisStoreFindsAClusterByItsSeedNodesInsteadOfByUrl() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                withMinimal(
                    """
                    state:
                      store: redis
                      redis:
                        cluster: ["10.0.0.1:7000", "[2001:db8::2]:7001", "Node.Example.COM:7002"]
                        key_prefix: "site1:"
                    """)));
    StateSettings.Redis r = java.util.Objects.requireNonNull(c.state().redis());
    assertThat(r.topology())
        .isEqualTo(
            new StateSettings.Redis.Cluster(
                List.of(
                    InetSocketAddress.createUnresolved("10.0.0.1", 7000),
                    InetSocketAddress.createUnresolved("2001:db8::2", 7001),
                    InetSocketAddress.createUnresolved("node.example.com", 7002))));
    assertThat(c.describe())
        .contains(
            "cluster nodes=10.0.0.1:7000,[2001:db8::2]:7001,node.example.com:7002"
                + " key_prefix=site1:");

    assertOneProblem(
        withMinimal(
            "state: { store: redis, redis: { url: \"redis://10.0.0.5\","
                + " cluster: [\"10.0.0.1:7000\"] } }\n"),
        "4: state.redis.cluster: give one of url (one server), sentinel");
    assertOneProblem(
        withMinimal("state: { store: redis, redis: { cluster: [] } }\n"),
        "4: state.redis.cluster: must list at least one node");
    assertOneProblem(
        withMinimal("state: { store: redis, redis: { cluster: [\"10.0.0.1\"] } }\n"),
        "4: state.redis.cluster[0]: missing port in 10.0.0.1");
    assertOneProblem(
        withMinimal(
            "state: { store: redis, redis: { cluster: [\"10.0.0.1:7000\", \"10.0.0.1:7000\"] } }\n"),
        "4: state.redis.cluster[1]: listed twice: 10.0.0.1:7000");
  }

  @Test
  void policyIsReadWithItsDefaultsAndWithoutABindThereIsNone() throws Exception {
    assertThat(ConfigLoader.load(write(MINIMAL)).policy().bind()).isNull();
    MxtrapConfig c = ConfigLoader.load(write(withMinimal("policy: { bind: 127.0.0.1:10040 }\n")));
    assertThat(c.policy().bind())
        .isEqualTo(new InetSocketAddress(IpLiterals.parseAddress("127.0.0.1"), 10040));
    assertThat(c.policy().defaultAction()).isEqualTo("DUNNO");
    assertThat(c.policy().timeout()).isEqualTo(Duration.ofSeconds(1));
    c =
        ConfigLoader.load(
            write(
                withMinimal(
                    "policy: { bind: \"unix:/run/mxtrap/policy.sock\", default_action:"
                        + " \"DEFER_IF_PERMIT 4.7.1 try again later\", timeout: 500ms }\n")));
    assertThat(c.policy().bind())
        .isEqualTo(java.net.UnixDomainSocketAddress.of("/run/mxtrap/policy.sock"));
    assertThat(c.policy().defaultAction()).isEqualTo("DEFER_IF_PERMIT 4.7.1 try again later");
    assertThat(c.policy().timeout()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void policyRefusesWhatPostfixCouldNotAsk() throws Exception {
    assertOneProblem(
        withMinimal("policy: { bind: \"unix:run/policy.sock\" }\n"),
        "4: policy.bind: a UNIX socket needs an absolute path: unix:run/policy.sock");
    assertOneProblem(withMinimal("policy: { bind: 127.0.0.1 }\n"), "4: policy.bind: ");
    assertOneProblem(
        withMinimal("policy: { bind: 127.0.0.1:10040, default_action: PERHAPS }\n"),
        "4: policy.default_action: not a Postfix access(5) action: PERHAPS");
    assertOneProblem(
        withMinimal("policy: { bind: 127.0.0.1:10040, timeout: 61s }\n"), "4: policy.timeout: ");
  }

  @Test
  void relayModeReadsTheRelayWithItsPortDefaults() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(withMinimal("delivery: { mode: relay, relay: { host: Mail.Internal. } }\n")));
    assertThat(c.delivery())
        .isEqualTo(
            new DeliverySettings(
                DeliverySettings.Mode.RELAY,
                new DeliverySettings.Relay(
                    "mail.internal", 25, DeliverySettings.Relay.Protocol.SMTP),
                DeliverySettings.Tls.OPPORTUNISTIC));
    assertThat(c.delivery().relay().isAddress()).isFalse();
    assertThat(c.describe())
        .contains("delivery: relay to mail.internal:25 (smtp) tls=opportunistic");

    c =
        ConfigLoader.load(
            write(
                withMinimal(
                    """
                    delivery:
                      mode: relay
                      relay: { host: "[2001:db8::24]", port: 24, protocol: lmtp }
                      tls: required
                    """)));
    DeliverySettings.Relay relay = c.delivery().relay();
    assertThat(relay)
        .isEqualTo(
            new DeliverySettings.Relay("2001:db8::24", 24, DeliverySettings.Relay.Protocol.LMTP));
    assertThat(relay.isAddress()).isTrue();
    assertThat(c.delivery().tls()).isEqualTo(DeliverySettings.Tls.REQUIRED);
    assertThat(c.describe()).contains("delivery: relay to [2001:db8::24]:24 (lmtp) tls=required");
    assertThat(ConfigLoader.load(write(MINIMAL)).describe())
        .contains("delivery: maildir tls=opportunistic");
  }

  @Test
  void theRelayIsRequiredWithModeRelayAndRefusedOtherwise() throws Exception {
    assertOneProblem(
        withMinimal("delivery:\n  mode: relay\n"),
        "5: delivery.relay: required with mode: relay (the { host, port, protocol } to hand");
    assertOneProblem(
        withMinimal("delivery:\n  relay: { host: 192.0.2.25 }\n"),
        "5: delivery.relay: only read with mode: relay (mode is maildir, the default); set mode:"
            + " relay or remove the key");
    assertOneProblem(
        withMinimal("delivery:\n  mode: relay\n  relay: { port: 25 }\n"),
        "6: delivery.relay.host: required key is missing (the name or address of the relay)");
    assertOneProblem(
        withMinimal("delivery:\n  mode: relay\n  relay: { host: dovecot.test, protocol: lmtp }\n"),
        "6: delivery.relay.port: required with protocol: lmtp (LMTP has no port of its own");
    assertOneProblem(
        withMinimal("delivery:\n  mode: relay\n  relay: { host: \"bad host\" }\n"),
        "6: delivery.relay.host: ");
    assertOneProblem(
        withMinimal("delivery:\n  mode: relay\n  relay: { host: a.test, port: 0 }\n"),
        "6: delivery.relay.port: ");
    assertOneProblem(
        withMinimal("delivery:\n  mode: relay\n  relay: { host: a.test, protocol: http }\n"),
        "6: delivery.relay.protocol: ");
    assertOneProblem(withMinimal("delivery: { tls: maybe }\n"), "4: delivery.tls: ");
  }

  @Test
  void mxModeForwardsByTheDomainsMxOrderAndTakesNoRelay() throws Exception {
    MxtrapConfig c = ConfigLoader.load(write(withMinimal("delivery:\n  mode: mx\n")));
    assertThat(c.delivery())
        .isEqualTo(
            new DeliverySettings(
                DeliverySettings.Mode.MX, null, DeliverySettings.Tls.OPPORTUNISTIC));
    assertThat(c.describe()).contains("delivery: mx tls=opportunistic");
    assertOneProblem(
        withMinimal("delivery:\n  mode: mx\n  relay: { host: 192.0.2.25 }\n"),
        "6: delivery.relay: only read with mode: relay (mode is mx); set mode: relay or remove the"
            + " key");
  }

  @Test
  void unknownDeliveryModesAreRefused() throws Exception {
    assertOneProblem(
        withMinimal("delivery: { mode: mbox }\n"),
        "4: delivery.mode: unknown delivery mode: mbox; use maildir, relay or mx");
  }

  @Test
  void wrongTypes() throws Exception {
    assertOneProblem(
        withMinimal("listen: 0.0.0.0:25\n"),
        "4: listen: expected a list, e.g. [a, b], got a single value");
    assertOneProblem(
        withMinimal("limits: 5\n"), "4: limits: expected a mapping of keys (max_connections, ");
    assertOneProblem(
        withMinimal("hostname: [a, b]\n"), "4: hostname: expected a single value, got a list");
    assertOneProblem(
        withMinimal("hostname:\n"), "4: hostname: no value (remove the key to use the default)");
    assertOneProblem(
        withMinimal("limits: { max_per_ip: many }\n"),
        "4: limits.max_per_ip: expected a whole number, got many");
    assertOneProblem(
        withMinimal("limits: { max_per_ip: \"20\" }\n"),
        "4: limits.max_per_ip: expected a whole number, got a quoted string \"20\"");
    assertOneProblem(
        withMinimal("limits: { max_per_ip: 2.5 }\n"),
        "4: limits.max_per_ip: expected a whole number, got 2.5");
    assertOneProblem(
        "domains: [example.com]\nlayout:\n  - mail.example.com\n",
        "3: layout[0]: expected a mapping like { preference: 10, ");
  }

  @Test
  void badDurations() throws Exception {
    assertOneProblem(
        withMinimal("limits: { command_timeout: 300 }\n"),
        "4: limits.command_timeout: duration without a unit: 300; use ms, s, m, h or d (e.g. 90s,"
            + " 15m, 24h, 30d)");
    assertOneProblem(
        withMinimal("queue: { max_age: 5 days }\n"),
        "4: queue.max_age: not a duration: 5 days; use a number and ms, s, m, h or d");
  }

  @Test
  void badSizes() throws Exception {
    assertOneProblem(
        withMinimal("limits: { max_message_size: 50 MBytes }\n"),
        "4: limits.max_message_size: unknown size unit: MBytes in 50 MBytes; use bytes, or KB, MB,"
            + " GB (1024-based");
    assertOneProblem(
        withMinimal("limits: { max_message_size: 1.5MB }\n"),
        "4: limits.max_message_size: not a size: 1.5MB");
  }

  @Test
  void badAddresses() throws Exception {
    assertOneProblem(
        """
        domains: [example.com]
        layout:
          - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
          - { preference: 20, host: mx1.example.com, address: 198.51.100.5, role: backup }
          - { preference: 30, host: mx2.example.com, address: 192.0.2.300, role: trap }
        """,
        "5: layout[2].address: not an IP address: 192.0.2.300");
    assertOneProblem(
        withMinimal("listen: [\"::1:25\"]\n"),
        "4: listen[0]: an IPv6 address with a port needs brackets, e.g. [::1]:2525: ::1:25");
    assertOneProblem(
        withMinimal("listen:\n  - 0.0.0.0:25\n  - localhost:25\n"),
        "6: listen[1]: not an IP address: localhost");
  }

  @Test
  void preferenceAndPortRanges() throws Exception {
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: 65536, host: a.example, address: 192.0.2.1, role: primary }\n",
        "3: layout[0].preference: out of range 0..65535: 65536");
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: -1, host: a.example, address: 192.0.2.1, role: primary }\n",
        "3: layout[0].preference: out of range 0..65535: -1");
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: 10, host: a.example, address: 192.0.2.1, port: 0, role: primary"
            + " }\n",
        "3: layout[0].port: out of range 1..65535: 0");
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: 10, host: a.example, address: 192.0.2.1, port: 70000, role:"
            + " primary }\n",
        "3: layout[0].port: out of range 1..65535: 70000");
    assertOneProblem(
        withMinimal("listen: [\"0.0.0.0:0\"]\n"),
        "4: listen[0]: port out of range 1..65535 in 0.0.0.0:0");
  }

  @Test
  void unknownRole() throws Exception {
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: 10, host: a.example, address: 192.0.2.1, role: master }\n",
        "3: layout[0].role: unknown role: master; use primary, backup or trap");
  }

  @Test
  void aLayoutNeedsAPrimary() throws Exception {
    assertOneProblem(
        """
        domains: [example.com]
        layout:
          - { preference: 30, host: mx2.example.com, address: 192.0.2.30, role: trap }
        hostname: mail.example.com
        listen: ["0.0.0.0:25"]
        """,
        "2: layout: no entry has role primary");
  }

  @Test
  void twoEntriesOnOneAddressAndPort() throws Exception {
    assertOneProblem(
        """
        domains: [example.com]
        layout:
          - { preference: 10, host: mail.example.com, address: 127.0.0.1, port: 2525, role: primary }
          - { preference: 30, host: mx2.example.com, address: "::ffff:127.0.0.1", port: 2525, role: trap }
        listen: ["127.0.0.1:2525"]
        """,
        "4: layout[1].address: same address and port as layout[0]: 127.0.0.1:2525");
  }

  @Test
  void trapsAndBackupsComeAfterThePrimary() throws Exception {
    assertOneProblem(
        """
        domains: [example.com]
        layout:
          - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
          - { preference: 10, host: mx2.example.com, address: 192.0.2.30, role: trap }
        """,
        "4: layout[1].preference: a trap must have a higher preference number than every primary"
            + " and backup, but layout[0] (primary) has 10");
    assertOneProblem(
        """
        domains: [example.com]
        layout:
          - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
          - { preference: 5, host: mx1.example.com, address: 192.0.2.20, role: backup }
        """,
        "4: layout[1].preference: a backup must have a higher preference number than a primary");
  }

  @Test
  void aListenAddressThatNoEntryCanMatch() throws Exception {
    assertOneProblem(
        withMinimal("listen: [\"192.0.2.99:25\"]\n"),
        "4: listen[0]: 192.0.2.99:25 matches no layout entry; bind an entry's address and port");
    assertOneProblem(
        withMinimal("listen: [\"0.0.0.0:2525\"]\n"),
        "4: listen[0]: 0.0.0.0:2525 matches no layout entry");
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: 10, host: a.example, address: \"2001:db8::1\", role: primary }\n",
        "2: listen: the default 0.0.0.0:25 matches no layout entry");
  }

  @Test
  void listenWildcardsMatchByFamilyAndPort() throws Exception {
    String layout =
        """
        domains: [example.com]
        layout:
          - { preference: 10, host: a.example, address: "2001:db8::1", role: primary }
          - { preference: 30, host: b.example, address: 192.0.2.30, port: 2526, role: trap }
        """;
    assertThat(
            ConfigLoader.load(write(layout + "listen: [\"[::]:25\", \"0.0.0.0:2526\"]\n")).listen())
        .hasSize(2);
    assertThat(
            ConfigLoader.load(write(layout + "listen: [\"[2001:db8::1]:25\", \"[::]:2526\"]\n"))
                .listen())
        .hasSize(2);
    assertOneProblem(
        layout + "listen: [\"0.0.0.0:25\"]\n", "5: listen[0]: 0.0.0.0:25 matches no layout entry");
  }

  @Test
  void listenAddressesThatCannotBothBeBound() throws Exception {
    assertOneProblem(
        withMinimal("listen: [\"0.0.0.0:25\", \"0.0.0.0:25\"]\n"),
        "4: listen[1]: listed twice (see listen[0])");
    assertOneProblem(
        withMinimal("listen: [\"[::]:25\", \"192.0.2.10:25\"]\n"),
        "4: listen[1]: overlaps listen[0] ([::]:25): a wildcard address already binds");
  }

  @Test
  void aListenerBehindBalancersTakesTheProxyProtocolAndNeedsNotMatchAnEntry() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                withMinimal(
                    """
                    listen:
                      - { address: "127.0.0.1:10025", proxy_protocol: v2, proxy_from: [10.0.0.0/8] }
                      - { address: "[::1]:10026", proxy_protocol: v1, proxy_from: ["::1"] }
                      - { address: "0.0.0.0:25" }
                    """)));
    assertThat(c.listen())
        .extracting(ListenAddress::proxy)
        .containsExactly(
            new ListenAddress.Proxy(
                ListenAddress.ProxyProtocol.V2, List.of(Cidr.parse("10.0.0.0/8"))),
            new ListenAddress.Proxy(ListenAddress.ProxyProtocol.V1, List.of(Cidr.parse("::1"))),
            null);
    assertThat(c.describe())
        .contains(
            "listen: {address: 127.0.0.1:10025, proxy_protocol: v2, proxy_from: [10.0.0.0/8]},"
                + " {address: [::1]:10026, proxy_protocol: v1, proxy_from: [::1/128]}, 0.0.0.0:25");
    assertThat(c.layout().entries()).allMatch(c::serves);
  }

  @Test
  void aProxyListenerNamesItsBalancers() throws Exception {
    assertOneProblem(
        withMinimal("listen: [{ address: \"127.0.0.1:10025\", proxy_protocol: v2 }]\n"),
        "4: listen[0].proxy_protocol: needs proxy_from: the networks of the balancers");
    assertOneProblem(
        withMinimal("listen: [{ address: \"127.0.0.1:10025\", proxy_from: [10.0.0.0/8] }]\n"),
        "4: listen[0].proxy_from: needs proxy_protocol: v1 or v2");
    assertOneProblem(
        withMinimal(
            "listen: [{ address: \"127.0.0.1:10025\", proxy_protocol: v3, proxy_from: [\"::1\"] }]\n"),
        "4: listen[0].proxy_protocol: expected one of v1, v2, got v3");
    assertOneProblem(
        withMinimal("listen: [{ proxy_protocol: v1, proxy_from: [\"::1\"] }]\n"),
        "4: listen[0].address: ");
    assertThat(problems(withMinimal("listen: [{ adress: \"0.0.0.0:25\" }]\n")))
        .containsExactly(
            "4: listen[0].adress: unknown key (did you mean address?)",
            "4: listen[0].address: required key is missing");
    assertOneProblem(
        withMinimal(
            "listen: [\"0.0.0.0:25\", { address: \"0.0.0.0:25\", proxy_protocol: v1,"
                + " proxy_from: [\"::1\"] }]\n"),
        "4: listen[1]: listed twice (see listen[0])");
  }

  @Test
  void badDomainNames() throws Exception {
    assertOneProblem(
        "domains: [example.com, exa_mple.com]\n"
            + "layout:\n"
            + "  - { preference: 10, host: a.example, address: 192.0.2.1, role: primary }\n",
        "1: domains[1]: not a valid domain name: exa_mple.com (only letters, digits, hyphens and"
            + " dots are allowed)");
    assertOneProblem(
        "domains: [example.com, EXAMPLE.com.]\n"
            + "layout:\n"
            + "  - { preference: 10, host: a.example, address: 192.0.2.1, role: primary }\n",
        "1: domains[1]: listed twice: example.com");
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: 10, host: -a.example, address: 192.0.2.1, role: primary }\n",
        "3: layout[0].host: not a valid domain name: -a.example");
  }

  @Test
  void badHostname() throws Exception {
    assertOneProblem(
        withMinimal("hostname: mail..example.com\n"),
        "4: hostname: not a valid domain name: mail..example.com (empty label)");
    assertOneProblem(
        withMinimal("hostname: 192.0.2.10\n"),
        "4: hostname: not a valid domain name: 192.0.2.10 (the last label is all digits)");
  }

  @Test
  void limitsMustBePositive() throws Exception {
    assertOneProblem(
        withMinimal("limits: { max_connections: 0 }\n"),
        "4: limits.max_connections: must be positive, got 0");
    assertOneProblem(
        withMinimal("limits: { max_per_ip: -3 }\n"),
        "4: limits.max_per_ip: must be positive, got -3");
    assertOneProblem(
        withMinimal("limits: { max_recipients: 3000000000 }\n"),
        "4: limits.max_recipients: out of range 1..2147483647: 3000000000");
    assertOneProblem(
        withMinimal("limits: { max_message_size: 0 }\n"),
        "4: limits.max_message_size: must be positive, got 0");
    assertOneProblem(
        withMinimal("limits: { command_timeout: 0s }\n"),
        "4: limits.command_timeout: must be positive, got 0s");
    assertOneProblem(
        withMinimal("limits: { max_errors: 0 }\n"),
        "4: limits.max_errors: must be positive, got 0");
  }

  @Test
  void tlsNeedsBothReadableFiles() throws Exception {
    Files.writeString(dir.resolve("cert.pem"), "x");
    assertOneProblem(
        withMinimal("tls: { cert: cert.pem }\n"),
        "4: tls.key: required when tls.cert is given (STARTTLS needs both)");
    assertOneProblem(
        withMinimal("tls:\n  key: key.pem\n"), "5: tls.cert: required when tls.key is given");
    assertOneProblem(
        withMinimal("tls: { cert: cert.pem, key: key.pem }\n"),
        "4: tls.key: not a readable file: " + dir.resolve("key.pem").toAbsolutePath().normalize());
    assertOneProblem(
        withMinimal("tls: { cert: " + dir + ", key: cert.pem }\n"),
        "4: tls.cert: not a readable file: " + dir);
  }

  @Test
  void queueDurations() throws Exception {
    assertOneProblem(
        withMinimal("queue: { max_age: 0d }\n"), "4: queue.max_age: must be positive, got 0d");
    assertOneProblem(
        withMinimal("queue: { min_backoff: 0s }\n"),
        "4: queue.min_backoff: must be positive, got 0s");
    assertOneProblem(
        withMinimal("queue:\n  min_backoff: 2h\n  max_backoff: 1h\n"),
        "5: queue.min_backoff: queue.min_backoff (2h) is longer than queue.max_backoff (1h)");
    assertOneProblem(
        withMinimal("queue: { min_backoff: 2h }\n"),
        "4: queue.min_backoff: queue.min_backoff (2h) is longer than queue.max_backoff (1h, the"
            + " default)");
  }

  @Test
  void everyProblemIsReportedAtOnceInLineOrder() throws Exception {
    Path f =
        write(
            """
            hostname: bad_name
            domains: [example.com]
            trap: { window: forever }
            layout:
              - { preference: 10, host: mail.example.com, address: 192.0.2.10, role: primary }
              - { preference: 30, host: mx2.example.com, address: 192.0.2.300, role: trap }
            limits: { max_per_ip: 0, command_timeout: 90 }
            listen: ["[::1]"]
            """);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
    assertThat(e.problems())
        .extracting(Problem::line, Problem::key)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, "hostname"),
            org.assertj.core.groups.Tuple.tuple(3, "trap.window"),
            org.assertj.core.groups.Tuple.tuple(6, "layout[1].address"),
            org.assertj.core.groups.Tuple.tuple(7, "limits.max_per_ip"),
            org.assertj.core.groups.Tuple.tuple(7, "limits.command_timeout"),
            org.assertj.core.groups.Tuple.tuple(8, "listen[0]"));
    assertThat(e.getMessage().lines()).hasSize(6);
    assertThat(e.getMessage().lines().toList().get(2))
        .isEqualTo(f + ":6: layout[1].address: not an IP address: 192.0.2.300");
  }

  // --- limits.min_data_rate and limits.message_memory -----------------------------------------

  @Test
  void theDataRateAndMessageMemoryAreSizes() throws Exception {
    assertThat(ConfigLoader.load(write(MINIMAL)).limits().minDataRate()).isEqualTo(500);
    assertThat(ConfigLoader.load(write(MINIMAL)).limits().messageMemory()).isEqualTo(Limits.AUTO);
    MxtrapConfig c =
        ConfigLoader.load(
            write(withMinimal("limits: { min_data_rate: 1KB, message_memory: 64MB }\n")));
    assertThat(c.limits().minDataRate()).isEqualTo(1024);
    assertThat(c.limits().messageMemory()).isEqualTo(64L << 20);
    assertThat(c.describe()).contains("min_data_rate=1KB message_memory=64MB");
    MxtrapConfig auto =
        ConfigLoader.load(
            write(withMinimal("limits: { min_data_rate: 300, message_memory: auto }\n")));
    assertThat(auto.limits().minDataRate()).isEqualTo(300);
    assertThat(auto.limits().messageMemory()).isEqualTo(Limits.AUTO);
    assertThat(auto.describe()).contains("min_data_rate=300 message_memory=auto");
  }

  @Test
  void theDataRateAndMessageMemoryAreChecked() throws Exception {
    assertOneProblem(
        withMinimal("limits: { min_data_rate: 0 }\n"),
        "4: limits.min_data_rate: must be positive, got 0");
    assertOneProblem(
        withMinimal("limits: { min_data_rate: fast }\n"),
        "4: limits.min_data_rate: not a size: fast");
    assertOneProblem(
        withMinimal("limits: { min_data_rate: auto }\n"),
        "4: limits.min_data_rate: not a size: auto");
    assertOneProblem(
        withMinimal("limits: { message_memory: 0MB }\n"),
        "4: limits.message_memory: must be positive or auto, got 0MB");
    assertOneProblem(
        withMinimal("limits: { message_memory: half }\n"),
        "4: limits.message_memory: not a size: half; use bytes, or KB, MB, GB (1024-based;"
            + " e.g. 50MB); or auto");
    assertOneProblem(
        withMinimal("limits: { message_memory: }\n"),
        "4: limits.message_memory: no value (remove the key to use the default)");
  }

  // --- recipients -----------------------------------------------------------------------------

  @Test
  void recipientsDefaultToAnyMailbox() throws Exception {
    MxtrapConfig c = ConfigLoader.load(write(MINIMAL));
    assertThat(c.recipients()).isEqualTo(RecipientSettings.DEFAULTS);
    assertThat(c.recipients().mode()).isEqualTo(RecipientSettings.Mode.ANY);
    assertThat(c.recipients().maxUnknown()).isEqualTo(10);
    assertThat(c.describe()).contains("recipients: mode=any max_unknown=10\n");
    assertThat(MxtrapConfig.demo(dir).recipients()).isEqualTo(RecipientSettings.DEFAULTS);
  }

  @Test
  void aRecipientListIsAReadableFileRelativeToTheConfig() throws Exception {
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Files.writeString(etc.resolve("recipients"), "alice@example.com\n@example.com\n");
    Path f = etc.resolve("mxtrap.yml");
    Files.writeString(
        f, withMinimal("recipients: { mode: list, file: recipients, max_unknown: 3 }\n"));
    MxtrapConfig c = ConfigLoader.load(f);
    Path file = etc.resolve("recipients").toAbsolutePath().normalize();
    assertThat(c.recipients())
        .isEqualTo(new RecipientSettings(RecipientSettings.Mode.LIST, file, Duration.ofDays(1), 3));
    assertThat(c.describe()).contains("recipients: mode=list file=" + file + " max_unknown=3\n");
  }

  @Test
  void recipientSettingsAreChecked() throws Exception {
    Files.writeString(dir.resolve("recipients"), "alice@example.com\n");
    assertOneProblem(
        withMinimal("recipients: { mode: list }\n"),
        "4: recipients.file: required with mode: list");
    assertOneProblem(
        withMinimal("recipients: { file: recipients }\n"),
        "4: recipients.file: only read with mode: list (mode is any, the default); set mode:"
            + " list or remove the key");
    assertOneProblem(
        withMinimal("recipients:\n  mode: any\n  file: recipients\n"),
        "6: recipients.file: only read with mode: list (mode is any)");
    assertOneProblem(
        withMinimal("recipients: { mode: list, file: nope }\n"),
        "4: recipients.file: not a readable file: " + dir.resolve("nope"));
    assertOneProblem(
        withMinimal("recipients: { mode: list, file: " + dir + " }\n"),
        "4: recipients.file: not a readable file: " + dir);
    assertOneProblem(
        withMinimal("recipients: { mode: all }\n"),
        "4: recipients.mode: expected one of any, list, verify, got all");
    assertOneProblem(
        withMinimal("recipients: { max_unknown: 0 }\n"),
        "4: recipients.max_unknown: must be positive, got 0");
    assertOneProblem(withMinimal("recipients: { verify_ttl: 0s }\n"), "4: recipients.verify_ttl: ");
    assertOneProblem(
        withMinimal("recipients: { mode: list, file: recipients, fiel: x }\n"),
        "4: recipients.fiel: unknown key (did you mean file?)");
  }

  @Test
  void verifiedRecipientsAskTheNextHopAndKeepItsAnswerForTheTtl() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(withMinimal("delivery: { mode: mx }\nrecipients: { mode: verify }\n")));
    assertThat(c.recipients())
        .isEqualTo(
            new RecipientSettings(RecipientSettings.Mode.VERIFY, null, Duration.ofDays(1), 10));
    assertThat(c.describe()).contains("recipients: mode=verify verify_ttl=1d max_unknown=10\n");
    MxtrapConfig relay =
        ConfigLoader.load(
            write(
                withMinimal(
                    "delivery: { mode: relay, relay: { host: 127.0.0.1 } }\n"
                        + "recipients: { mode: verify, verify_ttl: 2h }\n")));
    assertThat(relay.recipients().verifyTtl()).isEqualTo(Duration.ofHours(2));
    MxtrapConfig listed =
        ConfigLoader.load(write(withMinimal("recipients: { mode: any, verify_ttl: 2h }\n")));
    assertThat(listed.recipients().verifyTtl())
        .as("read beside any mode, as PRODUCT.md's example has it, but used only by verify")
        .isEqualTo(Duration.ofHours(2));
    assertThat(listed.describe()).contains("recipients: mode=any max_unknown=10\n");
  }

  @Test
  void verifyNeedsANextHopAndAPlausibleTtl() throws Exception {
    assertOneProblem(
        withMinimal("recipients:\n  mode: verify\n"),
        "5: recipients.mode: verify asks the next hop, and delivery.mode maildir has none; set"
            + " delivery.mode relay or mx, or use any or list");
    assertOneProblem(
        withMinimal("delivery: { mode: maildir }\nrecipients: { mode: verify }\n"),
        "5: recipients.mode: verify asks the next hop");
    assertOneProblem(
        withMinimal("delivery: { mode: mx }\nrecipients: { mode: verify, verify_ttl: 31d }\n"),
        "5: recipients.verify_ttl: ");
    assertOneProblem(
        withMinimal("delivery: { mode: mx }\nrecipients: { mode: verify, file: x }\n"),
        "5: recipients.file: only read with mode: list (mode is verify)");
  }

  @Test
  void theRecipientFilesRefusedLinesAreProblemsAtTheirLinesAfterTheConfigs() throws Exception {
    Path list = dir.resolve("recipients");
    Files.writeString(
        list,
        """
        # people
        alice@example.com
        bob@example.net
        no-at-sign
        @example.com
        """);
    Path f =
        write(
            withMinimal(
                "recipients: { mode: list, file: recipients }\nlimits: { max_per_ip: 0 }\n"));
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(f));
    assertThat(e.problems())
        .extracting(Problem::toString)
        .containsExactly(
            f + ":5: limits.max_per_ip: must be positive, got 0",
            list
                + ":3: recipients.file: example.net is not one of domains (example.com):"
                + " bob@example.net",
            list
                + ":4: recipients.file: not an address: no-at-sign (write local@domain, or @domain"
                + " for a catch-all)");
  }

  // --- duration ranges ------------------------------------------------------------------------

  @Test
  void anAbsurdDurationIsAnErrorAtItsLineNotACrash() throws Exception {
    assertOneProblem(
        withMinimal("trap: {window: 110000000000d}\n"),
        "4: trap.window: duration too large: 110000000000d; at most 36500d");
    assertOneProblem(
        withMinimal("trap: {window: 9999999999999999999999d}\n"),
        "4: trap.window: duration too large: 9999999999999999999999d; at most 36500d");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          limits: { command_timeout: 61m }    | limits.command_timeout: at most 1h (RFC 5321 asks for 5 minutes; a longer wait lets a silent client hold its connection), got 61m
          queue: { max_age: 91d }             | queue.max_age: at most 90d (how long a message may wait before it bounces), got 91d
          queue: { min_backoff: 25h, max_backoff: 25h } | queue.min_backoff: at most 1d (the longest wait between two delivery attempts), got 25h
          trap: { window: 366d }              | trap.window: at most 365d (a year), got 366d
          trap: { arm_after: 8761h }          | trap.arm_after: at most 365d (a year), got 8761h
          trap: { probe_interval: 2h }        | trap.probe_interval: at most 1h (a lower MX that went down must be noticed before a trap judges its senders), got 2h
          trap: { suppress_for: 400d, suppress_max: 400d } | trap.suppress_for: at most 365d (a year), got 400d
          trap: { suppress_max: 36500d }      | trap.suppress_max: at most 365d (a year), got 36500d
          trap: { greet_delay: 5m }           | trap.greet_delay: at most 1m (senders give up after 5 minutes without a greeting), got 5m
          suppress: { tarpit_interval: 2m }   | suppress.tarpit_interval: at most 1m (senders give up after 5 minutes without a byte), got 2m
          suppress: { tarpit_hold: 2h }       | suppress.tarpit_hold: at most 1h (each held connection takes a file descriptor), got 2h
          dns: { timeout: 61s }               | dns.timeout: at most 1m (one query to one resolver: answers come within seconds or not at all), got 61s
          dns: { ptr_budget: 2m }             | dns.ptr_budget: at most 1m (the client waits this long for its greeting), got 2m
          dns: { spf_budget: 2m }             | dns.spf_budget: at most 1m (the client waits this long for its greeting), got 2m
          dnsbl: { timeout: 2m }              | dnsbl.timeout: at most 1m (the client waits this long for its greeting), got 2m
          """)
  void everyDurationKeyHasAMaximum(String yaml, String expected) throws Exception {
    List<String> p = problems(withMinimal(yaml + "\n"));
    assertThat(p).first().isEqualTo("4: " + expected);
  }

  @Test
  void allowPoolsAreDomainsAndNeedSpfChecks() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(write(withMinimal("allow_pools: [Google.com, outlook.com]\n")));
    assertThat(c.allowPools()).containsExactly("google.com", "outlook.com");
    assertThat(c.dns().spfBudget()).isEqualTo(DnsSettings.DEFAULT_SPF_BUDGET);
    assertThat(ConfigLoader.load(write(withMinimal(""))).allowPools()).isEmpty();
    assertThat(problems(withMinimal("allow_pools: [google.com, google.com]\n")))
        .containsExactly("4: allow_pools[1]: listed twice: google.com");
    assertThat(problems(withMinimal("allow_pools: [google.com]\ndns: { spf_budget: 0s }\n")))
        .containsExactly("4: allow_pools: needs SPF checks, which dns.spf_budget: 0s turns off");
  }

  @Test
  void aLayoutEntrysGreetDelayHasTheSameMaximum() throws Exception {
    assertOneProblem(
        "domains: [example.com]\n"
            + "layout:\n"
            + "  - { preference: 10, host: a.example, address: 192.0.2.1, role: primary,"
            + " greet_delay: 61s }\n",
        "3: layout[0].greet_delay: at most 1m (senders give up after 5 minutes without a"
            + " greeting), got 61s");
  }

  @Test
  void everyDurationAtItsMaximumLoadsAndIsDescribed() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                withMinimal(
                    """
                    limits: { command_timeout: 1h }
                    queue: { max_age: 90d, min_backoff: 1d, max_backoff: 1d }
                    trap: { window: 365d, arm_after: 365d, probe_interval: 1h, suppress_for: 365d,
                            suppress_max: 365d, greet_delay: 1m }
                    suppress: { tarpit_interval: 1m, tarpit_hold: 1h }
                    dns: { timeout: 1m, ptr_budget: 1m }
                    dnsbl: { timeout: 1m }
                    """)));
    assertThat(c.describe())
        .contains("command_timeout=1h")
        .contains("queue: max_age=90d min_backoff=1d max_backoff=1d")
        .contains("trap: window=365d arm_after=365d probe_interval=1h")
        .contains("suppress_for=365d suppress_max=365d")
        .contains("greet_delay=1m")
        .contains("tarpit_interval=1m tarpit_hold=1h");
  }

  // --- hostile YAML ---------------------------------------------------------------------------

  @Test
  void anAliasBombIsRefusedAtTheLineOfTheAliasPastTheLimit() throws Exception {
    StringBuilder y = new StringBuilder(MINIMAL).append("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'h'; c++) {
      char prev = (char) (c - 1);
      y.append(c).append(": &").append(c).append(" [");
      y.append(String.join(", ", java.util.Collections.nCopies(9, "*" + prev)));
      y.append("]\n");
    }
    // 9 aliases a line from line 5: the 51st is on line 10.
    assertOneProblem(
        y.toString(),
        "10: more than 50 aliases of lists or mappings (an alias bomb?): write the values out");
  }

  @Test
  void aFewAliasesAreFine() throws Exception {
    MxtrapConfig c =
        ConfigLoader.load(
            write(
                """
                domains: &d [example.com]
                layout:
                  - { preference: 10, host: mail.example.com, address: &lo 192.0.2.10, role: primary }
                allow: [*lo]
                block: []
                """));
    assertThat(c.allow()).extracting(Object::toString).containsExactly("192.0.2.10/32");
  }

  /** Found by ConfigLoaderFuzzTest: errors SnakeYAML reports without a mark still get a line. */
  @Test
  void yamlErrorsWithoutAMarkAreReportedAtTheirLine() throws Exception {
    assertOneProblem(
        withMinimal("hostname: a\u001fb\n"),
        "4: YAML syntax error: special characters are not allowed");
    assertOneProblem(
        withMinimal("allow:\n  - { c: d\n }e: 1\n"),
        "5: YAML syntax error: A simple key is required only if it is the first token");
  }

  @Test
  void anAliasInsideItsOwnAnchorIsRefused() throws Exception {
    assertOneProblem(withMinimal("allow: &a [*a]\n"), "4: alias *a inside its own anchor &a");
  }

  @Test
  void overDeepNestingIsRefusedAtItsLine() throws Exception {
    assertOneProblem(
        withMinimal("allow:\n  - " + "[".repeat(60) + "]".repeat(60) + "\n"),
        "5: lists and mappings nested more than 50 deep: not a config file");
    StringBuilder deep = new StringBuilder(MINIMAL).append("trap:\n");
    for (int i = 1; i <= 55; i++) {
      deep.append("  ".repeat(i)).append("k:\n");
    }
    // The mapping under "trap:" is depth 2 (line 5); depth 51 opens under the 49th "k:".
    assertOneProblem(
        deep.toString(), "54: lists and mappings nested more than 50 deep: not a config file");
  }

  @Test
  void anOversizedFileIsRefusedAtTheLineThatPassesTheLimit() throws Exception {
    String filler = "# " + "x".repeat(1021) + "\n"; // 1 KiB a line
    String yaml = MINIMAL + filler.repeat(1100);
    int minimalLines = (int) MINIMAL.lines().count();
    int minimalOctets = MINIMAL.length();
    int expectedLine = minimalLines + (YamlBounds.MAX_OCTETS - minimalOctets) / 1024 + 1;
    assertOneProblem(
        yaml,
        expectedLine + ": the file passes 1MB on this line: a config file is a few kilobytes");
  }

  // --- resolve --------------------------------------------------------------------------------

  @Test
  void resolveWithoutAFileRunsTheDemo() throws Exception {
    MxtrapConfig c = ConfigLoader.resolve(null, dir);
    assertThat(c.source()).isNull();
    assertThat(c).isEqualTo(MxtrapConfig.demo(dir));
    assertThat(c.dataDir()).isEqualTo(dir.resolve("data").toAbsolutePath());
  }

  @Test
  void resolveReadsMxtrapYmlInTheWorkDir() throws Exception {
    write(MINIMAL);
    MxtrapConfig c = ConfigLoader.resolve(null, dir);
    assertThat(c.source()).isEqualTo(dir.resolve("mxtrap.yml").toAbsolutePath().normalize());
  }

  @Test
  void resolveNamesTheDefaultFileAsTheUserSeesIt() throws Exception {
    write("domains: []\n");
    assertThatThrownBy(() -> ConfigLoader.resolve(null, dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("mxtrap.yml:1: domains: must list at least one domain")
        .hasMessageNotContaining(dir.toString());
  }

  @Test
  void resolvePrefersAnExplicitFile() throws Exception {
    write("this: is not read\n");
    Files.writeString(dir.resolve("other.yml"), MINIMAL);
    MxtrapConfig c = ConfigLoader.resolve(Path.of("other.yml"), dir);
    assertThat(c.source()).isEqualTo(dir.resolve("other.yml").toAbsolutePath().normalize());
  }

  @Test
  void resolveFailsOnAMissingExplicitFile() {
    assertThatThrownBy(() -> ConfigLoader.resolve(Path.of("missing.yml"), dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage("missing.yml: no such file (given with --config)");
  }

  @Test
  void excuseAndSuppressPrefixesDefaultToPracticeAndAreBounded() throws Exception {
    MxtrapConfig c = ConfigLoader.load(write(MINIMAL));
    assertThat(c.trap().excusePrefixV4()).isEqualTo(24);
    assertThat(c.trap().excusePrefixV6()).isEqualTo(64);
    assertThat(c.trap().suppressPrefixV4()).isEqualTo(32);
    assertThat(c.trap().suppressPrefixV6()).isEqualTo(64);
    assertThat(c.describe())
        .contains(
            "excuse_prefix_v4=24 excuse_prefix_v6=64 suppress_prefix_v4=32 suppress_prefix_v6=64");

    MxtrapConfig given =
        ConfigLoader.load(
            write(withMinimal("trap: { suppress_prefix_v4: 8, suppress_prefix_v6: 128 }\n")));
    assertThat(given.trap().suppressPrefixV4()).isEqualTo(8);
    assertThat(given.trap().suppressPrefixV6()).isEqualTo(128);
    assertOneProblem(
        withMinimal("trap: { suppress_prefix_v4: 7 }\n"),
        "4: trap.suppress_prefix_v4: out of range 8..32");
    assertOneProblem(
        withMinimal("trap: { suppress_prefix_v4: 33 }\n"),
        "4: trap.suppress_prefix_v4: out of range 8..32");
    assertOneProblem(
        withMinimal("trap: { suppress_prefix_v6: 31 }\n"),
        "4: trap.suppress_prefix_v6: out of range 32..128");
    assertOneProblem(
        withMinimal("trap: { suppress_prefix_v6: 129 }\n"),
        "4: trap.suppress_prefix_v6: out of range 32..128");
  }
}

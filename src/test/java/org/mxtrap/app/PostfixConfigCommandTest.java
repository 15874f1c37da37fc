package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.config.PolicySettings;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import picocli.CommandLine;

/** {@code mxtrap postfix-config}: the lines it derives from the config, and its refusals. */
class PostfixConfigCommandTest {
  /** PRODUCT.md's layout; this host is the primary machine (MX 10, 30, 40), not the backup. */
  static final String LAYOUT =
      """
      domains: [example.com]
      layout:
        - { preference: 10, host: mail.example.com, address: 192.0.2.10,   role: primary }
        - { preference: 20, host: mx1.example.com,  address: 198.51.100.5, role: backup }
        - { preference: 30, host: mx2.example.com,  address: 192.0.2.30,   role: trap }
        - { preference: 40, host: mx3.example.com,  address: 192.0.2.40,   role: trap }
      listen: ["192.0.2.10:25", "192.0.2.30:25", "192.0.2.40:25"]
      """;

  @TempDir Path dir;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int postfixConfig(String yaml, String... options) throws Exception {
    Path file = dir.resolve("mxtrap.yml");
    Files.writeString(file, yaml);
    CommandLine cli = Cli.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    String[] args = new String[options.length + 3];
    args[0] = "postfix-config";
    args[1] = "--config";
    args[2] = file.toString();
    System.arraycopy(options, 0, args, 3, options.length);
    return cli.execute(args);
  }

  private static LayoutEntry entry(int preference, String host, String address, Role role) {
    return new LayoutEntry(preference, host, Addresses.parse(address).orElseThrow(), 25, role);
  }

  private static PostfixSnippet snippet(String bind, String action, Duration timeout) {
    SocketAddress address =
        bind.startsWith("unix:")
            ? UnixDomainSocketAddress.of(bind.substring("unix:".length()))
            : IpLiterals.parseSocketAddress(bind);
    return new PostfixSnippet(
        PostfixSnippet.PolicyService.of(
            address, new PolicySettings(address, action, timeout, 1000, Duration.ofMinutes(10))),
        List.of(
            entry(10, "mail.example.com", "192.0.2.10", Role.PRIMARY),
            entry(30, "mx2.example.com", "192.0.2.30", Role.TRAP)),
        "/etc/mxtrap/mxtrap.yml");
  }

  @Test
  void theMainCfLinesAskThePolicyServiceInTheClientRestrictions() {
    String main = snippet("127.0.0.1:10040", "DUNNO", Duration.ofSeconds(1)).mainCf();
    assertThat(main.lines().filter(l -> !l.startsWith("#")))
        .containsExactly(
            "smtpd_client_restrictions =",
            "    check_policy_service inet:127.0.0.1:10040",
            "smtpd_delay_reject = yes",
            "smtpd_policy_service_timeout = 2s",
            "smtpd_policy_service_default_action = DUNNO");
    assertThat(main)
        .startsWith("# --- main.cf: ")
        .contains("/etc/mxtrap/mxtrap.yml")
        .contains("policy.timeout (1s)")
        .endsWith("\n");
  }

  @Test
  void theMasterCfHasOneSmtpdPerServedEntryChrootedForTcp() {
    String master =
        snippet("[2001:db8::1]:10040", "DEFER_IF_PERMIT", Duration.ofSeconds(1)).masterCf();
    assertThat(master.lines().filter(l -> !l.startsWith("#")))
        .containsExactly(
            "192.0.2.10:25 inet n - y - - smtpd", "192.0.2.30:25 inet n - y - - smtpd");
    assertThat(master)
        .contains("# MX 10 mail.example.com 192.0.2.10:25 primary\n192.0.2.10:25 inet")
        .contains("# MX 30 mx2.example.com 192.0.2.30:25 trap\n192.0.2.30:25 inet");
  }

  @Test
  void aUnixSocketIsAskedAsUnixPathFromUnchrootedSmtpds() {
    PostfixSnippet s =
        snippet("unix:/run/mxtrap/policy.sock", "DEFER_IF_PERMIT", Duration.ofSeconds(1));
    assertThat(s.mainCf())
        .contains("    check_policy_service unix:/run/mxtrap/policy.sock\n")
        .contains("smtpd_policy_service_default_action = DEFER_IF_PERMIT\n");
    assertThat(s.masterCf())
        .contains("192.0.2.10:25 inet n - n - - smtpd\n")
        .contains("chroot n: ");
  }

  @Test
  void aWildcardBindIsAskedOnLoopback() {
    assertThat(snippet("0.0.0.0:10040", "DUNNO", Duration.ofSeconds(1)).mainCf())
        .contains("check_policy_service inet:127.0.0.1:10040\n");
    assertThat(snippet("[::]:10040", "DUNNO", Duration.ofSeconds(1)).mainCf())
        .contains("check_policy_service inet:[::1]:10040\n");
  }

  @Test
  void postfixWaitsTwiceOurTimeoutInWholeSeconds() {
    assertThat(snippet("127.0.0.1:1", "DUNNO", Duration.ofMillis(250)).postfixTimeoutSeconds())
        .isEqualTo(1);
    assertThat(snippet("127.0.0.1:1", "DUNNO", Duration.ofMillis(1500)).postfixTimeoutSeconds())
        .isEqualTo(3);
    assertThat(snippet("127.0.0.1:1", "DUNNO", Duration.ofSeconds(10)).postfixTimeoutSeconds())
        .isEqualTo(20);
  }

  @Test
  void theCommandPrintsBothFilesForTheEntriesThisHostListensOn() throws Exception {
    assertThat(postfixConfig(LAYOUT + "policy: { bind: 127.0.0.1:10040, timeout: 500ms }\n"))
        .isZero();
    String printed = out.toString();
    assertThat(printed)
        .contains("    check_policy_service inet:127.0.0.1:10040\n")
        .contains("smtpd_policy_service_timeout = 1s\n")
        .contains("\n\n# --- master.cf: ")
        .contains("192.0.2.10:25 inet n - y - - smtpd\n")
        .contains("192.0.2.30:25 inet n - y - - smtpd\n")
        .contains("192.0.2.40:25 inet n - y - - smtpd\n")
        .as("the backup is another machine's")
        .doesNotContain("198.51.100.5:25 inet");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void eachFileAlone() throws Exception {
    String yaml = LAYOUT + "policy: { bind: 127.0.0.1:10040 }\n";
    assertThat(postfixConfig(yaml, "--master-cf")).isZero();
    assertThat(out.toString()).startsWith("# --- master.cf: ").doesNotContain("main.cf");
    out.getBuffer().setLength(0);
    assertThat(postfixConfig(yaml, "--main-cf")).isZero();
    assertThat(out.toString()).startsWith("# --- main.cf: ").doesNotContain(" inet n ");
  }

  @Test
  void withoutAPolicyServiceItRefusesWithExit2() throws Exception {
    assertThat(postfixConfig(LAYOUT)).isEqualTo(Cli.EXIT_CONFIG);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString())
        .isEqualTo(
            "mxtrap postfix-config: "
                + dir.resolve("mxtrap.yml")
                + ": policy.bind is not set: Postfix would have no policy service to ask\n");
  }
}

package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.testing.FreePorts;

/**
 * Issue 14 end to end: a sender pool of two real Postfix instances ({@link LoopbackPostfix#pooled})
 * and a bot, against one packaged mxtrap serving pool-target.test as its primary (MX 10,
 * 127.0.10.10) and a trap (MX 30, 127.0.10.30), armed.
 *
 * <p>A loopback unbound ({@link LoopbackUnbound}) publishes the MX records and the pool's names:
 * each member has its own /24 and a forward-confirmed reverse name under pool.test (127.0.1.10 is
 * mail-a1.pool.test, 127.0.2.10 is mail-b2.pool.test); the bot (127.0.3.10) has none. mxtrap asks
 * it on its free port; Postfix's resolver can only ask port 53, so unbound answers there too, on an
 * address of this run's own (see {@link #nameserver}). The excuse network is set to /24 explicitly,
 * so that the test means the same whatever the default.
 *
 * <ol>
 *   <li>Member A already holds the one connection the primary allows its address ({@code
 *       limits.max_per_ip: 1}), so Postfix's own connection gets 421 and Postfix walks on to MX 30,
 *       where the message is a fallback: its network made a lower contact.
 *   <li>Member B goes straight to MX 30 (a transport map), as a pool that remembers a failed MX
 *       does: no lower contact from its network, but one of its sender, {@code ptr:pool.test}.
 *   <li>The bot goes straight to MX 30 with swaks: an MX skip, suppressed on every listener.
 * </ol>
 */
class SenderPoolIT {
  private static final String DOMAIN = "pool-target.test";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String PRIMARY = "127.0.10.10";
  private static final String TRAP = "127.0.10.30";
  private static final String MEMBER_A = "127.0.1.10";
  private static final String MEMBER_B = "127.0.2.10";
  private static final String BOT = "127.0.3.10";
  // Two more members, swaks with no reverse names: their sender's SPF record names their networks.
  private static final String MEMBER_C = "127.0.4.10";
  private static final String MEMBER_D = "127.0.5.10";

  @TempDir Path dir;

  /** The one port of both listeners: Postfix's MX walk connects to the same port on every host. */
  private final int port = FreePorts.next();

  private Path config;

  @Test
  void poolMembersAreExcusedByNetworkAndBySenderWhileABotIsSuppressed() throws Exception {
    InetAddress nameserver = nameserver(port);
    try (LoopbackUnbound dns = dns(nameserver);
        MxtrapProcess mxtrap = mxtrap(dns);
        LoopbackPostfix memberA = member(MEMBER_A, DOMAIN + ":" + port, nameserver);
        LoopbackPostfix memberB = member(MEMBER_B, "[" + TRAP + "]:" + port, nameserver)) {
      awaitArmed();

      // 1. A's address is at the primary's limit: Postfix gets 421 there and walks to MX 30.
      try (RawSmtp held = new RawSmtp(addr(PRIMARY), port, addr(MEMBER_A))) {
        assertThat(held.reply()).startsWith("220 ");
        String fromA = sendThrough(memberA, "alice");
        assertThat(memberA.log())
            .as("Postfix's own walk: refused by MX 10, sent to MX 30")
            .contains(
                "host mx10.%s[%s] refused to talk to me: 421 4.7.0 ".formatted(DOMAIN, PRIMARY))
            .contains("relay=mx30." + DOMAIN + "[" + TRAP + "]:" + port)
            .contains("status=sent");
        assertThat(fromA).contains("[" + TRAP + "]:" + port + ", trap, MX 30");
      }
      assertThat(decisions(MEMBER_A, PRIMARY))
          .as("the held connection, then Postfix's, turned away")
          .extracting(d -> d.get("reason").getAsString())
          .hasSize(2)
          .last()
          .asString()
          .contains("turned away: connection limit reached");
      JsonObject a = decision(MEMBER_A, TRAP);
      assertThat(a.get("verdict").getAsString()).isEqualTo("fallback");
      assertThat(a.get("reason").getAsString())
          .startsWith("contact at a lower MX from 127.0.1.0/24");

      // 2. B goes straight to MX 30: excused by its sender, the registered domain of its name.
      String fromB = sendThrough(memberB, "bob");
      assertThat(fromB).contains("[" + TRAP + "]:" + port + ", trap, MX 30");
      JsonObject b = decision(MEMBER_B, TRAP);
      assertThat(b.get("verdict").getAsString()).isEqualTo("fallback");
      assertThat(b.get("reason").getAsString())
          .contains("no contact at a lower MX from 127.0.2.0/24")
          .contains("ptr:pool.test (mail-b2.pool.test), from " + MEMBER_A);
      assertThat(decisions(MEMBER_B, PRIMARY)).as("B never tried the primary").isEmpty();

      // 2b. D, with no name, delivers at the primary; C, with no name, goes straight to MX 30
      // with the same sender: excused by it, its domain's SPF record passing both (decide_at:
      // mail lets the trap hear the sender).
      Swaks.Result d =
          Swaks.run(
              PRIMARY,
              port,
              "--local-interface",
              MEMBER_D,
              "--to",
              "dave@" + DOMAIN,
              "--from",
              "bounce@pool.test");
      assertThat(d.transcript()).as(d.transcript()).contains("<-  250 2.0.0 Ok: queued as ");
      Swaks.Result c =
          Swaks.run(
              TRAP,
              port,
              "--local-interface",
              MEMBER_C,
              "--to",
              "carol@" + DOMAIN,
              "--from",
              "bounce@pool.test");
      assertThat(c.transcript()).as(c.transcript()).contains("<-  250 2.0.0 Ok: queued as ");
      JsonObject byC = decision(MEMBER_C, TRAP);
      assertThat(byC.get("verdict").getAsString()).isEqualTo("fallback");
      assertThat(byC.get("reason").getAsString())
          .contains("MAIL FROM <bounce@pool.test>")
          .contains("one of the same sender, mail:pool.test, from " + MEMBER_D)
          .contains("SPF passing both");

      // 3. The bot goes straight to MX 30: suppressed there and on the primary.
      Swaks.Result bot =
          Swaks.run(
              TRAP,
              port,
              "--local-interface",
              BOT,
              "--to",
              "carol@" + DOMAIN,
              "--from",
              "x@bot.test");
      assertThat(bot.transcript()).as(bot.transcript()).contains("<** 421 4.7.0");
      assertThat(decision(BOT, TRAP).get("verdict").getAsString()).isEqualTo("mx-skip");
      assertThat(SharedStateIT.greeting(PRIMARY, port, BOT)).startsWith("421 4.7.1 ");

      // 4. Only the bot is suppressed.
      MxtrapProcess.Result list = SharedStateIT.cli(config, "suppressions", "list", "--json");
      assertThat(list.exitCode()).as(list.output()).isZero();
      assertThat(
              JsonParser.parseString(list.output()).getAsJsonArray().asList().stream()
                  .map(s -> s.getAsJsonObject().get("address").getAsString())
                  .toList())
          .containsExactly(BOT);
    }
  }

  /**
   * Where unbound also answers on port 53 for Postfix: 127.53.HI.LO, the two bytes of this run's
   * free port, so that runs at the same time (other worktrees) each have an address of their own.
   */
  private static InetAddress nameserver(int freePort) throws Exception {
    return InetAddress.getByAddress(new byte[] {127, 53, (byte) (freePort >> 8), (byte) freePort});
  }

  /**
   * The layout's MX records, the pool's names (forward-confirmed) and its sender domain's SPF
   * record; nothing for the bot.
   */
  private LoopbackUnbound dns(InetAddress nameserver) throws Exception {
    return LoopbackUnbound.start(
        Files.createDirectories(dir.resolve("unbound")),
        """
          interface: %1$s@53
          local-zone: "%2$s." static
          local-data: "%2$s. 300 IN MX 10 mx10.%2$s."
          local-data: "%2$s. 300 IN MX 30 mx30.%2$s."
          local-data: "mx10.%2$s. 300 IN A %3$s"
          local-data: "mx30.%2$s. 300 IN A %4$s"
          local-zone: "pool.test." static
          local-data: "mail-a1.pool.test. 300 IN A %5$s"
          local-data: "mail-b2.pool.test. 300 IN A %6$s"
          local-zone: "127.in-addr.arpa." static
          local-data-ptr: "%5$s mail-a1.pool.test"
          local-data-ptr: "%6$s mail-b2.pool.test"
          local-data: 'pool.test. 300 IN TXT "v=spf1 ip4:127.0.4.0/24 ip4:127.0.5.0/24 -all"'
        """
            .formatted(nameserver.getHostAddress(), DOMAIN, PRIMARY, TRAP, MEMBER_A, MEMBER_B),
        "");
  }

  /**
   * mxtrap as the primary and the trap, with reverse names from {@code dns}, one connection per
   * client address and entry, and a trap that arms a second after the primary is seen up.
   */
  private MxtrapProcess mxtrap(LoopbackUnbound dns) throws Exception {
    Path home = Files.createDirectories(dir.resolve("mxtrap"));
    config = home.resolve("mxtrap.yml");
    Files.writeString(
        config,
        """
        hostname: mx10.%1$s
        domains: [%1$s]
        data_dir: %2$s
        layout:
          - { preference: 10, host: mx10.%1$s, address: %3$s, port: %5$d, role: primary }
          - { preference: 30, host: mx30.%1$s, address: %4$s, port: %5$d, role: trap }
        listen: ["%3$s:%5$d", "%4$s:%5$d"]
        admin: { bind: "127.0.0.1:%6$d" }
        limits: { max_per_ip: 1 }
        dns: { resolver: "%7$s", ptr_budget: 2s }
        trap: { probe_interval: 1s, arm_after: 1s, excuse_prefix_v4: 24, decide_at: mail }
        """
            .formatted(
                DOMAIN,
                home.resolve("data"),
                PRIMARY,
                TRAP,
                port,
                FreePorts.next(),
                dns.address()));
    return MxtrapProcess.startOn(
        config, home.resolve("mxtrap.log"), new InetSocketAddress(addr(PRIMARY), port));
  }

  /** A pool member sending from {@code source} to {@code nextHop} (transport(5) syntax). */
  private LoopbackPostfix member(String source, String nextHop, InetAddress nameserver)
      throws Exception {
    return LoopbackPostfix.pooled(dir, DOMAIN, nextHop, addr(source), nameserver);
  }

  /** Until {@code mxtrap status --json} shows the trap armed. */
  private void awaitArmed() throws Exception {
    String status =
        SharedStateIT.await(
            WAIT,
            () -> SharedStateIT.cli(config, "status", "--json").output(),
            SenderPoolIT::armed);
    assertThat(armed(status)).as(status).isTrue();
  }

  private static boolean armed(String statusJson) {
    try {
      JsonElement traps = JsonParser.parseString(statusJson).getAsJsonObject().get("traps");
      return traps != null
          && traps.getAsJsonArray().size() == 1
          && traps.getAsJsonArray().get(0).getAsJsonObject().get("armed").getAsBoolean();
    } catch (RuntimeException notJsonYet) {
      return false;
    }
  }

  /**
   * Hands one message for {@code localPart@DOMAIN} to {@code member} with swaks; the message as it
   * lands in mxtrap's Maildir, once Postfix delivered it and logged so.
   */
  private String sendThrough(LoopbackPostfix member, String localPart) throws Exception {
    Swaks.Result sent =
        Swaks.run(
            member.address().getAddress().getHostAddress(),
            member.address().getPort(),
            "--to",
            localPart + "@" + DOMAIN,
            "--from",
            "news@pool.test");
    assertThat(sent.exitCode()).as("Postfix takes it: " + sent.transcript()).isZero();
    Path inbox = dir.resolve("mxtrap/data/mail").resolve(DOMAIN).resolve(localPart).resolve("new");
    List<Path> landed = SmtpHarness.awaitMessages(inbox, 1, WAIT);
    assertThat(landed)
        .as(() -> member.log() + readQuietly(dir.resolve("mxtrap/mxtrap.log")))
        .hasSize(1);
    // Postfix logs its delivery after mxtrap's 250, through postlogd: await the line.
    String logged = "to=<" + localPart + "@" + DOMAIN + ">, relay=";
    assertThat(SharedStateIT.await(WAIT, member::log, log -> log.contains(logged)))
        .contains(logged);
    return SmtpHarness.read(landed.get(0));
  }

  /**
   * The lines of the decision log about {@code client} on the listener at {@code local}. mxtrap
   * writes each before it answers the contact, so they are there once the client has its answer.
   */
  private List<JsonObject> decisions(String client, String local) throws Exception {
    return Files.readAllLines(dir.resolve("mxtrap/data/log/decisions.jsonl")).stream()
        .map(line -> JsonParser.parseString(line).getAsJsonObject())
        .filter(d -> d.get("client").getAsString().equals(client))
        .filter(d -> d.get("local").getAsString().equals(local + ":" + port))
        .toList();
  }

  /** The one decision about {@code client} at {@code local}. */
  private JsonObject decision(String client, String local) throws Exception {
    List<JsonObject> about = decisions(client, local);
    assertThat(about).hasSize(1);
    return about.get(0);
  }

  private static InetAddress addr(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}

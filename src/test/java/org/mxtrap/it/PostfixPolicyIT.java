package org.mxtrap.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.it.LoopbackPostfix.User;
import org.mxtrap.testing.FreePorts;

/**
 * Postfix as the front door of a layout (issue 13): Debian's Postfix as a private instance ({@link
 * LoopbackPostfix#frontDoor}) whose main.cf and master.cf end with exactly what the packaged {@code
 * mxtrap postfix-config} printed for the layout, its smtpd on the primary (127.0.0.10) and on two
 * traps (127.0.0.30, 127.0.0.40), each on a free port, delivering mail for example.test into its
 * own Maildir; nothing leaves the machine and nothing is looked up in DNS. mxtrap runs as {@code
 * mxtrap policy}, the policy service alone.
 */
class PostfixPolicyIT {
  private static final String BOB = "bob@example.test";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;

  private final int primary = FreePorts.next();
  private final int trap30 = FreePorts.next();
  private final int trap40 = FreePorts.next();
  private final int policy = FreePorts.next();
  private Path config;

  @BeforeEach
  void writeConfig() throws Exception {
    config = dir.resolve("mxtrap.yml");
    Files.writeString(
        config,
        """
        hostname: mail.example.test
        domains: [example.test]
        data_dir: %s
        layout:
          - { preference: 10, host: mail.example.test, address: 127.0.0.10, port: %d, role: primary }
          - { preference: 30, host: mx2.example.test, address: 127.0.0.30, port: %d, role: trap }
          - { preference: 40, host: mx3.example.test, address: 127.0.0.40, port: %d, role: trap }
        listen: ["127.0.0.10:%2$d", "127.0.0.30:%3$d", "127.0.0.40:%4$d"]
        policy: { bind: "127.0.0.1:%5$d" }
        admin: { bind: "127.0.0.1:%6$d" }
        trap: { probe_interval: 1s, arm_after: 1s }
        dns: { ptr_budget: 0s }
        """
            .formatted(dir.resolve("data"), primary, trap30, trap40, policy, FreePorts.next()));
  }

  /** Postfix configured with what {@code mxtrap postfix-config} prints, knowing bob. */
  private LoopbackPostfix postfix() throws Exception {
    return LoopbackPostfix.frontDoor(
        dir,
        printed("--main-cf"),
        printed("--master-cf"),
        List.of(at("127.0.0.10", primary), at("127.0.0.30", trap30), at("127.0.0.40", trap40)),
        new User(BOB));
  }

  private String printed(String part) throws Exception {
    MxtrapProcess.Result r =
        MxtrapProcess.runTo(
            dir.resolve("postfix-config" + part),
            WAIT,
            "postfix-config",
            part,
            "--config",
            config.toString());
    assertThat(r.exitCode()).as(r.output()).isZero();
    return Files.readString(dir.resolve("postfix-config" + part));
  }

  private static InetSocketAddress at(String address, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(address), port);
  }

  private static Swaks.Result send(String server, int port, String client) throws Exception {
    return Swaks.run(
        server,
        port,
        "--local-interface",
        client,
        "--to",
        BOB,
        "--from",
        "you@client.test",
        "--header",
        "Subject: through postfix");
  }

  @Test
  void postfixTakesThePrintedLinesAsTheyAreAndWithoutThePolicyServiceFallsBackToDunno()
      throws Exception {
    try (LoopbackPostfix postfix = postfix()) {
      assertThat(postfix.check()).as("postfix check has nothing to say").isEmpty();
      assertThat(Swaks.run("127.0.0.30", trap30, "--quit-after", "EHLO").transcript())
          .as("every trap has its smtpd")
          .contains("<-  220 ");

      // Nobody listens on policy.bind: Postfix cannot ask, so it takes the default action that
      // postfix-config gave it, DUNNO, and the mail flows (fail open).
      Swaks.Result sent = send("127.0.0.10", primary, "127.0.0.77");
      assertThat(sent.exitCode()).as(sent.transcript()).isZero();
      assertThat(postfix.awaitDelivered(BOB, 1, WAIT)).as(postfix::log).hasSize(1);
      assertThat(postfix.log()).contains("127.0.0.1:" + policy);
    }
  }

  @Test
  void aClientStraightToATrapIsRefusedThereAndAtThePrimaryWhileOthersAreServed() throws Exception {
    try (LoopbackPostfix postfix = postfix();
        MxtrapProcess mxtrap =
            MxtrapProcess.policy(config, dir.resolve("mxtrap.log"), at("127.0.0.1", policy))) {
      awaitArmed();

      Swaks.Result atTrap = send("127.0.0.30", trap30, "127.0.0.66");
      assertThat(atTrap.exitCode()).as(atTrap.transcript()).isNotZero();
      assertThat(atTrap.transcript())
          .as("refused at RCPT: DEFER_IF_PERMIT 4.7.1 from the policy service")
          .containsPattern("<\\*\\* +4\\d\\d 4\\.7\\.1 ");

      Swaks.Result atPrimary = send("127.0.0.10", primary, "127.0.0.66");
      assertThat(atPrimary.exitCode()).as(atPrimary.transcript()).isNotZero();
      assertThat(atPrimary.transcript())
          .as("suppressed on the primary too")
          .containsPattern("<\\*\\* +4\\d\\d 4\\.7\\.1 ");

      Swaks.Result served = send("127.0.0.10", primary, "127.0.0.77");
      assertThat(served.exitCode()).as(served.transcript()).isZero();
      assertThat(served.transcript()).contains("<-  250 2.0.0 Ok: queued as ");
      assertThat(postfix.awaitDelivered(BOB, 1, WAIT)).as(postfix::log).hasSize(1);

      String decisions = Files.readString(dir.resolve("data/log/decisions.jsonl"));
      assertThat(decisions.lines())
          .as("the address Postfix reported as server_address/server_port is the decision's local")
          .anyMatch(
              l ->
                  l.contains("\"client\":\"127.0.0.66\"")
                      && l.contains("\"local\":\"127.0.0.30:" + trap30 + "\"")
                      && l.contains("\"verdict\":\"mx-skip\""))
          .anyMatch(
              l ->
                  l.contains("\"client\":\"127.0.0.77\"")
                      && l.contains("\"local\":\"127.0.0.10:" + primary + "\"")
                      && l.contains("\"verdict\":\"accept\""));
    }
  }

  /** Until {@code mxtrap status --json} shows both traps armed (arm_after: 1s). */
  private void awaitArmed() throws Exception {
    String status =
        SharedStateIT.await(
            WAIT,
            () -> SharedStateIT.cli(config, "status", "--json").output(),
            PostfixPolicyIT::bothArmed);
    assertThat(bothArmed(status)).as(status).isTrue();
  }

  private static boolean bothArmed(String statusJson) {
    try {
      JsonElement traps = JsonParser.parseString(statusJson).getAsJsonObject().get("traps");
      if (traps == null || traps.getAsJsonArray().size() != 2) {
        return false;
      }
      for (JsonElement t : traps.getAsJsonArray()) {
        if (!t.getAsJsonObject().get("armed").getAsBoolean()) {
          return false;
        }
      }
      return true;
    } catch (RuntimeException notJsonYet) {
      return false;
    }
  }
}

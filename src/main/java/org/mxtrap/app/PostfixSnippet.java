package org.mxtrap.app;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.List;
import org.mxtrap.config.Durations;
import org.mxtrap.config.PolicySettings;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.LayoutEntry;

/**
 * What {@code mxtrap postfix-config} prints: the lines an administrator pastes into Postfix's
 * {@code main.cf} and {@code master.cf} so that Postfix's smtpd asks mxtrap's policy service
 * (Postfix's SMTPD_POLICY_README: "check_policy_service inet:host:port" or "unix:path") about every
 * client, on every layout entry this host serves. Pure text from values; no I/O.
 *
 * @param policy the policy service, as Postfix is to ask it
 * @param served the layout entries this host serves, in layout order (config validation makes every
 *     listen address match one)
 * @param source where the config came from, for the first comment line
 */
record PostfixSnippet(PolicyService policy, List<LayoutEntry> served, String source) {

  PostfixSnippet {
    served = List.copyOf(served);
  }

  /**
   * The policy service as Postfix sees it: the one adapter from the {@code policy} config section.
   *
   * @param target the {@code check_policy_service} argument: {@code inet:HOST:PORT} or {@code
   *     unix:/path}
   * @param unix whether {@code target} is a UNIX socket, which a chrooted smtpd cannot reach
   * @param defaultAction the Postfix action when mxtrap cannot be asked, as mxtrap's own answer
   *     when its engine cannot decide in time
   * @param timeout how long mxtrap takes at most to answer one request
   */
  record PolicyService(String target, boolean unix, String defaultAction, Duration timeout) {

    /**
     * From the config section and its {@code bind}. A wildcard bind ({@code 0.0.0.0}, {@code [::]})
     * is asked on the loopback address of its family: Postfix needs an address to connect to.
     */
    static PolicyService of(SocketAddress bind, PolicySettings p) {
      return switch (bind) {
        case InetSocketAddress a -> {
          InetAddress host =
              !a.getAddress().isAnyLocalAddress()
                  ? a.getAddress()
                  : Addresses.parse(a.getAddress() instanceof Inet4Address ? "127.0.0.1" : "::1")
                      .orElseThrow();
          yield new PolicyService(
              "inet:" + Addresses.literal(host, a.getPort()),
              false,
              p.defaultAction(),
              p.timeout());
        }
        case UnixDomainSocketAddress u ->
            new PolicyService("unix:" + u.getPath(), true, p.defaultAction(), p.timeout());
        default -> throw new IllegalArgumentException("neither TCP nor a UNIX socket: " + bind);
      };
    }
  }

  /**
   * Postfix's {@code smtpd_policy_service_timeout}: twice mxtrap's own deadline, in whole seconds
   * (Postfix takes "an integral value plus an optional one-letter suffix"). mxtrap answers within
   * its {@code timeout} whatever state its engine is in, so Postfix waits longer than that only for
   * an mxtrap that is stuck or gone, while an smtpd process and its client wait too.
   */
  long postfixTimeoutSeconds() {
    long millis = policy.timeout().multipliedBy(2).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }

  /** The lines for {@code main.cf}. */
  String mainCf() {
    return """
        # --- main.cf: Postfix asks mxtrap about every client (mxtrap postfix-config, %1$s) ---
        # mxtrap's policy service judges each client with the engine of mxtrap's own listeners: the
        # layout entry comes from server_address and server_port, the address the client connected
        # to. It answers DUNNO (go on), DEFER_IF_PERMIT 4.7.1 (tempfail) or REJECT 5.7.1.
        #
        # In smtpd_client_restrictions, not smtpd_recipient_restrictions: mxtrap judges the client
        # and where it connected, never the recipient, and every contact counts, so it is asked
        # before smtpd_relay_restrictions refuses a recipient of another domain. Postfix asks at
        # every RCPT; mxtrap counts one contact per SMTP session (the instance attribute). If you
        # have smtpd_client_restrictions already, add the check_policy_service line before any
        # permit in them.
        smtpd_client_restrictions =
            check_policy_service %2$s
        # Postfix's default, stated because the policy depends on it: every restriction list waits
        # for RCPT TO, so the policy is asked at RCPT time with every attribute (helo_name, sender,
        # recipient beside client_address and server_address), and Postfix logs each refusal with
        # its recipient. With "no", the check above would be asked at connect, before any of them.
        smtpd_delay_reject = yes
        # mxtrap answers within policy.timeout (%3$s) whatever its engine's state; Postfix waits
        # twice that, in whole seconds, only for an mxtrap that is stuck or gone.
        smtpd_policy_service_timeout = %4$ds
        # What Postfix does when it cannot ask mxtrap (down, refusing, too slow): the same as
        # mxtrap's policy.default_action when its engine cannot decide in time. DUNNO: mail flows
        # without the trap (fail open); DEFER_IF_PERMIT: what would be accepted is tempfailed.
        smtpd_policy_service_default_action = %5$s
        """
        .formatted(
            source,
            policy.target(),
            Durations.format(policy.timeout()),
            postfixTimeoutSeconds(),
            policy.defaultAction());
  }

  /** The lines for {@code master.cf}: one smtpd per served layout entry. */
  String masterCf() {
    String chroot = policy.unix() ? "n" : "y";
    StringBuilder b =
        new StringBuilder(
            """
            # --- master.cf: one smtpd per layout entry this host serves (mxtrap postfix-config) ---
            # Postfix listens on each entry's own address and port, so it tells the policy service
            # server_address and server_port, which name the entry: the primary and its traps alike
            # (a contact on a trap is what mxtrap judges). Remove or comment out the stock
            # "smtp inet ... smtpd" line: it listens on every address and would hold these ports.
            """);
    b.append(
        policy.unix()
            ? """
              # chroot n: a chrooted smtpd sees only the queue directory, and could not reach the
              # policy service's socket %s.
              """
                .formatted(policy.target())
            : """
              # chroot y (Debian's default): a chrooted smtpd reaches the policy service over TCP.
              """);
    b.append("# service type  private unpriv  chroot  wakeup  maxproc command + args\n");
    for (LayoutEntry e : served) {
      b.append("# ")
          .append(e.describe())
          .append('\n')
          .append(Addresses.literal(e.address(), e.port()))
          .append(" inet n - ")
          .append(chroot)
          .append(" - - smtpd\n");
    }
    return b.toString();
  }
}

package org.mxtrap.app;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.mxtrap.admin.Reloader;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.ConfigLoader;
import org.mxtrap.config.Limits;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.config.RecipientSettings;
import org.mxtrap.config.SuppressSettings;
import org.mxtrap.config.TlsSettings;
import org.mxtrap.config.TrapSettings;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.delivery.RecipientList;
import org.mxtrap.smtp.SessionSettings;
import org.mxtrap.smtp.server.SmtpServer;
import org.mxtrap.smtp.server.TlsContexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which keys a reload applies and which need a restart, and the config a reload runs with: the one
 * place that says so (docs/configuration.md, "Reload", lists the same keys).
 *
 * <p>A key needs a restart when what it sets is built once at start: sockets (listen, admin.bind,
 * policy.bind), the stores and what they remember by (data_dir, state, trap.window, the excuse
 * prefixes, trap.arm_after), the permits, deadlines and tarpit made from the limits and the heap
 * plan, the delivery agent and queue, the resolver, and the log. Every other key is applied to the
 * connections and decisions that start after the reload.
 *
 * <p>An instance does the reloads of one running host ({@link #reload}): thread-safe, one at a
 * time.
 */
final class Reload {
  private static final Logger log = LoggerFactory.getLogger("master");

  private final MxtrapConfig running;
  private final Clock clock;
  private final MxtrapApp.Policy policy;
  private final SmtpServer server;
  private final Resources resources;
  private final AtomicReference<SessionSettings> sessionSettings;
  private final AtomicReference<Mailboxes> mailboxes;
  // The config of the last reload (at first the one started with); guarded by this.
  private MxtrapConfig applied;

  /**
   * @param running the config the host was started with
   * @param sessionSettings what each new SMTP session is configured with, swapped by a reload
   * @param mailboxes what each new SMTP session asks about recipients, swapped by a reload (mode
   *     list re-reads its file; mode verify keeps its verifier)
   */
  Reload(
      MxtrapConfig running,
      Clock clock,
      MxtrapApp.Policy policy,
      SmtpServer server,
      Resources resources,
      AtomicReference<SessionSettings> sessionSettings,
      AtomicReference<Mailboxes> mailboxes) {
    this.running = running;
    this.applied = running;
    this.clock = clock;
    this.policy = policy;
    this.server = server;
    this.resources = resources;
    this.sessionSettings = sessionSettings;
    this.mailboxes = mailboxes;
  }

  /**
   * Re-reads the file the host was started with and applies what a reload can apply to the
   * connections and decisions that start after it: the engine's rules and DNSBL zones, the session
   * limits, the listeners' greeting delays and error limit, the STARTTLS certificate (re-read from
   * its files), the recipient list (re-read) and the decision log (reopened, for logrotate). Each
   * is swapped in one step; no connection is closed and sessions in progress finish with what they
   * had. Everything that can fail is read before anything is swapped: an invalid file, or a
   * certificate or recipient list that cannot be read, changes nothing. One reload at a time; never
   * holds a lock a connection or decision waits for.
   *
   * @return the keys applied and the changed keys that need a restart (both also logged)
   * @throws ConfigException the file's problems, each at its file:line (also logged); the running
   *     config stays
   */
  synchronized Reloader.Outcome reload() throws ConfigException {
    Path source = running.source();
    try {
      if (source == null) {
        throw new ConfigException(
            List.of(
                new ConfigException.Problem(
                    "(embedded demo layout)",
                    0,
                    "",
                    "started without a config file: nothing to re-read")));
      }
      MxtrapConfig file = ConfigLoader.load(source);
      MxtrapConfig next = merge(running, file);
      TlsSettings t = next.tls();
      SSLContext tls;
      try {
        tls = t == null ? null : TlsContexts.fromPem(t.cert(), t.key());
      } catch (IOException e) {
        throw new ConfigException(
            List.of(
                new ConfigException.Problem(
                    source.toString(), 0, "tls", String.valueOf(e.getMessage()))));
      }
      Mailboxes recipients =
          next.recipients().mode() == RecipientSettings.Mode.VERIFY
              ? mailboxes.get()
              : RecipientList.of(next.recipients(), next.domains(), clock);
      policy.engine().reload(MxtrapApp.Policy.rules(next), policy.dnsbls().apply(next.dnsbl()));
      sessionSettings.set(MxtrapApp.sessionSettings(next));
      mailboxes.set(recipients);
      server.reload(MxtrapApp.listenerSettings(next, resources), tls);
      policy.decisions().reopenFile();
      List<String> changed = new ArrayList<>(applied(applied, next));
      changed.addAll(REREAD);
      Reloader.Outcome o = new Reloader.Outcome(changed, needRestart(running, file));
      applied = next;
      log.info("reloaded {}: applied {}", source, String.join(", ", o.applied()));
      if (!o.needRestart().isEmpty()) {
        log.warn(
            "reloaded {}: changed, but kept until a restart: {}",
            source,
            String.join(", ", o.needRestart()));
      }
      return o;
    } catch (ConfigException e) {
      log.warn("reload refused, the running config stays:\n{}", e.getMessage());
      throw e;
    }
  }

  /** {@link #reload} as the admin API's port: a refusal carries the file's problems. */
  Reloader.Outcome forAdmin() throws Reloader.Refused {
    try {
      return reload();
    } catch (ConfigException e) {
      throw new Reloader.Refused(
          e.problems().stream()
              .map(ConfigException.Problem::toString)
              .collect(Collectors.joining("\n")));
    }
  }

  /** A key of the file and how to read it from a config, to compare two. */
  private record Compared(String key, Function<MxtrapConfig, @Nullable Object> value) {}

  /** What is read again at every reload, changed or not. */
  static final List<String> REREAD =
      List.of(
          "tls certificate and key (files)",
          "recipients.file (contents)",
          "decision log (reopened)");

  private static final List<Compared> RESTART =
      List.of(
          new Compared("hostname", MxtrapConfig::hostname),
          new Compared("domains", MxtrapConfig::domains),
          new Compared("data_dir", MxtrapConfig::dataDir),
          new Compared("layout", MxtrapConfig::layout),
          new Compared("listen", MxtrapConfig::listen),
          new Compared("limits.max_connections", c -> c.limits().maxConnections()),
          new Compared("limits.command_timeout", c -> c.limits().commandTimeout()),
          new Compared("limits.message_memory", c -> c.limits().messageMemory()),
          new Compared("tls (turned on or off)", c -> c.tls() == null),
          new Compared("delivery", MxtrapConfig::delivery),
          new Compared("recipients.mode", c -> c.recipients().mode()),
          new Compared("recipients.verify_ttl", c -> c.recipients().verifyTtl()),
          new Compared("queue", MxtrapConfig::queue),
          new Compared("trap.window", c -> c.trap().window()),
          new Compared("trap.arm_after", c -> c.trap().armAfter()),
          new Compared("trap.probe_interval", c -> c.trap().probeInterval()),
          new Compared("trap.excuse_prefix_v4", c -> c.trap().excusePrefixV4()),
          new Compared("trap.excuse_prefix_v6", c -> c.trap().excusePrefixV6()),
          new Compared("suppress.tarpit_interval", c -> c.suppress().tarpitInterval()),
          new Compared("suppress.tarpit_hold", c -> c.suppress().tarpitHold()),
          new Compared("suppress.tarpit_max", c -> c.suppress().tarpitMax()),
          new Compared(
              "dnsbl.zones (the first added or the last removed)", c -> c.dnsbl().enabled()),
          new Compared("state", MxtrapConfig::state),
          new Compared("admin", MxtrapConfig::admin),
          new Compared("dns", MxtrapConfig::dns),
          new Compared("policy", MxtrapConfig::policy),
          new Compared("log", MxtrapConfig::log),
          new Compared("export", MxtrapConfig::export));

  private static final List<Compared> APPLIED =
      List.of(
          new Compared("limits.max_per_ip", c -> c.limits().maxPerIp()),
          new Compared("limits.max_message_size", c -> c.limits().maxMessageSize()),
          new Compared("limits.max_recipients", c -> c.limits().maxRecipients()),
          new Compared("limits.max_errors", c -> c.limits().maxErrors()),
          new Compared("limits.min_data_rate", c -> c.limits().minDataRate()),
          new Compared("tls.cert", c -> c.tls() == null ? null : c.tls().cert()),
          new Compared("tls.key", c -> c.tls() == null ? null : c.tls().key()),
          new Compared("recipients.file", c -> c.recipients().file()),
          new Compared("recipients.max_unknown", c -> c.recipients().maxUnknown()),
          new Compared("trap.on_trap", c -> c.trap().onTrap()),
          new Compared("trap.suppress_for", c -> c.trap().suppressFor()),
          new Compared("trap.suppress_max", c -> c.trap().suppressMax()),
          new Compared("trap.backup_skip", c -> c.trap().backupSkip()),
          new Compared("trap.suppress_prefix_v4", c -> c.trap().suppressPrefixV4()),
          new Compared("trap.suppress_prefix_v6", c -> c.trap().suppressPrefixV6()),
          new Compared("trap.decide_at", c -> c.trap().decideAt()),
          new Compared("trap.greet_delay", c -> c.trap().greetDelay()),
          new Compared("trap.greet_delays", c -> c.trap().greetDelays()),
          new Compared("suppress.action", c -> c.suppress().action()),
          new Compared("allow", MxtrapConfig::allow),
          new Compared("block", MxtrapConfig::block),
          new Compared("trusted_relays", MxtrapConfig::trustedRelays),
          new Compared("allow_pools", MxtrapConfig::allowPools),
          new Compared("dnsbl", MxtrapConfig::dnsbl));

  /**
   * The config to run with after a reload: {@code file}'s values for every key a reload applies,
   * {@code running}'s for every key that needs a restart.
   */
  static MxtrapConfig merge(MxtrapConfig running, MxtrapConfig file) {
    Limits r = running.limits();
    Limits f = file.limits();
    TrapSettings rt = running.trap();
    TrapSettings ft = file.trap();
    SuppressSettings rs = running.suppress();
    RecipientSettings recipients =
        running.recipients().mode() == file.recipients().mode()
                && running.recipients().verifyTtl().equals(file.recipients().verifyTtl())
            ? file.recipients()
            : running.recipients();
    return new MxtrapConfig(
        running.source(),
        running.hostname(),
        running.domains(),
        running.dataDir(),
        running.layout(),
        running.listen(),
        new Limits(
            r.maxConnections(),
            f.maxPerIp(),
            f.maxMessageSize(),
            f.maxRecipients(),
            r.commandTimeout(),
            f.maxErrors(),
            f.minDataRate(),
            r.messageMemory()),
        (running.tls() == null) == (file.tls() == null) ? file.tls() : running.tls(),
        running.delivery(),
        recipients,
        running.queue(),
        new TrapSettings(
            rt.window(),
            rt.armAfter(),
            rt.probeInterval(),
            ft.onTrap(),
            ft.suppressFor(),
            ft.suppressMax(),
            ft.backupSkip(),
            rt.excusePrefixV4(),
            rt.excusePrefixV6(),
            ft.suppressPrefixV4(),
            ft.suppressPrefixV6(),
            ft.decideAt(),
            ft.greetDelay(),
            ft.greetDelays()),
        new SuppressSettings(
            file.suppress().action(), rs.tarpitInterval(), rs.tarpitHold(), rs.tarpitMax()),
        file.allow(),
        file.block(),
        file.trustedRelays(),
        file.allowPools(),
        running.state(),
        running.admin(),
        running.dns(),
        running.dnsbl().enabled() == file.dnsbl().enabled() ? file.dnsbl() : running.dnsbl(),
        running.policy(),
        running.log(),
        running.export());
  }

  /** The keys that need a restart and differ between the running config and the file's. */
  static List<String> needRestart(MxtrapConfig running, MxtrapConfig file) {
    return changed(RESTART, running, file);
  }

  /** The keys a reload applies that differ between two configs. */
  static List<String> applied(MxtrapConfig before, MxtrapConfig after) {
    return changed(APPLIED, before, after);
  }

  private static List<String> changed(List<Compared> keys, MxtrapConfig a, MxtrapConfig b) {
    return keys.stream()
        .filter(k -> !Objects.equals(k.value().apply(a), k.value().apply(b)))
        .map(Compared::key)
        .toList();
  }
}

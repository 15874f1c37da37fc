package org.mxtrap.app;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.mxtrap.admin.AdminServer;
import org.mxtrap.admin.AdminToken;
import org.mxtrap.admin.DecisionFeed;
import org.mxtrap.admin.Reloader;
import org.mxtrap.admin.StateStore;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.DeliverySettings;
import org.mxtrap.config.DnsblSettings;
import org.mxtrap.config.ExportSettings;
import org.mxtrap.config.ListenAddress;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.config.PolicySettings;
import org.mxtrap.config.RecipientSettings;
import org.mxtrap.config.StateSettings;
import org.mxtrap.config.TlsSettings;
import org.mxtrap.config.TrapSettings;
import org.mxtrap.core.Admission;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Mailboxes;
import org.mxtrap.core.Role;
import org.mxtrap.delivery.ClientTimeouts;
import org.mxtrap.delivery.DeliveryAgent;
import org.mxtrap.delivery.InSessionDelivery;
import org.mxtrap.delivery.MaildirDelivery;
import org.mxtrap.delivery.MessageMemory;
import org.mxtrap.delivery.MxDeliveryAgent;
import org.mxtrap.delivery.NextHop;
import org.mxtrap.delivery.Protocol;
import org.mxtrap.delivery.QueueRunner;
import org.mxtrap.delivery.RecipientList;
import org.mxtrap.delivery.RecipientVerifier;
import org.mxtrap.delivery.RelayDeliveryAgent;
import org.mxtrap.delivery.SmtpClient;
import org.mxtrap.delivery.TlsPolicy;
import org.mxtrap.dns.Dns;
import org.mxtrap.dns.Dnsbl;
import org.mxtrap.dns.MxLocator;
import org.mxtrap.dns.ReverseNames;
import org.mxtrap.dns.Spf;
import org.mxtrap.dns.StubResolver;
import org.mxtrap.dns.ThisHost;
import org.mxtrap.observe.DecisionLog;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.mxtrap.observe.Metrics;
import org.mxtrap.policy.Arming;
import org.mxtrap.policy.Prober;
import org.mxtrap.policy.RecentDecisions;
import org.mxtrap.policy.TrapEngine;
import org.mxtrap.postfix.PolicyServer;
import org.mxtrap.queue.QueueEntry;
import org.mxtrap.queue.Spool;
import org.mxtrap.smtp.Replies;
import org.mxtrap.smtp.SessionSettings;
import org.mxtrap.smtp.SmtpSession;
import org.mxtrap.smtp.server.Connection;
import org.mxtrap.smtp.server.EntryWatch;
import org.mxtrap.smtp.server.GreetingProbe;
import org.mxtrap.smtp.server.ListenerSettings;
import org.mxtrap.smtp.server.ProxyListener;
import org.mxtrap.smtp.server.SmtpServer;
import org.mxtrap.smtp.server.TlsContexts;
import org.mxtrap.smtp.wire.ProxyHeader;
import org.mxtrap.state.AvailabilityHistory;
import org.mxtrap.state.BoundedContactHistory;
import org.mxtrap.state.BoundedIdentityHistory;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.FileAvailabilityHistory;
import org.mxtrap.state.SqliteSuppressionStore;
import org.mxtrap.state.StateView;
import org.mxtrap.state.SuppressionStore;
import org.mxtrap.state.TimedSuppressionStore;
import org.mxtrap.state.redis.RedisState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running mxtrap host: the spool, the queue runner with its delivery agent, the SMTP listeners,
 * the Postfix policy service (when configured) and the admin API, started in that order (so
 * recovered mail starts moving before new mail arrives, and the API answers only about a host that
 * serves) and stopped in the reverse order. Not reusable: start once, stop once.
 */
final class MxtrapApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("master");

  private final MxtrapConfig config;
  private final Clock clock;
  private final Spool spool;
  private final QueueRunner runner;
  // Closes the outbound SMTP client of the relay or MX agent (nothing for Maildir).
  private final Runnable closeOutbound;
  private final SmtpServer server;
  // The Postfix policy service, when policy.bind is set.
  private final @Nullable PolicyServer frontDoor;
  private final AdminServer admin;
  private final Policy policy;
  private final Prober prober;
  private final Events events;
  // Keeps export.file current; null without an export section.
  private final @Nullable ExportFile export;
  private final Reload reloads;
  private final ScheduledExecutorService maintenance =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("maintenance").daemon(true).unstarted(r));

  /**
   * The trap engine and what it remembers, opened together and closed together.
   *
   * @param shared with {@code state.store: redis}, the connection the three stores share; null with
   *     the embedded store
   * @param dnsbls makes the engine's DNS blocklists of {@code dnsbl} settings, on the resolver the
   *     engine uses (for a reload)
   */
  record Policy(
      TrapEngine engine,
      Arming arming,
      AvailabilityHistory availability,
      SuppressionStore suppressions,
      ContactHistory contacts,
      DecisionLog decisions,
      RecentDecisions recent,
      @Nullable RedisState shared,
      Function<DnsblSettings, Dnsbl> dnsbls)
      implements AutoCloseable {

    /**
     * @param events told what the engine decides, after the decision log and recent decisions
     */
    static Policy open(MxtrapConfig config, Clock clock, Events events) throws IOException {
      Path stateDir = config.dataDir().resolve("state");
      TrapSettings trap = config.trap();
      StateSettings.Redis redis = config.state().redis();
      RedisState shared = redis == null ? null : openRedis(redis);
      int[] preferences =
          config.layout().entries().stream().mapToInt(LayoutEntry::preference).toArray();
      AvailabilityHistory availability = null;
      SuppressionStore suppressions = null;
      try {
        availability =
            shared == null
                ? FileAvailabilityHistory.open(
                    stateDir, config.layout(), clock.instant(), trap.armAfter())
                : shared.availability(
                    config.layout(),
                    config.layout().entries().stream()
                        .filter(config::serves)
                        .collect(Collectors.toSet()),
                    clock.instant(),
                    trap.armAfter());
        suppressions =
            new TimedSuppressionStore(
                shared == null
                    ? SqliteSuppressionStore.open(stateDir.resolve("suppressions.sqlite"))
                    : shared.suppressions(REDIS_RESYNC, clock),
                events);
        DecisionLog decisions =
            DecisionLog.open(
                config.dataDir().resolve("log").resolve("decisions.jsonl"),
                DECISION_LOG_ROTATE_BYTES,
                DECISION_LOG_KEEP);
        ContactHistory contacts =
            shared == null
                ? new BoundedContactHistory(
                    trap.excusePrefixV4(),
                    trap.excusePrefixV6(),
                    config.state().maxContacts(),
                    trap.window(),
                    preferences)
                : shared.contacts(
                    trap.excusePrefixV4(),
                    trap.excusePrefixV6(),
                    config.state().maxContacts(),
                    trap.window(),
                    preferences);
        RecentDecisions recent = new RecentDecisions(10_000, 20);
        // DNSBL and reverse names; no query is made when neither is configured.
        Dns dns = StubResolver.create(config.dns(), clock, events);
        Arming arming = new Arming(config.layout(), availability, trap.armAfter());
        Function<DnsblSettings, Dnsbl> dnsbls = s -> new Dnsbl(dns, s, clock, events);
        TrapEngine engine =
            new TrapEngine(
                rules(config),
                contacts,
                suppressions,
                arming,
                dnsbls.apply(config.dnsbl()),
                config.dns().reverseNames()
                    ? new ReverseNames(dns, config.dns().ptrBudget())
                    : null,
                shared == null ? StateView.WHOLE : shared.view(events),
                shared == null
                    ? new BoundedIdentityHistory(config.state().maxContacts(), trap.window())
                    : shared.identities(config.state().maxContacts(), trap.window()),
                config.dns().spf() ? new Spf(dns, config.dns().spfBudget()) : null,
                Events.of(events, decisions, recent));
        return new Policy(
            engine,
            arming,
            availability,
            suppressions,
            contacts,
            decisions,
            recent,
            shared,
            dnsbls);
      } catch (IOException | RuntimeException e) {
        if (suppressions != null) {
          suppressions.close();
        }
        if (availability != null) {
          availability.close();
        }
        if (shared != null) {
          shared.close();
        }
        throw e;
      }
    }

    /** What the engine judges by: the sections of {@code config} it reads. */
    static TrapEngine.Rules rules(MxtrapConfig config) {
      return new TrapEngine.Rules(
          config.trap(),
          config.suppress(),
          config.allow(),
          config.block(),
          config.trustedRelays(),
          config.state().onOutage(),
          config.allowPools());
    }

    /** The store, for {@code status}: the embedded one's directory, or the shared one's health. */
    StateStore state(MxtrapConfig config) {
      RedisState r = shared;
      Path dir = config.dataDir().resolve("state");
      return r == null ? now -> "local (" + dir + ")" : r::describe;
    }

    /**
     * One server by its URL, the master the Sentinels name, or a Cluster by its seed nodes; TLS
     * with the CA file, or the JVM's default trust store, when the config says TLS.
     *
     * @throws IOException naming the file or the server and the reason, never a password
     */
    private static RedisState openRedis(StateSettings.Redis redis) throws IOException {
      String password = password(redis.passwordFile());
      Path caFile = redis.caFile();
      RedisState.Tls tls =
          !redis.tls()
              ? null
              : caFile == null ? RedisState.Tls.jvmDefault() : RedisState.Tls.trusting(caFile);
      return switch (redis.topology()) {
        case StateSettings.Redis.Server s ->
            RedisState.open(s.url().toString(), password, tls, redis.keyPrefix(), REDIS_TIMEOUT);
        case StateSettings.Redis.Sentinel s ->
            RedisState.openSentinel(
                s.master(),
                s.nodes(),
                password(s.passwordFile()),
                password,
                tls,
                redis.keyPrefix(),
                REDIS_TIMEOUT);
        case StateSettings.Redis.Cluster c ->
            RedisState.openCluster(c.nodes(), password, tls, redis.keyPrefix(), REDIS_TIMEOUT);
      };
    }

    /**
     * The first line of a password file ({@code state.redis.password_file}, {@code
     * state.redis.sentinel.password_file}), or null when there is none.
     */
    private static @Nullable String password(@Nullable Path file) throws IOException {
      if (file == null) {
        return null;
      }
      List<String> lines = Files.readAllLines(file);
      return lines.isEmpty() ? "" : lines.get(0).strip();
    }

    @Override
    public void close() {
      decisions.close();
      suppressions.close();
      availability.close();
      if (shared != null) {
        shared.close();
      }
    }
  }

  /** Decision log size before it is rotated to {@code decisions.jsonl.1}. */
  static final long DECISION_LOG_ROTATE_BYTES = 64L * 1024 * 1024;

  static final int DECISION_LOG_KEEP = 5;

  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);

  /**
   * The deadline of every call to the shared Redis: a decision waits for at most one, inside the
   * greeting's budget.
   */
  static final Duration REDIS_TIMEOUT = Duration.ofMillis(300);

  /** How often the mirrored suppressions are compared with Redis in full. */
  static final Duration REDIS_RESYNC = Duration.ofSeconds(30);

  /**
   * How often the heartbeat is written: with the shared store, also this host's word for the
   * entries it serves, which the others expect every second.
   */
  static final Duration HEARTBEAT = Duration.ofSeconds(1);

  /** Every this many heartbeats, the contacts and suppressions are maintained too (a full scan). */
  static final int PRUNE_EVERY = 300;

  private int heartbeats;
  // Suppressions that end after this instant have not been told as expired yet.
  private Instant expiriesCounted;

  private MxtrapApp(
      MxtrapConfig config,
      Clock clock,
      Spool spool,
      QueueRunner runner,
      Runnable closeOutbound,
      SmtpServer server,
      @Nullable PolicyServer frontDoor,
      AdminServer admin,
      Policy policy,
      Prober prober,
      Events events,
      @Nullable ExportFile export,
      Reload reloads) {
    this.config = config;
    this.reloads = reloads;
    this.clock = clock;
    this.spool = spool;
    this.runner = runner;
    this.closeOutbound = closeOutbound;
    this.server = server;
    this.frontDoor = frontDoor;
    this.admin = admin;
    this.policy = policy;
    this.prober = prober;
    this.events = events;
    this.export = export;
    this.expiriesCounted = clock.instant();
  }

  /**
   * @param listener told everything that happens on this host; the decision log, the admin counters
   *     and (with {@code admin.metrics}) the metrics listen in any case
   * @throws ConfigException when the recipient list cannot be read (each bad line named)
   * @throws IOException when something else this host needs cannot be had: a port, the data
   *     directory, the resources its limits need
   */
  static MxtrapApp start(MxtrapConfig config, Clock clock, Events listener)
      throws IOException, ConfigException {
    Metrics metrics =
        config.admin().metrics()
            ? new Metrics(
                config.layout().entries(),
                config.trap().window(),
                clock,
                Cli.Version.version(),
                config.hostname())
            : null;
    ExportSettings exporting = config.export();
    ExportFile export = exporting == null ? null : new ExportFile(exporting, clock);
    Events events =
        Events.of(
            metrics == null ? listener : Events.of(metrics, listener),
            export == null ? Events.NONE : export);
    Resources resources = resources(config);
    // Mode verify asks the next hop: its verifier is made with the delivery agent, below.
    boolean verify = config.recipients().mode() == RecipientSettings.Mode.VERIFY;
    Mailboxes listed =
        verify ? null : RecipientList.of(config.recipients(), config.domains(), clock);
    Files.createDirectories(config.dataDir());
    AdminToken token = AdminToken.loadOrCreate(config.dataDir(), new SecureRandom());
    SSLContext tls = null;
    TlsSettings t = config.tls();
    if (t != null) {
      tls = TlsContexts.fromPem(t.cert(), t.key());
    }
    // The dashboard's live list and charts listen to the engine's decisions.
    DecisionFeed feed = new DecisionFeed(clock);
    Policy policy = Policy.open(config, clock, Events.of(events, feed));
    Spool spool;
    try {
      spool = Spool.open(config.dataDir().resolve("queue"), clock);
    } catch (IOException | RuntimeException e) {
      policy.close();
      throw e;
    }
    // Maildir delivers small messages in the session. A relay or the next MX never does: a session
    // must not wait on a remote server, so every message is queued before its 250 and the runner
    // forwards it.
    MaildirDelivery maildir = null;
    Runnable closeOutbound = () -> {};
    DeliveryAgent agent;
    NextHop nextHop = null;
    int maxHeld;
    switch (config.delivery().mode()) {
      case MAILDIR -> {
        maildir =
            new MaildirDelivery(
                config.dataDir().resolve("mail"), config.hostname(), config.domains());
        agent = maildir;
        maxHeld = InSessionDelivery.DEFAULT_MAX_HELD;
      }
      case RELAY -> {
        RelayDeliveryAgent relay = relayAgent(config);
        closeOutbound = relay::close;
        agent = relay;
        nextHop = relay;
        maxHeld = 0;
      }
      case MX -> {
        MxDeliveryAgent mx = mxAgent(config, clock, events);
        closeOutbound = mx::close;
        agent = mx;
        nextHop = mx;
        maxHeld = 0;
      }
      default -> throw new IllegalStateException("unknown mode " + config.delivery().mode());
    }
    Mailboxes mailboxes;
    if (listed != null) {
      mailboxes = listed;
    } else {
      RecipientVerifier verifier =
          new RecipientVerifier(
              Objects.requireNonNull(nextHop, "the config gives mode verify a next hop"),
              config.recipients().verifyTtl(),
              clock);
      mailboxes = verifier;
      Runnable closeAgent = closeOutbound;
      closeOutbound =
          () -> {
            verifier.close();
            closeAgent.run();
          };
    }
    QueueRunner runner =
        new QueueRunner(spool, agent, config.queue(), clock, config.hostname(), events);
    // The primary and backup entries this host does not serve are probed. When one answers again,
    // a backup forwards what it holds at once: the dead-host memory forgets it and the queue is
    // flushed, rather than waiting for each message's next backoff step.
    MxDeliveryAgent forwarding = agent instanceof MxDeliveryAgent mx ? mx : null;
    Prober prober =
        new Prober(
            config.layout().entries().stream().filter(e -> !config.serves(e)).toList(),
            policy.availability(),
            new GreetingProbe(PROBE_TIMEOUT)::probe,
            clock,
            config.trap().probeInterval(),
            e -> {
              if (forwarding != null) {
                log.info("{} answers again: forwarding the queue now", e.describe());
                forwarding.answering(e.socketAddress());
                runner.flush();
              }
            });
    InSessionDelivery sink =
        new InSessionDelivery(
            spool, agent, clock, maxHeld, new MessageMemory(resources.messageMemory()), events);
    AtomicReference<SessionSettings> settings = new AtomicReference<>(sessionSettings(config));
    AtomicReference<Mailboxes> recipients = new AtomicReference<>(mailboxes);
    AvailabilityHistory availability = policy.availability();
    EntryWatch watch =
        new EntryWatch() {
          @Override
          public void turningAway(LayoutEntry e, String why) {
            availability.down(e, clock.instant(), why);
          }

          @Override
          public void servingAgain(LayoutEntry e) {
            availability.up(e, clock.instant());
          }
        };
    SmtpServer server =
        new SmtpServer(
            listenerSettings(config, resources),
            tls,
            policy.engine(),
            clock,
            watch,
            events,
            (Connection c) ->
                new SmtpSession(
                        settings.get().withHostname(c.name()),
                        c.client(),
                        sink,
                        recipients.get(),
                        policy.engine(),
                        clock,
                        c.transport())
                    .run());
    if (metrics != null) {
      metrics.read(readings(policy, spool));
    }
    Reload reloads = new Reload(config, clock, policy, server, resources, settings, recipients);
    AdminServer admin =
        new AdminServer(
            config.admin().bind(),
            token,
            clock,
            AdminPorts.host(
                config,
                policy.state(config),
                policy.engine(),
                policy.arming(),
                policy.suppressions(),
                policy.contacts(),
                policy.recent(),
                events,
                spool,
                runner,
                reloads::forAdmin),
            feed,
            metrics,
            config.admin().metricsPublic());
    PolicyServer frontDoor = frontDoor(config, policy.engine(), clock);
    MxtrapApp app =
        new MxtrapApp(
            config,
            clock,
            spool,
            runner,
            closeOutbound,
            server,
            frontDoor,
            admin,
            policy,
            prober,
            events,
            export,
            reloads);
    try {
      runner.start();
      server.start();
      try {
        if (frontDoor != null) {
          frontDoor.start();
        }
        admin.start();
      } catch (IOException | RuntimeException e) {
        if (frontDoor != null) {
          frontDoor.close();
        }
        server.shutdown(Duration.ZERO);
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      runner.close();
      closeOutbound.run();
      spool.close();
      policy.close();
      throw e;
    }
    Instant now = clock.instant();
    for (LayoutEntry e : config.layout().entries()) {
      if (config.serves(e)) {
        availability.up(e, now);
      }
    }
    prober.start();
    app.maintenance.scheduleWithFixedDelay(
        app::maintain, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
    if (maildir != null) {
      // Maildir tmp/: what a crashed process left, at once; then anyone's debris, periodically.
      app.maintenance.scheduleWithFixedDelay(
          maildir::cleanTmp, 0, MaildirDelivery.TMP_SWEEP_INTERVAL.toMinutes(), TimeUnit.MINUTES);
    }
    if (export != null) {
      export.start(
          AdminPorts.suppressions(policy.suppressions(), Events.NONE), ExportFile.Timer.thread());
    }
    log.info("started: {} messages in the queue", spool.size());
    for (LayoutEntry e : config.layout().entries()) {
      if (e.role() == Role.TRAP) {
        Arming.State a = policy.arming().state(e, now);
        log.info(
            "{}: {}: {}{}",
            e.describe(),
            a.armed() ? "armed" : "disarmed",
            a.why(),
            a.armsAt() == null ? "" : "; arms at " + a.armsAt());
      }
    }
    return app;
  }

  /**
   * The Postfix policy service when {@code policy.bind} is set, else null: the same engine as the
   * listeners, answering with the texts of the built-in server's replies.
   */
  static @Nullable PolicyServer frontDoor(MxtrapConfig config, Admission engine, Clock clock) {
    PolicySettings p = config.policy();
    SocketAddress bind = p.bind();
    if (bind == null) {
      return null;
    }
    return new PolicyServer(
        new PolicyServer.Settings(
            bind,
            config.layout(),
            p.defaultAction(),
            p.timeout(),
            PolicyServer.Bounds.of(p.maxConnections(), p.idleTimeout())),
        engine,
        d -> Replies.instead(d, config.hostname()).lines().get(0),
        clock);
  }

  /**
   * The agent of {@code delivery.mode: relay}: our host name in LHLO/EHLO and Received, the relay's
   * protocol, {@code delivery.tls}, and the client's default timeouts (RFC 5321 4.5.3.2).
   */
  static RelayDeliveryAgent relayAgent(MxtrapConfig config) {
    DeliverySettings d = config.delivery();
    DeliverySettings.Relay relay = Objects.requireNonNull(d.relay(), "mode relay has a relay");
    Protocol protocol =
        switch (relay.protocol()) {
          case SMTP -> Protocol.SMTP;
          case LMTP -> Protocol.LMTP;
        };
    return new RelayDeliveryAgent(
        new SmtpClient.Settings(
            config.hostname(), protocol, tlsPolicy(d.tls()), ClientTimeouts.DEFAULTS),
        relay.host(),
        relay.port());
  }

  /**
   * What the metrics read at each scrape: arming and outages from the policy's history, the queue
   * from the spool, the count of active suppressions from the store (all answered from memory).
   */
  private static Metrics.Readings readings(Policy policy, Spool spool) {
    return new Metrics.Readings() {
      @Override
      public boolean armed(LayoutEntry e, Instant now) {
        return policy.arming().state(e, now).armed();
      }

      @Override
      public @Nullable Instant outageEnded(LayoutEntry e, Instant now) {
        AvailabilityHistory history = policy.availability();
        List<AvailabilityHistory.Outage> outages = history.outages(e, history.since());
        return outages.isEmpty() ? null : outages.getLast().endOr(now);
      }

      @Override
      public int queued() {
        return spool.size();
      }

      @Override
      public @Nullable Instant oldestQueued() {
        return spool.oldest().map(QueueEntry::arrival).orElse(null);
      }

      @Override
      public int suppressionsActive(Instant now) {
        return policy.suppressions().count(now);
      }
    };
  }

  /**
   * The agent of {@code delivery.mode: mx}: SMTP with our host name and {@code delivery.tls}, the
   * domain's MX order from {@code dns} (each lookup told to {@code events}), and this host as
   * {@link #thisHost self}.
   */
  static MxDeliveryAgent mxAgent(MxtrapConfig config, Clock clock, Events events) {
    MxLocator locator =
        new MxLocator(
            StubResolver.create(config.dns(), clock, events),
            // Safe from every delivery thread at once: each draws from its own thread's generator.
            (RandomGenerator) () -> ThreadLocalRandom.current().nextLong(),
            MxLocator.Limits.DEFAULTS);
    return new MxDeliveryAgent(
        new SmtpClient.Settings(
            config.hostname(),
            Protocol.SMTP,
            tlsPolicy(config.delivery().tls()),
            ClientTimeouts.DEFAULTS),
        locator,
        thisHost(config),
        config.layout(),
        clock);
  }

  /**
   * This host as an MX host recognizes itself (RFC 5321 5.1): the address and host name of every
   * layout entry it serves, traps included, and its {@code hostname}.
   */
  static ThisHost thisHost(MxtrapConfig config) {
    Set<String> names = new HashSet<>();
    Set<InetAddress> addresses = new HashSet<>();
    names.add(config.hostname());
    for (LayoutEntry e : config.layout().entries()) {
      if (config.serves(e)) {
        names.add(e.host());
        addresses.add(e.address());
      }
    }
    return new ThisHost(names, addresses);
  }

  private static TlsPolicy tlsPolicy(DeliverySettings.Tls tls) {
    return switch (tls) {
      case OPPORTUNISTIC -> TlsPolicy.OPPORTUNISTIC;
      case REQUIRED -> TlsPolicy.REQUIRED;
      case OFF -> TlsPolicy.OFF;
    };
  }

  /** What every SMTP session of this host is configured with. */
  static SessionSettings sessionSettings(MxtrapConfig config) {
    return new SessionSettings(
        config.hostname(),
        config.domains(),
        config.limits().maxMessageSize(),
        config.limits().maxRecipients(),
        config.limits().maxErrors(),
        config.limits().commandTimeout(),
        config.limits().minDataRate(),
        config.recipients().maxUnknown(),
        config.trustedRelays());
  }

  /** What the listeners apply before a session starts, within what this host can afford. */
  static ListenerSettings listenerSettings(MxtrapConfig config, Resources resources) {
    Map<LayoutEntry, Duration> greetDelays = new HashMap<>();
    for (LayoutEntry e : config.layout().entries()) {
      greetDelays.put(e, config.trap().greetDelay(e));
    }
    return new ListenerSettings(
        config.listen().stream().map(ListenAddress::address).toList(),
        config.layout(),
        config.hostname(),
        resources.maxConnections(),
        config.limits().maxPerIp(),
        config.limits().commandTimeout(),
        config.limits().maxErrors(),
        greetDelays,
        config.suppress().tarpitInterval(),
        config.suppress().tarpitHold(),
        resources.tarpitMax(),
        proxied(config));
  }

  /**
   * What this host can afford (descriptors, heap), logged at start; every limit that had to be
   * lowered to fit is a warning.
   */
  private static Resources resources(MxtrapConfig config) throws IOException {
    long openFiles = Long.MAX_VALUE;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
      openFiles = unix.getMaxFileDescriptorCount();
    }
    long maxHeap = Runtime.getRuntime().maxMemory();
    int served = (int) config.layout().entries().stream().filter(config::serves).count();
    Resources r;
    try {
      r =
          Resources.plan(
              config.limits(),
              config.suppress().tarpitMax(),
              Resources.rememberedMemory(config),
              served,
              openFiles,
              maxHeap,
              config.tls() != null);
    } catch (IllegalStateException e) {
      throw new IOException(e.getMessage(), e);
    }
    for (String cut : r.cuts()) {
      log.warn("limits lowered to fit this host: {}", cut);
    }
    log.info(
        "resources: {} descriptors, {} MiB heap; {} connections per entry, tarpit {}, message"
            + " memory {} MiB",
        openFiles == Long.MAX_VALUE ? "unknown" : openFiles,
        maxHeap >> 20,
        r.maxConnections(),
        r.tarpitMax(),
        r.messageMemory() >> 20);
    return r;
  }

  /**
   * The periodic chores of the state: the heartbeat (so downtime across a crash is known), and now
   * and then forgetting contacts older than the window and suppressions past their repeat window,
   * and telling how many suppressions ended meanwhile ({@link Event.SuppressionsExpired}: a
   * suppression ends by itself, when its time is up, so this is where its end is seen). Catches,
   * logs and tells.
   */
  void maintain() {
    try {
      Instant now = clock.instant();
      policy.availability().maintain(now);
      if (++heartbeats % PRUNE_EVERY == 0) {
        policy.contacts().maintain(now);
        int ended =
            (int)
                policy.suppressions().active(expiriesCounted).stream()
                    .filter(s -> !s.until().isAfter(now))
                    .count();
        expiriesCounted = now;
        if (ended > 0) {
          events.on(new Event.SuppressionsExpired(ended));
        }
        policy.suppressions().maintain(now);
      }
    } catch (RuntimeException e) {
      log.warn("maintenance failed", e);
      events.on(new Event.StoreFailed("state", "maintain", e));
    }
  }

  Policy policy() {
    return policy;
  }

  Prober prober() {
    return prober;
  }

  List<InetSocketAddress> boundAddresses() {
    return server.boundAddresses();
  }

  /** Where the Postfix policy service listens; null without one. */
  @Nullable SocketAddress policyAddress() throws IOException {
    return frontDoor == null ? null : frontDoor.boundAddress();
  }

  /**
   * Stops accepting, lets sessions finish for up to {@code grace}, then stops delivery and closes
   * the spool. Mail that was acknowledged is on disk and is delivered after the next start.
   */
  void stop(Duration grace) {
    log.info("stopping: no new connections; waiting up to {}s for sessions", grace.toSeconds());
    admin.stop();
    maintenance.shutdownNow();
    if (export != null) {
      export.close();
    }
    prober.close();
    Instant now = clock.instant();
    for (LayoutEntry e : config.layout().entries()) {
      if (config.serves(e)) {
        policy.availability().down(e, now, "mxtrap shutting down");
      }
    }
    if (frontDoor != null) {
      frontDoor.close();
    }
    int cut = server.shutdown(grace);
    if (cut > 0) {
      log.warn("stopping: closed {} sessions still open after {}s", cut, grace.toSeconds());
    }
    runner.close();
    closeOutbound.run(); // after the runner: no delivery is in flight any more
    spool.close();
    policy.availability().maintain(clock.instant());
    policy.close();
    log.info("stopped");
  }

  @Override
  public void close() {
    stop(Duration.ZERO);
  }

  /** The {@code listen} addresses behind load balancers, with what their balancers send. */
  static Map<InetSocketAddress, ProxyListener> proxied(MxtrapConfig config) {
    Map<InetSocketAddress, ProxyListener> out = new HashMap<>();
    for (ListenAddress l : config.listen()) {
      ListenAddress.Proxy p = l.proxy();
      if (p != null) {
        ProxyHeader.Version v =
            switch (p.protocol()) {
              case V1 -> ProxyHeader.Version.V1;
              case V2 -> ProxyHeader.Version.V2;
            };
        out.put(l.address(), new ProxyListener(v, p.from()));
      }
    }
    return out;
  }

  /**
   * Re-reads the file this host was started with and applies what a reload can apply, for SIGHUP
   * and {@code POST /reload}: see {@link Reload#reload}.
   */
  Reloader.Outcome reload() throws ConfigException {
    return reloads.reload();
  }
}

package org.mxtrap.postfix;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Admission;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Postfix's SMTP access policy delegation service (SMTPD_POLICY_README) over TCP or a UNIX domain
 * socket, answering from {@link Admission#connect}.
 *
 * <p>The protocol: Postfix sends {@code name=value} lines ended by an empty line ({@link
 * RequestReader}); we answer {@code action=ACTION} and an empty line ({@link Actions}), and wait
 * for the next request on the same connection. Postfix keeps a connection for many SMTP sessions.
 *
 * <p>Per request: the layout entry is the one of {@code server_address} and {@code server_port}
 * (none: {@code DUNNO}, logged; Postfix may ask for listeners the layout does not describe, such as
 * submission, where the trap has no opinion). The first request of an SMTP session ({@code
 * instance}) is one {@link Admission#connect} whose {@link Contact#local()} is what Postfix
 * reported; every later request of the session gets the same action ({@link Sessions}). When the
 * engine has not answered within {@code timeout}, or failed, the request gets {@code defaultAction}
 * (the decision still lands for the session's later requests).
 *
 * <p>Bounds on what a client controls ({@link Bounds}): connections at once (over it, closed at
 * once), engine calls at once (as many: over it, the default action), octets per line and per
 * request, attributes per request, time per request from its first octet, and idle time between
 * requests. A request that breaks a bound or is malformed gets {@link Actions#MALFORMED} and the
 * connection closes; a deadline closes the connection without a word.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once. Thread-safe.
 */
public final class PolicyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("policyd");

  /** SMTP sessions whose answer is remembered for their later requests. */
  static final int SESSIONS = 10_000;

  /** How long an SMTP session's answer is remembered: longer than any Postfix session lasts. */
  static final Duration SESSION_AGE = Duration.ofHours(1);

  /**
   * What one client may take.
   *
   * @param maxConnections connections at once
   * @param idleTimeout between requests, and before the first; keep it above Postfix's {@code
   *     smtpd_policy_service_max_idle} (300s), which closes idle connections itself
   * @param requestTimeout from a request's first octet to its empty line, and for writing the
   *     answer (Postfix writes a request at once)
   * @param maxLineOctets one {@code name=value} line, without its newline
   * @param maxAttributes lines in one request
   * @param maxRequestOctets one whole request
   */
  public record Bounds(
      int maxConnections,
      Duration idleTimeout,
      Duration requestTimeout,
      int maxLineOctets,
      int maxAttributes,
      int maxRequestOctets) {

    /**
     * The fixed bounds: 10 s for a request; 4 KiB a line (Postfix sends about 30 attributes, the
     * longest an address of at most 256 octets or a certificate subject); 100 attributes and 32 KiB
     * a request.
     */
    public static Bounds of(int maxConnections, Duration idleTimeout) {
      return new Bounds(maxConnections, idleTimeout, Duration.ofSeconds(10), 4096, 100, 32 * 1024);
    }
  }

  /**
   * @param bind an {@link InetSocketAddress} (port 0: a free port) or a {@link
   *     UnixDomainSocketAddress}, whose stale socket file is removed at start and which is made
   *     mode 0660
   * @param layout the entries {@code server_address}/{@code server_port} are looked up in
   * @param defaultAction an access(5) action, the answer when the engine cannot answer in time
   * @param timeout how long a request waits for the engine
   */
  public record Settings(
      SocketAddress bind, Layout layout, String defaultAction, Duration timeout, Bounds bounds) {}

  private final Settings settings;
  private final Admission admission;
  private final Function<Decision, String> text;
  private final Clock clock;
  private final Sessions sessions;
  private final Semaphore connections;
  private final Semaphore engineCalls;
  private final ExecutorService engine = Executors.newVirtualThreadPerTaskExecutor();
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private @Nullable ServerSocketChannel listener;
  private @Nullable Thread watchdog;
  private volatile boolean closing;

  /**
   * @param text the reply text for a decision that does not serve the client: the words the
   *     built-in SMTP server uses for it
   * @param clock the time of each contact
   */
  public PolicyServer(
      Settings settings, Admission admission, Function<Decision, String> text, Clock clock) {
    this.settings = settings;
    this.admission = admission;
    this.text = text;
    this.clock = clock;
    this.sessions = new Sessions(SESSIONS, SESSION_AGE, clock);
    this.connections = new Semaphore(settings.bounds().maxConnections());
    this.engineCalls = new Semaphore(settings.bounds().maxConnections());
  }

  /** Binds and starts accepting. */
  public void start() throws IOException {
    ServerSocketChannel ss;
    if (settings.bind() instanceof UnixDomainSocketAddress u) {
      removeStaleSocket(u.getPath());
      ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ss.bind(u, 128);
        Files.setPosixFilePermissions(u.getPath(), PosixFilePermissions.fromString("rw-rw----"));
      } catch (IOException e) {
        ss.close();
        throw new IOException("cannot bind unix:" + u.getPath() + ": " + e.getMessage(), e);
      }
    } else {
      ss = ServerSocketChannel.open();
      try {
        ss.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        ss.bind(settings.bind(), 128);
      } catch (IOException e) {
        ss.close();
        throw new IOException(
            "cannot bind " + describe(settings.bind()) + ": " + e.getMessage(), e);
      }
    }
    listener = ss;
    Thread w = Thread.ofPlatform().name("policy-deadlines").daemon(true).unstarted(this::watch);
    watchdog = w;
    w.start();
    Thread.ofPlatform().name("policy-accept").daemon(true).start(() -> acceptLoop(ss));
    log.info("policy service on {}", describe(boundAddress()));
  }

  /** Where it listens: with port 0, the port it got. */
  public SocketAddress boundAddress() throws IOException {
    return Objects.requireNonNull(listener, "not started").getLocalAddress();
  }

  /**
   * A socket file left by a process that is gone is removed; one that answers is another server's,
   * and anything that is not a socket is not ours to remove.
   */
  private static void removeStaleSocket(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & 0170000) != 0140000) {
      throw new IOException("cannot bind unix:" + path + ": the file exists and is not a socket");
    }
    boolean answers;
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      answers = true;
    } catch (IOException e) {
      answers = false; // refused: nobody listens
    }
    if (answers) {
      throw new IOException("cannot bind unix:" + path + ": another server answers on it");
    }
    Files.delete(path);
  }

  private void acceptLoop(ServerSocketChannel ss) {
    while (!closing) {
      SocketChannel ch;
      try {
        ch = ss.accept();
      } catch (IOException e) {
        if (!closing) {
          log.error("accept failed; no more policy connections", e);
        }
        return;
      }
      if (!connections.tryAcquire()) {
        log.warn(
            "{} policy connections open: one more closed at once",
            settings.bounds().maxConnections());
        closeQuietly(ch);
        continue;
      }
      Connection c = new Connection(ch, "policy-" + accepted.incrementAndGet());
      open.add(c);
      Thread.ofVirtual().name(c.name).start(() -> serve(c));
    }
  }

  /** One connection's requests; the finally always releases its permit and closes it. */
  private void serve(Connection c) {
    Bounds b = settings.bounds();
    try {
      RequestReader in = new RequestReader(c.channel, b);
      while (!closing) {
        c.deadline(b.idleTimeout());
        String action;
        try {
          Map<String, String> attributes = in.next(() -> c.deadline(b.requestTimeout()));
          if (attributes == null) {
            return;
          }
          c.deadline(settings.timeout().plus(b.requestTimeout()));
          action = answer(PolicyRequest.of(attributes));
        } catch (PolicyRequest.Malformed e) {
          log.warn("{}: malformed policy request: {}; closing", c.name, e.getMessage());
          c.write(Actions.MALFORMED);
          return;
        }
        c.write(action);
      }
    } catch (IOException e) {
      if (c.cut) {
        log.info("{}: timeout; policy connection closed", c.name);
      } else {
        log.debug("{}: policy connection ended: {}", c.name, e.toString());
      }
    } catch (RuntimeException e) {
      log.error("{}: policy connection failed", c.name, e);
    } finally {
      open.remove(c);
      closeQuietly(c.channel);
      connections.release();
    }
  }

  /** The action for one request; never waits longer than {@code timeout}. */
  private String answer(PolicyRequest q) {
    String key = q.instance() + " " + Addresses.text(q.client()) + " " + describe(q.local());
    CompletableFuture<String> action = sessions.action(key, () -> decide(q));
    try {
      return action.get(settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      log.warn(
          "no decision about {} within {} ms: {}",
          Addresses.text(q.client()),
          settings.timeout().toMillis(),
          settings.defaultAction());
    } catch (ExecutionException e) {
      log.error("deciding about {} failed: {}", Addresses.text(q.client()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return settings.defaultAction();
  }

  /** Starts the decision of a new SMTP session. */
  private CompletableFuture<String> decide(PolicyRequest q) {
    Optional<LayoutEntry> entry = settings.layout().entryFor(q.local());
    if (entry.isEmpty()) {
      log.info(
          "{} is no layout entry's address: {} for {}",
          describe(q.local()),
          Actions.DUNNO,
          Addresses.text(q.client()));
      return CompletableFuture.completedFuture(Actions.DUNNO);
    }
    if (!engineCalls.tryAcquire()) {
      log.warn(
          "{} decisions pending: {}", settings.bounds().maxConnections(), settings.defaultAction());
      return CompletableFuture.completedFuture(settings.defaultAction());
    }
    Contact contact = new Contact(q.client(), q.local(), entry.get(), clock.instant());
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return Actions.of(admission.connect(contact), text);
          } finally {
            engineCalls.release();
          }
        },
        engine);
  }

  /** Cuts every connection past its deadline, every quarter of the shortest bound. */
  private void watch() {
    Bounds b = settings.bounds();
    long shortest =
        Math.min(
            b.idleTimeout().toNanos(),
            Math.min(b.requestTimeout().toNanos(), settings.timeout().toNanos()));
    long tick =
        Math.max(
            TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), shortest / 4));
    while (!closing) {
      LockSupport.parkNanos(tick);
      long now = System.nanoTime();
      for (Connection c : open) {
        if (c.overdue(now)) {
          c.cut();
        }
      }
    }
  }

  /** Stops accepting, closes every connection, and removes the UNIX socket file. */
  @Override
  public void close() {
    closing = true;
    ServerSocketChannel ss = listener;
    if (ss != null) {
      closeQuietly(ss);
      if (settings.bind() instanceof UnixDomainSocketAddress u) {
        try {
          Files.deleteIfExists(u.getPath());
        } catch (IOException e) {
          log.warn("cannot remove unix:{}: {}", u.getPath(), e.toString());
        }
      }
    }
    Thread w = watchdog;
    if (w != null) {
      LockSupport.unpark(w);
    }
    for (Connection c : open) {
      closeQuietly(c.channel);
    }
    engine.shutdown();
  }

  /** {@code 127.0.0.1:10040}, {@code [::1]:10040} or {@code unix:/path}. */
  public static String describe(SocketAddress a) {
    return switch (a) {
      case InetSocketAddress i -> Addresses.literal(i.getAddress(), i.getPort());
      case UnixDomainSocketAddress u -> "unix:" + u.getPath();
      default -> a.toString();
    };
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      log.debug("close failed: {}", e.toString());
    }
  }

  /** One client connection and its deadline, which the watchdog enforces by closing it. */
  private static final class Connection {
    final SocketChannel channel;
    final String name;
    private volatile long deadline;
    volatile boolean cut;

    Connection(SocketChannel channel, String name) {
      this.channel = channel;
      this.name = name;
    }

    void deadline(Duration from) {
      deadline = System.nanoTime() + from.toNanos();
    }

    boolean overdue(long now) {
      return now - deadline > 0;
    }

    void cut() {
      cut = true;
      closeQuietly(channel);
    }

    /** {@code action=ACTION} and the empty line that ends the answer. */
    void write(String action) throws IOException {
      ByteBuffer out = StandardCharsets.UTF_8.encode("action=" + action + "\n\n");
      while (out.hasRemaining()) {
        if (channel.write(out) < 0) {
          throw new ClosedChannelException();
        }
      }
    }
  }
}

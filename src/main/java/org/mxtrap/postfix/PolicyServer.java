package org.mxtrap.postfix;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Admission;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Sender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Postfix's SMTP access policy delegation service (SMTPD_POLICY_README) over TCP or a UNIX domain
 * socket, answering from {@link Admission#connect}.
 *
 * <p>The protocol: Postfix sends {@code name=value} lines ended by an empty line ({@link
 * RequestReader}); we answer {@code action=ACTION} and an empty line ({@link Actions}), and wait
 * for the next request on the same connection. Postfix keeps a connection for many SMTP sessions,
 * with one request outstanding.
 *
 * <p>Per request: the layout entry is the one of {@code server_address} and {@code server_port}
 * (none: {@code DUNNO}, logged; Postfix may ask for listeners the layout does not describe, such as
 * submission, where the trap has no opinion). The first request of an SMTP session ({@code
 * instance}) is one {@link Admission#connect} whose {@link Contact#local()} is what Postfix
 * reported; every later request of the session gets the same action ({@link Sessions}).
 *
 * <p>Threads: one event loop per processor serves its share of the connections (a {@link Selector};
 * reading, framing, answering). When the engine {@link Admission#decidesFromMemory} (the embedded
 * store, no DNS), the loop decides itself: a decision is microseconds, and a hand-off to another
 * thread would cost more than the decision. Otherwise each decision runs on a virtual thread of its
 * own, and when it has not come within {@code timeout}, or failed, the request gets {@code
 * defaultAction} (the decision still lands for the session's later requests), so a slow or absent
 * shared store never holds Postfix up.
 *
 * <p>Bounds on what a client controls ({@link Bounds}): connections at once (over it, closed at
 * once), engine calls at once (as many: over it, the default action), octets per line and per
 * request, attributes per request, time per request from its first octet, and idle time between
 * requests. A request that breaks a bound or is malformed gets {@link Actions#MALFORMED} and the
 * connection closes; a deadline closes the connection without a word. A client that sends its next
 * request before its answer was written is read only after it.
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
  private final boolean inline;
  private final ExecutorService engine = Executors.newVirtualThreadPerTaskExecutor();
  private final AtomicLong accepted = new AtomicLong();
  private final List<Loop> loops = new ArrayList<>();
  private @Nullable ServerSocketChannel listener;
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
    this.inline = admission.decidesFromMemory();
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
    int n = Runtime.getRuntime().availableProcessors();
    for (int i = 0; i < n; i++) {
      Loop l = new Loop(Selector.open());
      loops.add(l);
      l.thread = Thread.ofPlatform().name("policy-loop-" + i).daemon(true).start(l::run);
    }
    Thread.ofPlatform().name("policy-accept").daemon(true).start(() -> acceptLoop(ss));
    log.info(
        "policy service on {}; {}",
        describe(boundAddress()),
        inline
            ? "decisions from memory, on " + n + " event loops"
            : "decisions on threads of their own, the default after "
                + settings.timeout().toMillis()
                + " ms");
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
      long n = accepted.incrementAndGet();
      try {
        ch.configureBlocking(false);
        if (ch.getLocalAddress() instanceof InetSocketAddress) {
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
      } catch (IOException e) {
        log.debug("policy-{}: cannot set up the connection: {}", n, e.toString());
        closeQuietly(ch);
        connections.release();
        continue;
      }
      Loop l = loops.get((int) (n % loops.size()));
      Connection c = new Connection(ch, "policy-" + n, l);
      l.execute(c::register);
    }
  }

  /**
   * The session's action for request {@code q}: the one its earlier requests came to, or a new
   * decision, which is made here (inline) or started on a thread of its own.
   */
  private CompletableFuture<String> answer(PolicyRequest q) {
    CompletableFuture<String> fresh = new CompletableFuture<>();
    CompletableFuture<String> action = sessions.action(q.session(), fresh);
    if (action != fresh) {
      return action;
    }
    Optional<LayoutEntry> entry = settings.layout().entryFor(q.local());
    if (entry.isEmpty()) {
      log.info(
          "{} is no layout entry's address: {} for {}",
          describe(q.local()),
          Actions.DUNNO,
          Addresses.text(q.client()));
      fresh.complete(Actions.DUNNO);
    } else if (inline) {
      decide(new Contact(q.client(), q.local(), entry.get(), clock.instant()), q.sender(), fresh);
    } else if (!engineCalls.tryAcquire()) {
      log.warn(
          "{} decisions pending: {}", settings.bounds().maxConnections(), settings.defaultAction());
      fresh.complete(settings.defaultAction());
    } else {
      Contact contact = new Contact(q.client(), q.local(), entry.get(), clock.instant());
      engine.execute(
          () -> {
            try {
              decide(contact, q.sender(), fresh);
            } finally {
              engineCalls.release();
            }
          });
    }
    return fresh;
  }

  /** Completes {@code action} with the engine's decision about {@code contact}. */
  private void decide(Contact contact, Sender sender, CompletableFuture<String> action) {
    try {
      action.complete(Actions.of(admission.connect(contact, sender), text));
    } catch (RuntimeException e) {
      action.completeExceptionally(e);
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
    for (Loop l : loops) {
      l.selector.wakeup();
    }
    for (Loop l : loops) {
      Thread t = l.thread;
      if (t != null) {
        try {
          t.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
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

  /**
   * One event loop: its connections' reads, writes, deadlines and answers happen on its thread
   * only; other threads hand it work through {@link #execute}.
   */
  private final class Loop {
    final Selector selector;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    volatile @Nullable Thread thread;

    Loop(Selector selector) {
      this.selector = selector;
    }

    /** Runs {@code task} on this loop's thread, soon. */
    void execute(Runnable task) {
      tasks.add(task);
      selector.wakeup();
    }

    /**
     * Until the server closes: ready channels, tasks, and every quarter of the shortest bound, the
     * deadlines.
     */
    void run() {
      Bounds b = settings.bounds();
      long shortest =
          Math.min(
              b.idleTimeout().toNanos(),
              Math.min(b.requestTimeout().toNanos(), settings.timeout().toNanos()));
      long tick =
          Math.max(
              TimeUnit.MILLISECONDS.toNanos(10),
              Math.min(TimeUnit.SECONDS.toNanos(1), shortest / 4));
      long nextCheck = System.nanoTime() + tick;
      try {
        while (!closing) {
          selector.select(
              k -> ((Connection) k.attachment()).ready(k), TimeUnit.NANOSECONDS.toMillis(tick));
          for (Runnable r; (r = tasks.poll()) != null; ) {
            r.run();
          }
          long now = System.nanoTime();
          if (now - nextCheck >= 0) {
            nextCheck = now + tick;
            for (SelectionKey k : List.copyOf(selector.keys())) {
              ((Connection) k.attachment()).check(now);
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        if (!closing) {
          log.error("policy event loop failed; its connections are closed", e);
        }
      } finally {
        for (SelectionKey k : List.copyOf(selector.keys())) {
          ((Connection) k.attachment()).close();
        }
        for (Runnable r; (r = tasks.poll()) != null; ) {
          r.run(); // registrations: each closes at once
        }
        closeQuietly(selector);
      }
    }
  }

  /** What a connection is doing; its deadline depends on it. */
  private enum Stage {
    /** Waiting for a request (idle deadline) or for the rest of one (request deadline). */
    READING,
    /** Waiting for the engine (decision deadline, then the default action). */
    DECIDING,
    /** Writing an answer that did not fit at once (request deadline). */
    WRITING
  }

  /** One client connection; touched only on its loop's thread. */
  private final class Connection {
    final SocketChannel channel;
    final String name;
    final Loop loop;
    private final RequestReader reader = new RequestReader(settings.bounds(), PolicyRequest.NAMES);
    // Between reads: in read mode, what follows the last request framed (a client that sent ahead).
    private final ByteBuffer in = ByteBuffer.allocate(4096).flip();
    private @Nullable SelectionKey key;
    private ByteBuffer out = ByteBuffer.allocate(0);
    private Stage stage = Stage.READING;
    private boolean closeAfterWrite;
    private long deadline;
    // Which request a decision is for: a late decision of an answered request is dropped.
    private long requests;
    private @Nullable PolicyRequest asked;
    private boolean closed;

    Connection(SocketChannel channel, String name, Loop loop) {
      this.channel = channel;
      this.name = name;
      this.loop = loop;
    }

    void register() {
      if (closing) {
        close();
        return;
      }
      try {
        key = channel.register(loop.selector, SelectionKey.OP_READ, this);
        deadline = System.nanoTime() + settings.bounds().idleTimeout().toNanos();
      } catch (IOException e) {
        log.debug("{}: cannot register: {}", name, e.toString());
        close();
      }
    }

    void ready(SelectionKey k) {
      try {
        if (k.isReadable()) {
          read();
        } else if (k.isWritable()) {
          flush();
        }
      } catch (IOException e) {
        log.debug("{}: policy connection ended: {}", name, e.toString());
        close();
      } catch (RuntimeException e) {
        log.error("{}: policy connection failed", name, e);
        close();
      }
    }

    private void read() throws IOException {
      in.compact();
      int n = channel.read(in);
      in.flip();
      if (n < 0) {
        if (reader.started()) {
          log.debug("{}: the client closed in the middle of a request", name);
        }
        close();
        return;
      }
      next();
    }

    /** Frames what has come; answers a whole request, or waits for more. */
    private void next() throws IOException {
      boolean started = reader.started();
      Map<String, String> attributes;
      PolicyRequest q;
      try {
        attributes = reader.take(in);
        if (attributes == null) {
          if (!started && reader.started()) {
            deadline = System.nanoTime() + settings.bounds().requestTimeout().toNanos();
          }
          return;
        }
        q = PolicyRequest.of(attributes);
      } catch (PolicyRequest.Malformed e) {
        log.warn("{}: malformed policy request: {}; closing", name, e.getMessage());
        closeAfterWrite = true;
        write(Actions.MALFORMED);
        return;
      }
      CompletableFuture<String> action = answer(q);
      if (action.isDone()) {
        write(actionOf(action, q));
        return;
      }
      stage = Stage.DECIDING;
      asked = q;
      long request = ++requests;
      deadline = System.nanoTime() + settings.timeout().toNanos();
      Objects.requireNonNull(key).interestOps(0);
      action.whenComplete(
          (a, e) ->
              loop.execute(
                  () -> {
                    if (stage == Stage.DECIDING && requests == request && !closed) {
                      answerNow(actionOf(action, q));
                    }
                  }));
    }

    /** The action of a completed decision; the default, logged, for one that failed. */
    private String actionOf(CompletableFuture<String> action, PolicyRequest q) {
      try {
        return action.join();
      } catch (RuntimeException e) {
        log.error(
            "deciding about {} failed: {}",
            Addresses.text(q.client()),
            e.getCause() == null ? e : e.getCause());
        return settings.defaultAction();
      }
    }

    /** Writes an answer now that the decision came (or its time ran out). */
    private void answerNow(String action) {
      try {
        write(action);
      } catch (IOException e) {
        log.debug("{}: policy connection ended: {}", name, e.toString());
        close();
      }
    }

    /** {@code action=ACTION} and the empty line that ends the answer. */
    private void write(String action) throws IOException {
      out = ByteBuffer.wrap(("action=" + action + "\n\n").getBytes(StandardCharsets.UTF_8));
      stage = Stage.WRITING;
      flush();
    }

    private void flush() throws IOException {
      channel.write(out);
      SelectionKey k = Objects.requireNonNull(key);
      if (out.hasRemaining()) {
        k.interestOps(SelectionKey.OP_WRITE);
        deadline = System.nanoTime() + settings.bounds().requestTimeout().toNanos();
        return;
      }
      if (closeAfterWrite) {
        close();
        return;
      }
      stage = Stage.READING;
      asked = null;
      k.interestOps(SelectionKey.OP_READ);
      deadline = System.nanoTime() + settings.bounds().idleTimeout().toNanos();
      if (in.hasRemaining()) {
        next(); // the client sent ahead
      }
    }

    /** Past its deadline: the default action for a decision, or else the connection closed. */
    void check(long now) {
      if (closed || now - deadline < 0) {
        return;
      }
      PolicyRequest q = asked;
      if (stage == Stage.DECIDING && q != null) {
        log.warn(
            "no decision about {} within {} ms: {}",
            Addresses.text(q.client()),
            settings.timeout().toMillis(),
            settings.defaultAction());
        answerNow(settings.defaultAction());
        return;
      }
      log.info("{}: timeout; policy connection closed", name);
      close();
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      SelectionKey k = key;
      if (k != null) {
        k.cancel();
      }
      closeQuietly(channel);
      connections.release();
    }
  }
}

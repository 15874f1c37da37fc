package org.mxtrap.smtp.server;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Admission;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.mxtrap.observe.LogContext;
import org.mxtrap.smtp.ClientFacts;
import org.mxtrap.smtp.RefusedSession;
import org.mxtrap.smtp.Replies;
import org.mxtrap.smtp.wire.ProxyHeader;
import org.mxtrap.smtp.wire.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds every listen address and runs each accepted connection on its own virtual thread.
 *
 * <p>Per connection, in this order: the connection's layout entry is found from its local address
 * and port; the entry's connection limits are applied (over the limit: {@code 421 4.7.0} and
 * close); then the {@link ConnectionHandler} runs the conversation. One outer try/finally always
 * releases the permit and closes the socket (unless the {@link Tarpit} took the connection over);
 * the connection's thread is named for its session, which every log line shows. A peer hanging up
 * is logged at DEBUG; an exception from our own code at ERROR, after {@code 421 4.3.0} to the
 * client.
 *
 * <p>A connection answered with {@code tarpit} is handed to the {@link Tarpit} and its virtual
 * thread ends: a held connection costs its socket, not a thread.
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #shutdown(Duration)} once. Thread-safe.
 */
public final class SmtpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("smtpd");

  private static final HexFormat HEX = HexFormat.of().withUpperCase();

  /** The pause after a failed accept. */
  private static final Duration ACCEPT_BACKOFF = Duration.ofMillis(100);

  // Swapped by reload(): a connection reads them as it goes, so one accepted before a reload may
  // see the new greeting delay or certificate (each value valid on its own); later ones see only
  // the new. Both are otherwise fixed at start (see reload).
  private volatile ListenerSettings settings;
  private volatile @Nullable SSLContext tls;
  private final Admission admission;
  private final Clock clock;
  private final Tarpit tarpit;
  private final EntryWatch watch;
  private final Events events;
  private final ConnectionHandler handler;
  private final Deadlines deadlines;
  private final Map<LayoutEntry, ConnectionLimits> limits = new HashMap<>();
  private final List<ServerSocketChannel> sockets = new ArrayList<>();
  private final Set<SocketTransport> open = ConcurrentHashMap.newKeySet();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private volatile boolean stopping;

  /**
   * @param settings listen addresses (port 0 binds a free port; see {@link #boundAddresses()}),
   *     layout, hostname, connection limits, greeting delays and the tarpit's pace
   * @param tls the STARTTLS context, or null when STARTTLS is not offered
   * @param admission asked about every connection before anything is sent
   * @param clock the time of each contact
   * @param watch told when an entry turns everyone away for its connection limit
   * @param events told {@link Event.Connected}, {@link Event.Refused} and {@link Event.TarpitHeld}
   */
  public SmtpServer(
      ListenerSettings settings,
      @Nullable SSLContext tls,
      Admission admission,
      Clock clock,
      EntryWatch watch,
      Events events,
      ConnectionHandler handler) {
    this.settings = settings;
    this.tls = tls;
    this.admission = admission;
    this.clock = clock;
    this.tarpit =
        new Tarpit(settings.tarpitInterval(), settings.tarpitHold(), settings.tarpitMax(), events);
    this.watch = watch;
    this.events = events;
    this.handler = handler;
    this.deadlines = new Deadlines(open, settings.commandTimeout());
    for (LayoutEntry e : settings.layout().entries()) {
      limits.put(e, new ConnectionLimits(settings.maxConnections(), settings.maxPerIp()));
    }
  }

  /**
   * Binds every listen address and starts accepting. Fails without side effects if any bind fails.
   */
  public void start() throws IOException {
    for (InetSocketAddress a : settings.listen()) {
      // Channels, not plain sockets: the tarpit writes to held connections without blocking.
      ServerSocketChannel ss = ServerSocketChannel.open();
      try {
        ss.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        ss.bind(a, 1024);
        sockets.add(ss);
      } catch (IOException e) {
        closeQuietly(ss);
        closeListeners();
        throw new IOException(
            "cannot bind " + Addresses.literal(a.getAddress(), a.getPort()) + ": " + e.getMessage(),
            e);
      }
    }
    tarpit.start();
    deadlines.start();
    for (int i = 0; i < sockets.size(); i++) {
      ServerSocketChannel ss = sockets.get(i);
      ProxyListener proxy = settings.proxied().get(settings.listen().get(i));
      ServerSocket bound = ss.socket();
      Thread.ofPlatform()
          .name("accept-" + Addresses.literal(bound.getInetAddress(), bound.getLocalPort()))
          .daemon(true)
          .start(() -> acceptLoop(ss, proxy));
    }
  }

  /** The addresses actually bound, in {@code listen} order (ports resolved when 0 was asked). */
  public List<InetSocketAddress> boundAddresses() {
    return sockets.stream()
        .map(ServerSocketChannel::socket)
        .map(ss -> new InetSocketAddress(ss.getInetAddress(), ss.getLocalPort()))
        .toList();
  }

  /**
   * Accepts until the listener is closed. When accept fails (out of file descriptors is the usual
   * cause: the connection stays queued, so an immediate retry fails at once) the loop pauses for
   * {@link #ACCEPT_BACKOFF} before it tries again, and logs the first failure and the recovery
   * rather than every retry.
   *
   * @param proxy what the listener expects of its balancers, or null for direct connections
   */
  private void acceptLoop(ServerSocketChannel ss, @Nullable ProxyListener proxy) {
    long failures = 0;
    long failingSince = 0;
    while (ss.isOpen()) {
      SocketChannel s;
      try {
        s = ss.accept();
      } catch (IOException e) {
        if (ss.isOpen()) {
          if (failures++ == 0) {
            failingSince = System.nanoTime();
            log.warn(
                "accept on {} failed: {}; retrying every {} ms",
                ss.socket().getLocalSocketAddress(),
                e.toString(),
                ACCEPT_BACKOFF.toMillis());
          }
          LockSupport.parkNanos(ACCEPT_BACKOFF.toNanos());
        }
        continue;
      }
      if (failures > 0) {
        log.warn(
            "accept on {} works again after {} failures in {} ms",
            ss.socket().getLocalSocketAddress(),
            failures,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSince));
        failures = 0;
      }
      String id = newSessionId();
      // The thread's name carries the session ID into every log line (observe.LogContext).
      Thread.ofVirtual().name(LogContext.SESSION_THREAD + id).start(() -> serve(s, id, proxy));
    }
  }

  private void serve(SocketChannel channel, String id, @Nullable ProxyListener proxy) {
    Socket socket = channel.socket();
    InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    InetSocketAddress local = (InetSocketAddress) socket.getLocalSocketAddress();
    String client = Addresses.literal(remote.getAddress(), remote.getPort());
    String to = Addresses.literal(local.getAddress(), local.getPort());
    ConnectionLimits permit = null;
    LayoutEntry entry = null;
    SocketTransport transport = null;
    boolean tarpitted = false;
    try {
      transport = new SocketTransport(socket, tls, settings.commandTimeout());
      open.add(transport);
      if (stopping) {
        transport.drain(); // accepted just before the listeners closed
      }
      socket.setTcpNoDelay(true);
      if (proxy != null) {
        ProxyHeader.Proxied header = proxyHeader(proxy, transport, remote, to);
        if (header == null) {
          return;
        }
        // From here on the connection is the client's to the balancer's frontend.
        remote = header.source();
        local = header.destination();
        client = Addresses.literal(remote.getAddress(), remote.getPort());
        to = Addresses.literal(local.getAddress(), local.getPort());
      }
      Optional<LayoutEntry> found = settings.layout().entryFor(local);
      if (found.isEmpty()) {
        events.on(new Event.Refused(remote.getAddress(), null, Event.Refusal.NO_LAYOUT_ENTRY));
        log.warn("reject: connect from {} to {}: no layout entry for this address", client, to);
        send(transport, Replies.NO_SERVICE_HERE);
        return;
      }
      entry = found.get();
      String where = "role=" + entry.role().label() + " pref=" + entry.preference();
      ConnectionLimits l = Objects.requireNonNull(limits.get(entry)); // one per layout entry
      ConnectionLimits.Refusal refusal = l.tryAcquire(remote.getAddress());
      if (refusal == null) {
        permit = l;
        events.on(new Event.Connected(remote.getAddress(), entry));
      }
      // Every contact counts, whatever we answer it, and is recorded before we answer.
      Contact contact =
          new Contact(remote.getAddress(), local, entry, clock.instant(), refusal != null);
      Decision decision = admission.connect(contact);
      String reverseName = decision.reverseName();
      if (refusal != null) {
        // The decision is a tempfail (Admission's contract); the reply is the limit's own.
        SmtpReply reply;
        if (refusal == ConnectionLimits.Refusal.TOTAL) {
          reply = Replies.tooManyConnections(nameOn(entry));
          events.on(new Event.Refused(remote.getAddress(), entry, Event.Refusal.CONNECTION_LIMIT));
          if (l.markFull()) {
            watch.turningAway(entry, "connection limit reached");
          }
        } else {
          reply = Replies.tooManyConnectionsFromYou(nameOn(entry));
          events.on(new Event.Refused(remote.getAddress(), entry, Event.Refusal.CLIENT_LIMIT));
        }
        log.warn("reject: connect from {} to {} {}: {}", client, to, where, reply.firstLine());
        send(transport, reply);
        return;
      }
      if (decision.serves()) {
        Duration delay = settings.greetDelay(entry);
        if (!delay.isZero() && talksWithin(transport, delay)) {
          decision = admission.earlyTalker(contact);
        }
      }
      if (!decision.serves()) {
        if (decision.action() == Action.TARPIT) {
          // Held connections are bounded by the tarpit's own cap, not the entry's limits: a
          // tarpit full of spammers must not turn the entry's other clients away.
          release(l, entry, remote);
          permit = null;
        }
        tarpitted = refuse(channel, transport, entry, decision, id, client, to, where);
        return;
      }
      log.info(
          "connect from {} to {} {}{}",
          client,
          to,
          where,
          decision.verdict() == Verdict.ACCEPT ? "" : " verdict=" + decision.verdict().label());
      handler.handle(
          new Connection(
              new ClientFacts(
                  remote,
                  local,
                  entry,
                  id,
                  reverseName,
                  // A served contact the engine decides after MAIL FROM (Admission's contract).
                  admission.decidesAtMail(entry) && decision.verdict() == Verdict.ACCEPT),
              nameOn(entry),
              transport));
    } catch (IOException e) {
      log.debug("lost connection from {}: {}", client, e.toString());
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError fatal) {
        throw fatal; // out of memory: the process must end (see ServeCommand), not limp on
      }
      log.error("internal error in session with {}", client, e);
      if (transport != null) {
        try {
          send(transport, Replies.localErrorClosing(settings.hostname()));
        } catch (IOException ignored) {
          // the peer is gone
        }
      }
    } finally {
      if (permit != null && entry != null) {
        release(permit, entry, remote);
        log.info("disconnect from {}", client);
      }
      if (transport != null) {
        if (!tarpitted) {
          transport.close();
        }
        open.remove(transport);
      } else {
        closeQuietly(socket);
      }
      if (open.isEmpty()) {
        lock.lock();
        try {
          idle.signalAll();
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /**
   * Waits up to {@code delay} before the greeting; true when the client sent something meanwhile
   * (an early talker). What it sent is put back, in case the decision still serves it.
   */
  private boolean talksWithin(SocketTransport transport, Duration delay) throws IOException {
    transport.lineDeadline(delay);
    try {
      byte[] early = new byte[512];
      int n = transport.in().read(early);
      if (n <= 0) {
        return false; // the client left; the session will see the end of input
      }
      transport.unread(Arrays.copyOf(early, n));
      return true;
    } catch (SocketTimeoutException quiet) {
      return false;
    } finally {
      transport.lineDeadline(settings.commandTimeout());
    }
  }

  /**
   * The name we give on {@code entry}: a trap answers with its own published host name, so that its
   * banner never tells a spammer which machine (and which primary) stands behind it.
   */
  String nameOn(LayoutEntry entry) {
    return entry.role() == Role.TRAP ? entry.host() : settings.hostname();
  }

  private void release(ConnectionLimits permit, LayoutEntry entry, InetSocketAddress remote) {
    permit.release(remote.getAddress());
    if (permit.clearFullIfRoom()) {
      watch.servingAgain(entry);
    }
  }

  /**
   * Answers a decision that does not serve the client, instead of the greeting.
   *
   * @return true when the tarpit took the connection over: it is no longer the caller's to close
   */
  private boolean refuse(
      SocketChannel channel,
      SocketTransport transport,
      LayoutEntry entry,
      Decision d,
      String id,
      String client,
      String to,
      String where)
      throws IOException {
    String name = nameOn(entry);
    SmtpReply reply = Replies.instead(d, name);
    String verdict = "verdict=" + d.verdict().label() + " action=" + d.action().label();
    switch (d.action()) {
      case REJECT -> {
        log.info(
            "reject: CONNECT from {} to {} {}: {}; {}",
            client,
            to,
            where,
            reply.firstLine(),
            verdict);
        new RefusedSession(transport, name, settings.maxErrors(), settings.commandTimeout())
            .run(reply);
        return false;
      }
      case TARPIT -> {
        if (tarpit.tryEnter()) {
          try {
            channel.configureBlocking(false);
          } catch (IOException | RuntimeException e) {
            tarpit.leave();
            throw e;
          }
          log.info(
              "tarpit: CONNECT from {} to {} {}: {}; {}",
              client,
              to,
              where,
              reply.firstLine(),
              verdict);
          tarpit.hold(channel, reply, id, client);
          return true;
        }
        log.warn(
            "tarpit full ({} held): CONNECT from {} gets a plain tempfail", tarpit.held(), client);
      }
      default -> {}
    }
    log.info(
        "reject: CONNECT from {} to {} {}: {}; {}", client, to, where, reply.firstLine(), verdict);
    send(transport, reply);
    return false;
  }

  private static void send(SocketTransport transport, SmtpReply reply) throws IOException {
    OutputStream out = transport.out();
    out.write(reply.toBytes());
    out.flush();
  }

  private static void closeQuietly(Closeable socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // best effort
    }
  }

  /**
   * Stops accepting, ends tarpitted connections (the rest of their 421) and sessions that wait for
   * a command (421 4.3.2), lets the others finish the command or message they are in for up to
   * {@code grace}, then closes whatever is still open. A message is acknowledged only after it is
   * durable, so a session cut here loses nothing that was acknowledged.
   *
   * @return the number of connections that had to be cut
   */
  public int shutdown(Duration grace) {
    stopping = true;
    closeListeners();
    tarpit.close(); // held connections get the rest of their 421 now
    deadlines.close();
    for (SocketTransport t : open) {
      t.drain(); // idle sessions end now with 421 4.3.2; busy ones get the grace period
    }
    long deadline = System.nanoTime() + grace.toNanos();
    lock.lock();
    try {
      while (!open.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !idle.await(left, TimeUnit.NANOSECONDS)) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
    int cut = 0;
    for (SocketTransport t : open) {
      cut++;
      t.cut();
    }
    return cut;
  }

  @Override
  public void close() {
    shutdown(Duration.ZERO);
  }

  private void closeListeners() {
    for (ServerSocketChannel ss : sockets) {
      closeQuietly(ss);
    }
  }

  private static String newSessionId() {
    return HEX.toHexDigits(ThreadLocalRandom.current().nextInt());
  }

  /**
   * The PROXY header of a connection on a listener behind balancers, read before anything is sent;
   * null when the connection is to be closed without a word: it is not from a balancer of {@code
   * proxy}, its header is malformed or late ({@link ProxyListener#HEADER_TIMEOUT}), or it is the
   * balancer's own (a health check: v2 LOCAL, v1 UNKNOWN, or nothing at all). A balancer's own
   * connection is closed rather than served: it is no client's contact, and no layout entry is its
   * (its destination is this listener, not a published MX address).
   *
   * @param balancer the connection's peer
   * @param listener the listener's address, for the log
   */
  private ProxyHeader.@Nullable Proxied proxyHeader(
      ProxyListener proxy, SocketTransport transport, InetSocketAddress balancer, String listener)
      throws IOException {
    String peer = Addresses.literal(balancer.getAddress(), balancer.getPort());
    if (!proxy.admits(balancer.getAddress())) {
      log.warn("proxy: connect from {} to {}: not in proxy_from; closed", peer, listener);
      return null;
    }
    ProxyHeader.Result header;
    transport.lineDeadline(ProxyListener.HEADER_TIMEOUT);
    try {
      header = proxy.read(transport);
    } catch (SocketTimeoutException late) {
      log.warn(
          "proxy: connect from {} to {}: no PROXY header within {} s; closed",
          peer,
          listener,
          ProxyListener.HEADER_TIMEOUT.toSeconds());
      return null;
    } finally {
      transport.lineDeadline(settings.commandTimeout());
    }
    switch (header) {
      case null ->
          log.debug("proxy: connect from {} to {}: closed without a header", peer, listener);
      case ProxyHeader.Proxied p -> {
        return p;
      }
      case ProxyHeader.Local l ->
          log.debug(
              "proxy: connect from {} to {}: the balancer's own (LOCAL); closed", peer, listener);
      case ProxyHeader.Malformed m ->
          log.warn("proxy: connect from {} to {}: {}; closed", peer, listener, m.reason());
      case ProxyHeader.Incomplete i ->
          throw new IllegalStateException("read returns whole headers");
    }
    return null;
  }

  /**
   * Takes new settings and a new STARTTLS context for the connections accepted from now on;
   * sessions in progress go on with what they have (a TLS session once negotiated keeps its
   * certificate). Closes nothing and never waits for a connection.
   *
   * @param settings as at start but for what a reload may change: {@code maxPerIp} (a lower one
   *     refuses the next connections and closes none), {@code maxErrors} and {@code greetDelays};
   *     the listeners, layout, connection total, command timeout and tarpit keep the values they
   *     were started with (a caller must refuse other changes as needing a restart)
   * @param tls the STARTTLS context; null only when the server was started without one
   */
  public void reload(ListenerSettings settings, @Nullable SSLContext tls) {
    if ((tls == null) != (this.tls == null)) {
      throw new IllegalArgumentException("STARTTLS cannot be turned on or off without a restart");
    }
    this.settings = settings;
    this.tls = tls;
    limits.values().forEach(l -> l.maxPerIp(settings.maxPerIp()));
  }
}

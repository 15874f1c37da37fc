package org.mxtrap.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.mxtrap.testing.FreePorts;

/**
 * Debian's Postfix on a free loopback port: its own config directory, queue_directory and
 * data_directory in a test's directory, started by {@code postfix -c DIR start}. Its smtpd listens
 * on loopback only and never looks anything up in DNS. It is one of four things:
 *
 * <ul>
 *   <li>a private mail store ({@link #start}): it accepts mail for the test's {@link User}s only
 *       (any other recipient gets {@code 550 5.1.1} at RCPT), which virtual(8) saves in {@code
 *       DIR/mail/ADDRESS/new}; STARTTLS is offered only when it is given a certificate; nothing
 *       ever leaves the machine (every non-local transport is {@code error});
 *   <li>a third-party fallback MX ({@link #relaying}): it accepts mail for one domain, any local
 *       part, and its smtp(8) client forwards all of it to one next hop, an address and port on
 *       loopback, as Postfix does for its {@code relay_domains}: with its own Received field on
 *       top, and never with XCLIENT (Postfix's smtp client does not send it). Mail for any other
 *       domain is refused at RCPT ({@code 554 5.7.1}, relay access denied);
 *   <li>the front door of a layout ({@link #frontDoor}): a mail store as above, configured with
 *       what {@code mxtrap postfix-config} printed, its smtpd services on the layout's loopback
 *       addresses, asking mxtrap's policy service about every client;
 *   <li>one member of a sender pool ({@link #pooled}): it accepts mail for one domain, as a relay
 *       does, and sends it from its own source address, walking the domain's MX records through a
 *       test's DNS server or going to one host.
 * </ul>
 *
 * The system's Postfix, if one is configured, is neither used nor disturbed.
 *
 * <p>Postfix must be started by root (its master runs as root and its services as {@code postfix});
 * virtual(8) writes mail as {@code nobody}. The test's directory is made traversable by all (mode
 * o+x, g+x) so that both can reach what lies below it. {@link #close} stops it by {@code postfix -c
 * DIR stop} and makes sure its master process is gone.
 */
public final class LoopbackPostfix implements AutoCloseable {

  /** Debian's {@code nobody} and {@code nogroup}: the owner of the delivered mail. */
  private static final int NOBODY = 65534;

  /** Postfix's host name: in its greeting and the Received header it adds. */
  public static final String HOSTNAME = "mailstore.test";

  /** A recipient Postfix knows. */
  public record User(String address) {}

  /** The server certificate and its private key (PEM) that STARTTLS presents. */
  public record Certificate(Path cert, Path key) {}

  private final Path postfix;
  private final Path config;
  private final Path queue;
  private final Path mail;
  private final Path log;
  private final List<InetSocketAddress> listeners;

  private LoopbackPostfix(Path postfix, Path home, List<InetSocketAddress> listeners) {
    this.postfix = postfix;
    this.config = home.resolve("etc");
    this.queue = home.resolve("queue");
    this.mail = home.resolve("mail");
    this.log = home.resolve("maillog");
    this.listeners = List.copyOf(listeners);
  }

  /**
   * Starts Postfix as a mail store for {@code users} in a new directory under {@code dir}, with
   * STARTTLS when {@code tls} is given, and waits until it greets.
   */
  public static LoopbackPostfix start(Path dir, @Nullable Certificate tls, User... users)
      throws IOException, InterruptedException {
    return start(dir, tls, p -> p.store(users), Smtpd.loopback());
  }

  /**
   * Starts Postfix as the front door of a layout, as an administrator sets it up from {@code mxtrap
   * postfix-config}: a mail store for {@code users} (as {@link #start}) whose main.cf ends with
   * {@code mainCf} and whose master.cf ends with {@code masterCf}, exactly as given, and has no
   * smtpd of its own; waits until every one of {@code listeners} (the addresses the master.cf lines
   * name) greets.
   */
  public static LoopbackPostfix frontDoor(
      Path dir, String mainCf, String masterCf, List<InetSocketAddress> listeners, User... users)
      throws IOException, InterruptedException {
    return start(dir, null, p -> p.store(users) + mainCf, new Smtpd(masterCf, listeners));
  }

  /**
   * Starts Postfix as a fallback MX for {@code domain} that forwards everything for it to {@code
   * nextHop} over SMTP, in a new directory under {@code dir}, and waits until it greets.
   */
  public static LoopbackPostfix relaying(Path dir, String domain, InetSocketAddress nextHop)
      throws IOException, InterruptedException {
    String literal = nextHop.getAddress().getHostAddress();
    return start(
        dir,
        null,
        p ->
            """
            # A fallback MX for %1$s, any local part: smtp(8) forwards it all to the next hop.
            # Brackets: the address as it is, no MX or address lookup (and DNS is off anyway).
            relay_domains = %1$s
            relay_transport = smtp:[%2$s]:%3$d
            """
                .formatted(domain, literal, nextHop.getPort()),
        Smtpd.loopback());
  }

  /**
   * What Postfix does with the mail it accepts: its main.cf lines, after writing what they name.
   */
  private interface Destination {
    String mainCf(LoopbackPostfix p) throws IOException;
  }

  /**
   * Where its smtpd listens: the master.cf lines of its smtpd services and the addresses they bind,
   * all on loopback.
   */
  private record Smtpd(String masterCf, List<InetSocketAddress> listeners) {
    /** One smtpd on a free port of 127.0.0.1. */
    static Smtpd loopback() {
      InetSocketAddress a =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePorts.next());
      return new Smtpd("127.0.0.1:%d inet n - n - - smtpd\n".formatted(a.getPort()), List.of(a));
    }
  }

  private static LoopbackPostfix start(
      Path dir, @Nullable Certificate tls, Destination destination, Smtpd smtpd)
      throws IOException, InterruptedException {
    Path bin = Programs.require("postfix", "postfix");
    Path home = Files.createTempDirectory(dir, "postfix-");
    for (Path d : List.of(dir, home)) {
      Set<PosixFilePermission> mode = EnumSet.copyOf(Files.getPosixFilePermissions(d));
      mode.addAll(Set.of(PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE));
      Files.setPosixFilePermissions(d, mode);
    }
    LoopbackPostfix p = new LoopbackPostfix(bin, home, smtpd.listeners());
    Files.createDirectories(p.config);
    Files.createDirectories(p.queue);
    // data_directory belongs to mail_owner.
    Path data = Files.createDirectory(home.resolve("data"));
    Files.setOwner(
        data,
        data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix"));
    Files.writeString(
        p.config.resolve("main.cf"),
        """
        compatibility_level = 3.6
        queue_directory = %1$s
        data_directory = %2$s
        mail_owner = postfix
        setgid_group = postdrop
        # Logged to a file in the test's directory (through postlogd), never to syslog.
        maillog_file = %3$s
        maillog_file_prefixes = %4$s
        myhostname = %5$s
        mydomain = %5$s
        myorigin = %5$s
        mydestination =
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        smtpd_banner = $myhostname ESMTP
        # Mail for the destination's domains only, never relayed elsewhere (not even for 127.0.0.1).
        mynetworks = 127.0.0.0/8
        smtpd_relay_restrictions = reject_unauth_destination
        alias_maps =
        alias_database =
        # Nothing else leaves the machine: a bounce or anything not for the destination fails here.
        default_transport = error:no outbound mail from a test instance
        local_transport = error:no local mail in a test instance
        # No DNS at all: no reverse look-up of clients, none in the clients.
        smtpd_peername_lookup = no
        smtp_dns_support_level = disabled
        lmtp_dns_support_level = disabled
        biff = no
        """
                .formatted(p.queue, data, p.log, home, HOSTNAME)
            + (tls == null
                ? "smtpd_tls_security_level = none\n"
                : """
                  smtpd_tls_security_level = may
                  smtpd_tls_cert_file = %s
                  smtpd_tls_key_file = %s
                  """
                    .formatted(tls.cert(), tls.key()))
            + destination.mainCf(p));
    // chroot off for Postfix's own services: the private queue has no chroot jail files. (An
    // smtpd chrooted by the given lines runs in the queue directory, which has all it needs.)
    Files.writeString(
        p.config.resolve("master.cf"),
        """
        # service type  private unpriv  chroot  wakeup  maxproc command + args
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        virtual   unix  -       n       n       -       -       virtual
        smtp      unix  -       -       n       -       -       smtp
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        tlsmgr    unix  -       -       n       1000?   1       tlsmgr
        postlog   unix-dgram n  -       n       -       1       postlogd
        """
            + smtpd.masterCf());
    try {
      // check creates the queue's directories with their owners and modes.
      p.postfix("check");
      p.postfix("start");
      for (InetSocketAddress listener : p.listeners) {
        p.awaitGreeting(listener);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      p.close();
      throw e;
    }
    return p;
  }

  /**
   * A store for {@code users}: the texthash table of their Maildirs and the main.cf lines that have
   * virtual(8) deliver to them, as {@code nobody}.
   */
  private String store(User... users) throws IOException {
    Files.createDirectory(mail);
    Files.setAttribute(mail, "unix:uid", NOBODY);
    Files.setAttribute(mail, "unix:gid", NOBODY);
    // texthash: read by smtpd and virtual(8) as it is, no postmap. Each value is a path below
    // virtual_mailbox_base; its trailing slash makes it a Maildir.
    Path mailboxes = config.resolve("mailboxes");
    Files.writeString(
        mailboxes,
        Stream.of(users)
            .map(u -> u.address() + " " + u.address() + "/\n")
            .collect(Collectors.joining()));
    String domains =
        Stream.of(users)
            .map(u -> u.address().substring(u.address().indexOf('@') + 1))
            .distinct()
            .collect(Collectors.joining(" "));
    return """
        virtual_mailbox_domains = %1$s
        virtual_mailbox_base = %2$s
        virtual_mailbox_maps = texthash:%3$s
        virtual_uid_maps = static:%4$d
        virtual_gid_maps = static:%4$d
        virtual_transport = virtual
        relay_transport = error:no outbound mail from a test instance
        """
        .formatted(domains, mail, mailboxes, NOBODY);
  }

  /** Where its (first) smtpd listens. */
  public InetSocketAddress address() {
    return listeners.get(0);
  }

  /**
   * The messages Postfix has saved for {@code address}, as their files hold them (virtual(8)'s
   * Delivered-To and Return-Path, then Postfix's Received, lines ended by LF alone), sorted by
   * their Maildir file names.
   */
  public List<String> delivered(String address) throws IOException {
    return SmtpHarness.messages(inbox(address)).stream().map(LoopbackPostfix::read).toList();
  }

  /**
   * {@link #delivered} once at least {@code count} messages are saved for {@code address}, waiting
   * up to {@code limit} for them (fewer when the limit passed first).
   */
  public List<String> awaitDelivered(String address, int count, Duration limit)
      throws IOException, InterruptedException {
    SmtpHarness.awaitMessages(inbox(address), count, limit);
    return delivered(address);
  }

  /** Postfix's log, to show when a test fails (empty before postlogd wrote anything). */
  public String log() {
    return Files.exists(log) ? read(log) : "";
  }

  private Path inbox(String address) {
    return mail.resolve(address).resolve("new");
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * What {@code postfix check} says about the running configuration: empty when it has nothing to
   * warn about.
   */
  public String check() throws IOException, InterruptedException {
    return postfix("check");
  }

  /** Runs {@code postfix -c DIR COMMAND} to its end and returns its output; fails unless 0. */
  private String postfix(String command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(postfix.toString(), "-c", config.toString(), command)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "postfix -c " + config + " " + command + " failed:\n" + out + log());
    }
    return out;
  }

  /**
   * Until its smtpd greets: connections are refused until the master binds the port, then the first
   * one gets the 220 (or fails the start with whatever else it got).
   */
  private void awaitGreeting(InetSocketAddress listener) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(listener, 1000);
        s.setSoTimeout(10_000);
        String greeting = new String(s.getInputStream().readNBytes(4), UTF_8);
        if (!greeting.equals("220 ")) {
          throw new IllegalStateException("postfix greeted with " + greeting + ":\n" + log());
        }
        return;
      } catch (ConnectException notYet) {
        Thread.sleep(20); // polling a condition with a deadline, not ordering events
      }
    }
    throw new IllegalStateException("postfix did not listen on " + listener + ":\n" + log());
  }

  /** The master's PID from {@code QUEUE/pid/master.pid}, while it is running. */
  private Optional<ProcessHandle> master() throws IOException {
    Path pidFile = queue.resolve("pid").resolve("master.pid");
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    String pid = Files.readString(pidFile, UTF_8).strip();
    return pid.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(pid));
  }

  /**
   * {@code postfix stop}, which has the master stop its services and exit; if the master or any of
   * its processes is still there 10 seconds later, SIGKILL.
   */
  @Override
  public void close() throws IOException, InterruptedException {
    Optional<ProcessHandle> master = master();
    if (master.isEmpty()) {
      return; // never started, or gone already
    }
    List<ProcessHandle> processes =
        Stream.concat(master.stream(), master.get().descendants()).toList();
    try {
      postfix("stop");
    } finally {
      for (ProcessHandle p : processes) {
        try {
          p.onExit().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
          p.destroyForcibly();
        }
      }
    }
  }

  /**
   * Starts Postfix as one member of a sender pool, in a new directory under {@code dir}, and waits
   * until it greets: it accepts mail for {@code domain} (any local part) as {@link #relaying} does,
   * and its own smtp(8) client, on the service {@code pool}, sends all of it from the loopback
   * source address {@code source} to {@code nextHop}, a next hop as transport(5) writes it: {@code
   * DOMAIN:PORT} walks DOMAIN's MX records, lowest preference first, to PORT on each host
   * (Postfix's own MX walk); {@code [ADDRESS]:PORT} goes to that address only, as a pool that
   * remembers a failed MX does.
   *
   * <p>That client alone looks anything up in DNS, from {@code nameserver} on port 53: it runs
   * chrooted in the queue directory, whose {@code etc/resolv.conf} names it (glibc's resolver reads
   * resolv.conf from inside the chroot, and asks port 53 only). The system's resolv.conf is neither
   * read nor changed ({@code postfix start} warns that the two differ).
   */
  public static LoopbackPostfix pooled(
      Path dir, String domain, String nextHop, InetAddress source, InetAddress nameserver)
      throws IOException, InterruptedException {
    Smtpd smtpd = Smtpd.loopback();
    String pool =
        "pool unix - - y - - smtp -o smtp_bind_address=%s -o smtp_dns_support_level=enabled\n"
            .formatted(source.getHostAddress());
    return start(
        dir,
        null,
        p -> {
          Path etc = Files.createDirectories(p.queue.resolve("etc"));
          Files.writeString(
              etc.resolve("resolv.conf"), "nameserver " + nameserver.getHostAddress() + "\n");
          return """
              # One member of a sender pool: everything for %1$s leaves by the service pool.
              relay_domains = %1$s
              transport_maps = inline:{ %1$s=pool:%2$s }
              """
              .formatted(domain, nextHop);
        },
        new Smtpd(smtpd.masterCf() + pool, smtpd.listeners()));
  }
}

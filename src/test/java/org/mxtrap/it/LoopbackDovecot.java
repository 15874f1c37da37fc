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
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.mxtrap.testing.FreePorts;

/**
 * Debian's Dovecot (dovecot-lmtpd) as an LMTP mail store on a free loopback port, with a private
 * configuration in a test's directory: only the {@code lmtp} service, no IMAP or POP3, no TLS, and
 * a userdb that knows only the test's {@link User}s (any other recipient gets Dovecot's {@code 550
 * 5.1.1} at RCPT). Each user's mail lands in {@code DIR/home/ADDRESS/Maildir}. Started by {@link
 * #start}, stopped by its master's PID in {@link #close}; the system's Dovecot, if the package
 * started one, is neither used nor disturbed (its own base_dir and ports).
 *
 * <p>Dovecot's own processes run as the user who starts it. Mail is written as that user too,
 * except under root: Dovecot never accesses mail as UID 0, so root's mail user is {@code nobody}
 * (65534), the homes belong to it, and the test's directory is made traversable by all (mode o+x,
 * g+x).
 */
public final class LoopbackDovecot implements AutoCloseable {

  /** Debian's {@code nobody} and {@code nogroup}: the mail user when the tests run as root. */
  private static final int NOBODY = 65534;

  /** Dovecot's host name: in its LHLO reply and the Received header it adds. */
  public static final String HOSTNAME = "mailstore.test";

  /** How a user's mailbox takes a delivery. */
  public enum Quota {
    /** No quota: every message is saved. */
    NONE(""),
    /** A 1 KB storage quota, permanent when full: a larger message gets {@code 552 5.2.2}. */
    FULL("userdb_quota_rule=*:storage=1K"),
    /** A 1 KB quota, temporary when full ({@code quota_full_tempfail}): {@code 452 4.2.2}. */
    FULL_FOR_NOW("userdb_quota_rule=*:storage=1K userdb_quota_full_tempfail=yes");

    /** The userdb extra fields that make it. */
    private final String fields;

    Quota(String fields) {
      this.fields = fields;
    }
  }

  /** A user Dovecot knows: its address is its user name, the RCPT it takes. */
  public record User(String address, Quota quota) {
    public static User of(String address) {
      return new User(address, Quota.NONE);
    }
  }

  private final Process process;
  private final int port;
  private final Path homes;
  private final Path log;

  private LoopbackDovecot(Process process, int port, Path homes, Path log) {
    this.process = process;
    this.port = port;
    this.homes = homes;
    this.log = log;
  }

  /** Starts Dovecot in a new directory under {@code dir} and waits until it listens. */
  public static LoopbackDovecot start(Path dir, User... users)
      throws IOException, InterruptedException {
    Path bin = Programs.require("dovecot", "dovecot-lmtpd");
    Path home = Files.createTempDirectory(dir, "dovecot-");
    Path homes = Files.createDirectory(home.resolve("home"));
    Path passwd = home.resolve("users");
    // passwd-file: user:password:uid:gid:gecos:home:shell:extra fields; uid, gid and home come
    // from the userdb's default_fields, and the file is the passdb too, so the userdb's extra
    // fields say userdb_.
    Files.writeString(
        passwd,
        Stream.of(users)
            .map(u -> u.address() + ":::::::" + u.quota().fields + "\n")
            .collect(Collectors.joining()));
    UserPrincipal owner = Files.getOwner(passwd);
    String group = Files.readAttributes(passwd, "posix:group").get("group").toString();
    int uid = (Integer) Files.getAttribute(passwd, "unix:uid");
    int gid = (Integer) Files.getAttribute(passwd, "unix:gid");
    if (uid == 0) {
      uid = NOBODY;
      gid = NOBODY;
      Files.setAttribute(homes, "unix:uid", uid);
      Files.setAttribute(homes, "unix:gid", gid);
      for (Path d : List.of(dir, home)) {
        Set<PosixFilePermission> mode = EnumSet.copyOf(Files.getPosixFilePermissions(d));
        // Group too: Dovecot's mail process, as nobody, still counts as group root here (with o+x
        // alone, Dovecot 2.3.19 as root was refused: "missing +x perm ... mode=0701").
        mode.addAll(Set.of(PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE));
        Files.setPosixFilePermissions(d, mode);
      }
    }
    int port = FreePorts.next();
    Path conf = home.resolve("dovecot.conf");
    Path log = home.resolve("dovecot.log");
    Files.writeString(
        conf,
        """
        base_dir = %1$s/run
        state_dir = %1$s/state
        log_path = %2$s
        hostname = %3$s
        protocols = lmtp
        listen = 127.0.0.1
        ssl = no
        default_internal_user = %4$s
        default_internal_group = %5$s
        default_login_user = %4$s
        first_valid_uid = 1
        mail_location = maildir:~/Maildir
        mail_plugins = quota
        plugin {
          quota = maildir
        }
        # Not chrooted: a user other than root cannot chroot.
        service anvil {
          chroot =
        }
        service lmtp {
          inet_listener lmtp {
            address = 127.0.0.1
            port = %6$d
          }
        }
        # No login service runs (protocols = lmtp), so no password is ever checked.
        passdb {
          driver = passwd-file
          args = username_format=%%u %7$s
        }
        userdb {
          driver = passwd-file
          args = username_format=%%u %7$s
          default_fields = uid=%8$d gid=%9$d home=%10$s/%%u
        }
        """
            .formatted(home, log, HOSTNAME, owner.getName(), group, port, passwd, uid, gid, homes));
    ProcessBuilder.Redirect appendToLog = ProcessBuilder.Redirect.appendTo(log.toFile());
    Process p =
        new ProcessBuilder(bin.toString(), "-F", "-c", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(appendToLog)
            .start();
    LoopbackDovecot d = new LoopbackDovecot(p, port, homes, log);
    try {
      d.awaitListening();
    } catch (IOException | InterruptedException | RuntimeException e) {
      d.close();
      throw e;
    }
    return d;
  }

  /** Where its LMTP service listens. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /**
   * The messages Dovecot has saved for {@code address}, as their files hold them (Dovecot's
   * Return-Path and Received first, lines ended by LF alone as Maildir stores them), sorted by
   * their Maildir file names.
   */
  public List<String> delivered(String address) throws IOException {
    Path fresh = homes.resolve(address).resolve("Maildir").resolve("new");
    if (!Files.isDirectory(fresh)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(fresh)) {
      return files.sorted().map(LoopbackDovecot::read).toList();
    }
  }

  /**
   * {@link #delivered} once at least {@code count} messages are saved for {@code address}, waiting
   * up to {@code limit} for them (fewer when the limit passed first).
   */
  public List<String> awaitDelivered(String address, int count, Duration limit)
      throws IOException, InterruptedException {
    SmtpHarness.awaitMessages(
        homes.resolve(address).resolve("Maildir").resolve("new"), count, limit);
    return delivered(address);
  }

  /** Dovecot's log and its output, to show when a test fails. */
  public String log() {
    return read(log);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Until a connection to its port is accepted (the master binds it before it forks), or fails. */
  private void awaitListening() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "dovecot exited with " + process.exitValue() + ":\n" + log());
      }
      try (Socket s = new Socket()) {
        s.connect(address(), 1000);
        return;
      } catch (ConnectException notYet) {
        process.waitFor(20, TimeUnit.MILLISECONDS); // bounded poll of a condition, not ordering
      }
    }
    throw new IllegalStateException("dovecot did not listen:\n" + log());
  }

  /**
   * SIGTERM to the master's PID, which stops its services; SIGKILL if it is still there 10 seconds
   * later, and to any of its processes that outlived it.
   */
  @Override
  public void close() throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }
}

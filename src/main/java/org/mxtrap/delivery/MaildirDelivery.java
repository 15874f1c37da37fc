package org.mxtrap.delivery;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.queue.Directories;
import org.mxtrap.queue.GroupSync;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Final delivery into one Maildir per recipient, {@code ROOT/<domain>/<localpart>/{tmp,new,cur}},
 * created on demand.
 *
 * <h2>Folder names</h2>
 *
 * The domain and the local part are each mapped to one safe directory name by {@link #folderName}:
 * folded to lower case (so {@code Bob@} and {@code bob@} share a Maildir, as users expect, although
 * RFC 5321 lets local parts be case-sensitive), then every UTF-8 octet that is not {@code a-z 0-9 -
 * _ + =} or a dot after the first character becomes {@code %XX} (upper-case hex). So no name
 * contains {@code /}, none is {@code .} or {@code ..} or starts with a dot, and distinct
 * lower-cased names stay distinct. Examples: {@code John.Doe} → {@code john.doe}, {@code .hidden} →
 * {@code %2Ehidden}, {@code a/b} → {@code a%2Fb}, {@code Jürgen} → {@code j%C3%BCrgen}, the empty
 * local part → {@code %}.
 *
 * <h2>Protocol</h2>
 *
 * Each copy is written to {@code tmp/<tmp name>}, fsynced, renamed to {@code new/<copy name>}, and
 * {@code new/} is fsynced; only then is the recipient reported delivered. The rename never replaces
 * a file: it fails if the target exists (checked first, which is enough, as no one but this process
 * makes names with our queue IDs). As Postfix's {@code local} does, the copy gets another name in
 * {@code new/} than it had in {@code tmp/}. Both follow the Maildir specification's {@code
 * <seconds>.<delivery identifier>.<hostname>}, with {@code /} and {@code :} in the host name
 * written as {@code \057} and {@code \072}:
 *
 * <pre>
 * copy name  1748944800.M123456K01JXQ3M5T8000.mail.example.com
 *            the time the message was received (TraceInfo), K and the queue ID
 * tmp name   1748944801.M5P4242Q17K01JXQ3M5T8000.mail.example.com
 *            the time of writing, our process ID and delivery count, K and the queue ID
 * </pre>
 *
 * The copy name is a function of the queue ID alone, so it is the same in every attempt and every
 * process; the queue ID makes it unique, as queue IDs are never issued twice by a spool, across
 * restarts too ({@code queue.QueueIds}). The letter {@code K} is none of the specification's
 * identifier letters. Two recipients that share a Maildir ({@code Bob@} and {@code bob@}) are one
 * mailbox and get one copy.
 *
 * <h2>Delivered once</h2>
 *
 * The queue runner records a delivery after the agent returns: a crash in between (or a failure to
 * record) leaves a message queued whose copy is already in the Maildir. When the caller says an
 * earlier attempt may have delivered ({@link DeliveryAgent.Prior#UNKNOWN}), the copy name is looked
 * for first: in {@code new/}, then in {@code cur/}, where a mail reader moves it to {@code
 * <name>:2,FLAGS} (Dovecot may insert {@code ,S=size} before the colon), so a file whose name is
 * the copy name followed by nothing, {@code :} or {@code ,} counts. {@code new/} is looked at
 * first, so a copy moving from {@code new/} to {@code cur/} meanwhile is found in one or the other.
 * A copy found is made durable (its directory fsynced: the process that wrote it may have died
 * before its {@code new/} fsync) and reported delivered, and the caller completes its bookkeeping.
 * A copy the user already deleted cannot be found and is delivered again.
 *
 * <p>Looking costs a stat and a listing of {@code cur/}, which can hold thousands of messages, so
 * it is done only when asked: the queue runner asks for messages recovered at start and after an
 * attempt that did not end with its outcome recorded; delivery in session, whose queue ID is brand
 * new, and a first attempt from the queue of a message received by this process do not ask (see
 * {@link QueueRunner}). When a delivery that did not ask finds its copy name taken (only possible
 * if the guarantee on queue IDs was broken, e.g. {@code queue/} deleted while the clock went back),
 * it writes the copy under a name of the unique kind {@code 1748944801.M5P4242Q18.mail.example.com}
 * and logs a warning: a duplicate rather than a loss.
 *
 * <p>A {@link RecipientResult.Deferred} leaves no copy: if anything fails after the rename into
 * {@code new/} (its fsync), the copy is unlinked again before the recipient is deferred.
 *
 * <h2>tmp/ cleanup</h2>
 *
 * A crash leaves files in {@code tmp/}. {@link #cleanTmp()}, run at start and every {@link
 * #TMP_SWEEP_INTERVAL}, removes from the {@code tmp/} of every Maildir under the root: (1) a file
 * of ours written by another process (the tmp name above, with our host name and another process
 * ID): only one process delivers here at a time (the one that holds the spool's lock), so it is
 * debris whatever its age; (2) any other regular file, whoever wrote it (Dovecot's deliver or IMAP
 * APPEND may write into the same {@code tmp/}), untouched for {@link #TMP_MAX_AGE}, the 36 hours
 * the Maildir specification allows: its modification, access and status-change (ctime) times are
 * all older. Nothing else is touched: not {@code new/} or {@code cur/}, not directories, not
 * folders inside a Maildir (Dovecot cleans its own).
 *
 * <h2>Content</h2>
 *
 * A copy starts with {@code Return-Path:} (RFC 5321 4.4, final delivery) and our {@code Received:}
 * header ({@link ReceivedHeader}, naming the copy's one recipient), then the message as received.
 * Line ends are stored as LF, the Maildir convention that mail readers expect; a CR not followed by
 * LF is kept.
 *
 * <h2>Domains</h2>
 *
 * Only recipients in {@code localDomains} are delivered; any other recipient (only DSNs to remote
 * senders get here, since the SMTP server accepts mail for our domains only) is deferred with
 * {@code 4.4.4}: this version has no outbound relay, so the queue runner keeps it until it expires.
 */
public final class MaildirDelivery implements DeliveryAgent {
  private static final Logger log = LoggerFactory.getLogger("delivery");

  static final String RELAY = "maildir";

  /** A file in {@code tmp/} untouched this long is debris, whoever wrote it. */
  public static final Duration TMP_MAX_AGE = Duration.ofHours(36);

  /** How often {@link #cleanTmp()} should run (Dovecot's {@code MAILDIR_TMP_SCAN_SECS} too). */
  public static final Duration TMP_SWEEP_INTERVAL = Duration.ofHours(8);

  // Most mail fits in one write; a larger buffer is mostly zeroed memory allocated per copy.
  private static final int COPY_BUFFER = 16 * 1024;

  private final Path root;
  private final String hostname;
  private final String nameHost;
  private final Set<String> localDomains;
  private final Clock clock;
  private final String pid;
  private final Pattern ourTmpName;
  private final AtomicLong counter = new AtomicLong();
  // Concurrent deliveries into one Maildir share the fsync of its new/ directory.
  private final GroupSync newSync = new GroupSync(false);
  // Maildirs created (durably) or found by this instance; a Maildir removed behind our back
  // makes the delivery fail with a temporary error, and the next attempt creates it again.
  private final Set<Path> known = ConcurrentHashMap.newKeySet();

  /**
   * @param root {@code DATA_DIR/mail}
   * @param hostname our host name, for Received headers and unique file names
   * @param localDomains the domains delivered here (the config's {@code domains})
   */
  public MaildirDelivery(Path root, String hostname, Collection<String> localDomains) {
    this(root, hostname, localDomains, Clock.systemUTC(), ProcessHandle.current().pid());
  }

  /**
   * For tests: a fixed clock and process ID make file names predictable; the clock also decides
   * what {@link #cleanTmp()} finds old.
   */
  public MaildirDelivery(
      Path root, String hostname, Collection<String> localDomains, Clock clock, long pid) {
    this.root = root;
    this.hostname = hostname;
    this.nameHost = hostname.replace("/", "\\057").replace(":", "\\072");
    this.localDomains =
        localDomains.stream()
            .map(d -> d.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
    this.clock = clock;
    this.pid = Long.toString(pid);
    this.ourTmpName =
        Pattern.compile("[0-9]+\\.M[0-9]+P([0-9]+)Q[0-9]+K[0-9A-Z]+\\." + Pattern.quote(nameHost));
  }

  @Override
  public List<RecipientResult> deliver(Delivery d) {
    List<RecipientResult> results = new ArrayList<>(d.recipients().size());
    List<Path> served = new ArrayList<>(d.recipients().size());
    for (ForwardPath rcpt : d.recipients()) {
      results.add(deliverOne(d, rcpt, served));
    }
    return results;
  }

  private RecipientResult deliverOne(Delivery d, ForwardPath rcpt, List<Path> served) {
    Mailbox mb = rcpt.mailbox();
    if (!localDomains.contains(mb.domain())) {
      return new RecipientResult.Deferred(
          rcpt,
          RELAY,
          EnhancedStatus.TEMP_UNABLE_TO_ROUTE,
          "domain " + mb.domain() + " is not local and no relay is configured");
    }
    Path maildir = maildir(mb);
    if (served.contains(maildir)) {
      return delivered(rcpt, "delivered to maildir (the mailbox of an earlier recipient)");
    }
    RecipientResult r = copy(d, rcpt, maildir);
    if (r instanceof RecipientResult.Delivered) {
      served.add(maildir);
    }
    return r;
  }

  /** Puts one copy into {@code maildir}, or finds the one an earlier attempt put there. */
  private RecipientResult copy(Delivery d, ForwardPath rcpt, Path maildir) {
    Path tmpFile = null;
    Path newFile = null;
    try {
      if (!known.contains(maildir)) {
        Directories.createDurably(maildir.resolve("tmp"));
        Directories.createDurably(maildir.resolve("new"));
        Directories.createDurably(maildir.resolve("cur"));
        known.add(maildir);
      }
      String name = copyName(d);
      if (d.prior() == Prior.UNKNOWN) {
        Path found = findCopy(maildir, name);
        if (found != null) {
          // Its writer may have died between the rename and the fsync of new/.
          Path dir = Objects.requireNonNull(found.getParent());
          if (dir.endsWith("new")) {
            newSync.sync(dir);
          } else {
            Directories.sync(dir);
          }
          return delivered(
              rcpt,
              "delivered to maildir (by an earlier attempt: "
                  + dir.getFileName()
                  + "/"
                  + found.getFileName()
                  + ")");
        }
      }
      Instant now = clock.instant();
      long n = counter.incrementAndGet();
      tmpFile = maildir.resolve("tmp").resolve(tmpName(now, n, d.queueId()));
      try (FileChannel ch =
          FileChannel.open(tmpFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out =
            new LfLineEnds(new BufferedOutputStream(Channels.newOutputStream(ch), COPY_BUFFER));
        out.write(
            ReceivedHeader.returnPath(d.envelope().reversePath()).getBytes(StandardCharsets.UTF_8));
        out.write(
            ReceivedHeader.of(d.trace(), hostname, d.queueId(), rcpt)
                .getBytes(StandardCharsets.UTF_8));
        try (InputStream in = d.content().open()) {
          in.transferTo(out);
        }
        out.flush();
        ch.force(true);
      }
      Path target = maildir.resolve("new").resolve(name);
      try {
        Files.move(tmpFile, target); // never replaces: fails if the target exists
      } catch (FileAlreadyExistsException taken) {
        Path unique = maildir.resolve("new").resolve(uniqueName(now, n));
        log.warn(
            "{}: {} exists although this queue ID was never delivered here: a queue ID issued"
                + " twice? Writing the copy as {} instead",
            d.queueId(),
            target,
            unique.getFileName());
        target = unique;
        Files.move(tmpFile, target);
      }
      tmpFile = null;
      newFile = target;
      newSync.sync(Objects.requireNonNull(target.getParent()));
      return delivered(rcpt, "delivered to maildir");
    } catch (IOException | RuntimeException e) {
      known.remove(maildir);
      // A deferred recipient is tried again: leave no copy that a later attempt could repeat.
      deleteQuietly(tmpFile);
      deleteQuietly(newFile);
      boolean full = String.valueOf(e.getMessage()).contains("No space left");
      return new RecipientResult.Deferred(
          rcpt,
          RELAY,
          full ? EnhancedStatus.TEMP_SYSTEM_FULL : EnhancedStatus.TEMP_SYSTEM,
          "cannot write maildir " + maildir + ": " + e);
    }
  }

  private static RecipientResult delivered(ForwardPath rcpt, String text) {
    return new RecipientResult.Delivered(rcpt, RELAY, EnhancedStatus.DELIVERED, text);
  }

  private static void deleteQuietly(@Nullable Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // in tmp/, cleanTmp() removes it later; in new/, a later attempt that looks finds it
    }
  }

  /**
   * The copy named {@code name} in {@code new/}, or in {@code cur/} as a mail reader renamed it;
   * null if there is none.
   */
  private static @Nullable Path findCopy(Path maildir, String name) throws IOException {
    Path inNew = maildir.resolve("new").resolve(name);
    if (Files.exists(inNew, LinkOption.NOFOLLOW_LINKS)) {
      return inNew;
    }
    try (DirectoryStream<Path> cur = Files.newDirectoryStream(maildir.resolve("cur"))) {
      for (Path p : cur) {
        if (isCopy(p.getFileName().toString(), name)) {
          return p;
        }
      }
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
    }
    return null;
  }

  /** True if {@code file} in {@code cur/} is the copy named {@code name}; see the class comment. */
  static boolean isCopy(String file, String name) {
    if (!file.startsWith(name)) {
      return false;
    }
    if (file.length() == name.length()) {
      return true;
    }
    char next = file.charAt(name.length());
    return next == ':' || next == ',';
  }

  /** The name of this message's copy in {@code new/}, the same in every attempt. */
  String copyName(Delivery d) {
    Instant received = d.trace().received();
    return received.getEpochSecond()
        + ".M"
        + received.getNano() / 1000
        + "K"
        + d.queueId()
        + "."
        + nameHost;
  }

  private String tmpName(Instant now, long n, String queueId) {
    return stem(now, n) + "K" + queueId + "." + nameHost;
  }

  private String uniqueName(Instant now, long n) {
    return stem(now, n) + "." + nameHost;
  }

  /** {@code <seconds>.M<microseconds>P<pid>Q<n>}: unique to this process and moment. */
  private String stem(Instant now, long n) {
    return now.getEpochSecond() + ".M" + now.getNano() / 1000 + "P" + pid + "Q" + n;
  }

  /**
   * Removes what interrupted deliveries left in the {@code tmp/} directories of the Maildirs under
   * the root, as the class comment says: files of ours written by another process, and any file
   * untouched for {@link #TMP_MAX_AGE}. Safe while deliveries run. For a background task: logs what
   * it cannot read or remove, goes on, and never throws.
   *
   * @return the number of files removed
   */
  public int cleanTmp() {
    Instant staleBefore = clock.instant().minus(TMP_MAX_AGE);
    int removed = 0;
    if (!Files.isDirectory(root)) {
      return 0;
    }
    try (DirectoryStream<Path> domains = Files.newDirectoryStream(root)) {
      for (Path domain : domains) {
        if (!Files.isDirectory(domain, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try (DirectoryStream<Path> mailboxes = Files.newDirectoryStream(domain)) {
          for (Path mailbox : mailboxes) {
            Path tmp = mailbox.resolve("tmp");
            if (Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
              removed += cleanTmp(tmp, staleBefore);
            }
          }
        } catch (IOException | DirectoryIteratorException e) {
          log.warn("tmp/ cleanup: cannot list {}: {}", domain, e.toString());
        }
      }
    } catch (IOException | RuntimeException e) {
      // a periodic task that throws is never run again: log and go on
      log.warn("tmp/ cleanup: cannot list {}: {}", root, e.toString());
    }
    if (removed > 0) {
      log.info("tmp/ cleanup: removed {} file(s) left by interrupted deliveries", removed);
    }
    return removed;
  }

  private int cleanTmp(Path tmp, Instant staleBefore) {
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(tmp)) {
      for (Path f : files) {
        try {
          if (isDebris(f, staleBefore)) {
            Files.deleteIfExists(f);
            removed++;
            log.debug("tmp/ cleanup: removed {}", f);
          }
        } catch (NoSuchFileException gone) {
          // renamed into new/ or removed by its writer meanwhile
        } catch (IOException e) {
          log.warn("tmp/ cleanup: cannot remove {}: {}", f, e.toString());
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      log.warn("tmp/ cleanup: cannot list {}: {}", tmp, e.toString());
    }
    return removed;
  }

  private boolean isDebris(Path f, Instant staleBefore) throws IOException {
    // One stat: the unix view has ctime, which no one can set back (Dovecot ages tmp/ files by it).
    Map<String, Object> a =
        Files.readAttributes(
            f,
            "unix:isRegularFile,lastModifiedTime,lastAccessTime,ctime",
            LinkOption.NOFOLLOW_LINKS);
    if (!Boolean.TRUE.equals(a.get("isRegularFile"))) {
      return false;
    }
    Matcher m = ourTmpName.matcher(f.getFileName().toString());
    if (m.matches() && !m.group(1).equals(pid)) {
      return true; // ours, by a process that is gone
    }
    Instant touched = Instant.MIN;
    for (String time : List.of("lastModifiedTime", "lastAccessTime", "ctime")) {
      Instant t = ((FileTime) Objects.requireNonNull(a.get(time))).toInstant();
      if (t.isAfter(touched)) {
        touched = t;
      }
    }
    return touched.isBefore(staleBefore);
  }

  /** The Maildir of a mailbox under the root. */
  Path maildir(Mailbox mb) {
    return root.resolve(folderName(mb.domain())).resolve(folderName(mb.localPart()));
  }

  /** The safe directory name for a domain or local part; see the class comment. */
  static String folderName(String s) {
    if (s.isEmpty()) {
      return "%";
    }
    StringBuilder b = new StringBuilder(s.length());
    byte[] octets = s.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < octets.length; i++) {
      int c = octets[i] & 0xff;
      boolean plain =
          (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '+'
              || c == '='
              || (c == '.' && i > 0);
      if (plain) {
        b.append((char) c);
      } else {
        b.append('%').append(String.format(Locale.ROOT, "%02X", c));
      }
    }
    return b.toString();
  }

  /** Rewrites CRLF as LF on the way through. */
  private static final class LfLineEnds extends FilterOutputStream {
    private boolean pendingCr;

    LfLineEnds(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      if (pendingCr) {
        pendingCr = false;
        if (b == '\n') {
          out.write('\n');
          return;
        }
        out.write('\r');
      }
      if (b == '\r') {
        pendingCr = true;
      } else {
        out.write(b);
      }
    }

    /** Copies runs without CR in one write each; only CRs go through {@link #write(int)}. */
    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int end = off + len;
      int run = off;
      for (int i = off; i < end; i++) {
        if (b[i] == '\r' || (pendingCr && i == run)) {
          if (i > run) {
            out.write(b, run, i - run);
          }
          write(b[i]);
          run = i + 1;
        }
      }
      if (end > run) {
        out.write(b, run, end - run);
      }
    }

    @Override
    public void flush() throws IOException {
      if (pendingCr) {
        out.write('\r'); // only at the very end: the message ended in a lone CR
        pendingCr = false;
      }
      out.flush();
    }
  }
}

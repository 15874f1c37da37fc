package org.mxtrap.delivery;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.Mailbox;
import org.mxtrap.queue.Directories;
import org.mxtrap.queue.GroupSync;

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
 * Each copy is written to {@code tmp/<unique>}, fsynced, renamed to {@code new/<unique>}, and
 * {@code new/} is fsynced; only then is the recipient reported delivered. Unique names follow the
 * Maildir specification: {@code <seconds>.M<microseconds>P<pid>Q<counter>.<hostname>} with {@code
 * /} and {@code :} in the host name written as {@code \057} and {@code \072}.
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
  static final String RELAY = "maildir";
  // Most mail fits in one write; a larger buffer is mostly zeroed memory allocated per copy.
  private static final int COPY_BUFFER = 16 * 1024;

  private final Path root;
  private final String hostname;
  private final Set<String> localDomains;
  private final Clock clock;
  private final String uniqueSuffix;
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

  /** For tests: a fixed clock and process ID make file names predictable. */
  public MaildirDelivery(
      Path root, String hostname, Collection<String> localDomains, Clock clock, long pid) {
    this.root = root;
    this.hostname = hostname;
    this.localDomains =
        localDomains.stream()
            .map(d -> d.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
    this.clock = clock;
    this.uniqueSuffix = "P" + pid + "Q";
  }

  @Override
  public List<RecipientResult> deliver(Delivery d) {
    List<RecipientResult> results = new ArrayList<>(d.recipients().size());
    for (ForwardPath rcpt : d.recipients()) {
      results.add(deliverOne(d, rcpt));
    }
    return results;
  }

  private RecipientResult deliverOne(Delivery d, ForwardPath rcpt) {
    Mailbox mb = rcpt.mailbox();
    if (!localDomains.contains(mb.domain())) {
      return new RecipientResult.Deferred(
          rcpt,
          RELAY,
          EnhancedStatus.TEMP_UNABLE_TO_ROUTE,
          "domain " + mb.domain() + " is not local and no relay is configured");
    }
    Path maildir = maildir(mb);
    Path tmpFile = null;
    try {
      if (!known.contains(maildir)) {
        Directories.createDurably(maildir.resolve("tmp"));
        Directories.createDurably(maildir.resolve("new"));
        Directories.createDurably(maildir.resolve("cur"));
        known.add(maildir);
      }
      String name = uniqueName();
      tmpFile = maildir.resolve("tmp").resolve(name);
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
      Files.move(tmpFile, maildir.resolve("new").resolve(name), StandardCopyOption.ATOMIC_MOVE);
      tmpFile = null;
      newSync.sync(maildir.resolve("new"));
      return new RecipientResult.Delivered(
          rcpt, RELAY, EnhancedStatus.DELIVERED, "delivered to maildir");
    } catch (IOException | RuntimeException e) {
      known.remove(maildir);
      if (tmpFile != null) {
        try {
          Files.deleteIfExists(tmpFile);
        } catch (IOException ignored) {
          // the Maildir reader ignores tmp/; a later cleanup may remove it
        }
      }
      boolean full = String.valueOf(e.getMessage()).contains("No space left");
      return new RecipientResult.Deferred(
          rcpt,
          RELAY,
          full ? EnhancedStatus.TEMP_SYSTEM_FULL : EnhancedStatus.TEMP_SYSTEM,
          "cannot write maildir " + maildir + ": " + e);
    }
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

  private String uniqueName() {
    Instant now = clock.instant();
    long micros = now.getNano() / 1000;
    return now.getEpochSecond()
        + ".M"
        + micros
        + uniqueSuffix
        + counter.incrementAndGet()
        + "."
        + hostname.replace("/", "\\057").replace(":", "\\072");
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

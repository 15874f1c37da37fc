package org.mxtrap.delivery;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException;
import org.mxtrap.config.RecipientFile;
import org.mxtrap.config.RecipientSettings;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.Mailboxes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code recipients.mode: list}: the mailboxes listed in {@code recipients.file} (syntax: {@link
 * RecipientFile}) exist, and every local part of a catch-all {@code @domain} line; so does {@code
 * postmaster} of every domain, listed or not (RFC 5321 4.5.1 requires it). Nothing else does.
 *
 * <p><b>Matching.</b> A mailbox is compared as {@link MaildirDelivery} names its Maildir ({@link
 * MaildirDelivery#folderName}): case-insensitively, and without the quotes of a quoted local part
 * (which {@link Mailbox} never holds). So {@code Bob@}, {@code bob@} and {@code "bob"@} are one
 * mailbox, exactly as they are one Maildir, and a listed address can never be told apart from a
 * spelling that lands in its Maildir.
 *
 * <p><b>Reloading.</b> The file is loaded by {@link #open} (which fails when it cannot be read or
 * has a refused line) and reloaded when it changes: at most once per {@link #CHECK_EVERY} of the
 * injected clock, the lookup that finds the check due stats the file (modification time, size and
 * file key, so an atomic rename is seen too). Every other lookup meanwhile answers from the list in
 * memory without waiting, so the file system is touched by one lookup a second at most. A changed
 * file is read once it has stayed the same from one check to the next, and taken only if it did not
 * change while being read: a file that is being written (truncated, half full) would refuse good
 * recipients with a permanent 550, so it is never read half-way unless its writer stalls for longer
 * than a check interval. So a change takes effect within two seconds of the last write, at the
 * first lookups after them (no lookups, no checks). A file that cannot be read, or has a refused
 * line, at a reload keeps the last good list in use and logs one WARN (again only when what is
 * wrong changes); it is not read again until it changes. To change the file in one step, write a
 * new one and rename it over the old.
 *
 * <p>Never throws from {@link #lookup}; thread-safe.
 */
public final class RecipientList implements Mailboxes {
  private static final Logger log = LoggerFactory.getLogger("delivery");

  /** How often a lookup may check whether the file changed. */
  static final Duration CHECK_EVERY = Duration.ofSeconds(1);

  /** The key of the problems {@link #open} reports. */
  private static final String KEY = "recipients.file";

  private static final String POSTMASTER = "postmaster";

  /** What the file listed at one moment, in the form lookups compare. */
  private record Listed(Set<String> mailboxes, Set<String> domains) {
    int size() {
      return mailboxes.size() + domains.size();
    }
  }

  /** What a stat of the file says; equal stamps mean an unchanged file. */
  private record Stamp(FileTime modified, long size, @Nullable Object fileKey) {}

  private final Path file;
  private final List<String> accepted;
  private final Clock clock;
  private volatile Listed listed;
  private volatile long nextCheckMillis;
  private final AtomicBoolean checking = new AtomicBoolean();
  // Touched only by the thread that holds `checking`.
  private @Nullable Stamp loaded;
  private @Nullable Stamp changed; // a stamp seen at the last check, neither loaded nor refused
  private @Nullable String lastWarning;

  private RecipientList(
      Path file, List<String> accepted, Clock clock, Listed listed, Stamp loaded) {
    this.file = file;
    this.accepted = List.copyOf(accepted);
    this.clock = clock;
    this.listed = listed;
    this.loaded = loaded;
    this.nextCheckMillis = clock.millis() + CHECK_EVERY.toMillis();
  }

  /**
   * The mailboxes of {@code settings}: {@link Mailboxes#ANY} for mode any, the list of its file for
   * mode list. The wiring's one call for those modes (verify: {@link RecipientVerifier}).
   *
   * @param domains the config's {@code domains}: the file's addresses must be in them
   * @param clock paces the checks for a changed file
   * @throws ConfigException when the file cannot be read or has refused lines (each at its line)
   */
  public static Mailboxes of(RecipientSettings settings, List<String> domains, Clock clock)
      throws ConfigException {
    return switch (settings.mode()) {
      case ANY -> Mailboxes.ANY;
      case LIST -> {
        Path file = settings.file();
        if (file == null) {
          throw new IllegalArgumentException("mode list without a file");
        }
        yield open(file, domains, clock);
      }
      case VERIFY ->
          throw new IllegalArgumentException(
              "mode verify asks the next hop: a RecipientVerifier, made with the delivery agent");
    };
  }

  /**
   * Loads {@code file}.
   *
   * @param accepted the config's {@code domains}: the file's addresses must be in them
   * @throws ConfigException when it cannot be read or has refused lines (each at its line)
   */
  static RecipientList open(Path file, List<String> accepted, Clock clock) throws ConfigException {
    Stamp stamp;
    RecipientFile.Contents contents;
    try {
      stamp = stamp(file);
      contents = RecipientFile.read(file, accepted);
    } catch (IOException e) {
      throw new ConfigException(
          List.of(new ConfigException.Problem(file.toString(), 0, KEY, reason(e))));
    }
    if (!contents.bad().isEmpty()) {
      throw new ConfigException(
          contents.bad().stream()
              .map(b -> new ConfigException.Problem(file.toString(), b.line(), KEY, b.message()))
              .toList());
    }
    Listed listed = listed(contents);
    log.info(
        "recipients: {} addresses and {} catch-all domains from {}",
        listed.mailboxes().size(),
        listed.domains().size(),
        file);
    if (listed.size() == 0) {
      log.warn("recipients: {} lists no mailbox: only postmaster will be accepted", file);
    }
    return new RecipientList(file, accepted, clock, listed, stamp);
  }

  @Override
  public Answer lookup(Mailbox mailbox) {
    long now = clock.millis();
    if (now >= nextCheckMillis && checking.compareAndSet(false, true)) {
      try {
        nextCheckMillis = now + CHECK_EVERY.toMillis();
        reloadIfChanged();
      } catch (RuntimeException e) {
        log.error("recipients: checking {} failed; keeping the list in use", file, e);
      } finally {
        checking.set(false);
      }
    }
    String local = MaildirDelivery.folderName(mailbox.localPart());
    if (local.equals(POSTMASTER)) {
      return Answer.EXISTS;
    }
    String domain = MaildirDelivery.folderName(mailbox.domain());
    Listed l = listed;
    return l.domains().contains(domain) || l.mailboxes().contains(local + "@" + domain)
        ? Answer.EXISTS
        : Answer.UNKNOWN;
  }

  private void reloadIfChanged() {
    Stamp stamp;
    try {
      stamp = stamp(file);
    } catch (IOException e) {
      loaded = null; // read it again once it is back, even unchanged
      warn("cannot read " + file + ": " + reason(e));
      return;
    }
    if (stamp.equals(loaded)) {
      changed = null;
      return;
    }
    if (!stamp.equals(changed)) {
      changed = stamp; // still being written, perhaps: read it once it stays so for a check
      return;
    }
    RecipientFile.Contents contents;
    Stamp after;
    try {
      contents = RecipientFile.read(file, accepted);
      after = stamp(file);
    } catch (IOException e) {
      loaded = null;
      warn("cannot read " + file + ": " + reason(e));
      return;
    }
    if (!after.equals(stamp)) {
      changed = after; // written while we read it
      return;
    }
    loaded = stamp; // read: good or refused, not read again until it changes
    changed = null;
    if (!contents.bad().isEmpty()) {
      RecipientFile.BadLine first = contents.bad().get(0);
      warn(
          file
              + ":"
              + first.line()
              + ": "
              + first.message()
              + (contents.bad().size() > 1
                  ? " (and " + (contents.bad().size() - 1) + " more refused lines)"
                  : ""));
      return;
    }
    Listed fresh = listed(contents);
    listed = fresh;
    lastWarning = null;
    log.info(
        "recipients: reloaded {}: {} addresses and {} catch-all domains",
        file,
        fresh.mailboxes().size(),
        fresh.domains().size());
  }

  private void warn(String problem) {
    if (!problem.equals(lastWarning)) {
      lastWarning = problem;
      Listed l = listed;
      log.warn(
          "recipients: {}; keeping the last good list ({} addresses, {} catch-all domains)",
          problem,
          l.mailboxes().size(),
          l.domains().size());
    }
  }

  private static Listed listed(RecipientFile.Contents contents) {
    Set<String> mailboxes = new HashSet<>();
    for (Mailbox m : contents.mailboxes()) {
      mailboxes.add(
          MaildirDelivery.folderName(m.localPart()) + "@" + MaildirDelivery.folderName(m.domain()));
    }
    Set<String> domains = new HashSet<>();
    for (String d : contents.domains()) {
      domains.add(MaildirDelivery.folderName(d));
    }
    return new Listed(Set.copyOf(mailboxes), Set.copyOf(domains));
  }

  private static Stamp stamp(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    if (!a.isRegularFile()) {
      throw new IOException("not a regular file");
    }
    return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
  }

  private static String reason(IOException e) {
    if (e instanceof CharacterCodingException) {
      return "not UTF-8 text";
    }
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}

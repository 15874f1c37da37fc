package org.mxtrap.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.mxtrap.admin.SuppressionExport;
import org.mxtrap.admin.Suppressions;
import org.mxtrap.config.Durations;
import org.mxtrap.config.ExportSettings;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code export.file} current: a listener of the events that change the set of active
 * suppressions ({@link Event.Suppressed}, {@link Event.SuppressionsExpired}, {@link
 * Event.SuppressionRemoved}) that writes the file and then runs {@code export.on_change}. The first
 * change after a quiet {@code debounce} is written at once; later ones wait until {@code debounce}
 * after the last write, and are written together: at most one write per {@code debounce}, and every
 * change is in the file within {@code debounce} (plus the time a write and its command take).
 *
 * <p>Not seen here: suppressions another host adds to a shared store, and those a state import
 * restores (no event); the next change here writes them.
 *
 * <p>Lifecycle: construct, {@link #start} once, {@link #close} once. {@link #on} is quick and may
 * be called from any thread; the writes and commands run one at a time on the {@link Timer}'s
 * thread, which catches, logs and goes on.
 */
final class ExportFile implements Events, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("master");

  /** How much of a command's output the log shows when it fails. */
  static final int OUTPUT_SHOWN = 2000;

  /** Runs tasks later, one at a time, on a thread of its own. */
  interface Timer extends AutoCloseable {
    void schedule(Runnable task, Duration delay);

    /** Stops: a task running is interrupted, those waiting never run. */
    @Override
    void close();

    /** A timer on one daemon thread of its own. */
    static Timer thread() {
      ScheduledExecutorService s =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().name("export").daemon(true).unstarted(r));
      return new Timer() {
        @Override
        public void schedule(Runnable task, Duration delay) {
          s.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
          s.shutdownNow();
        }
      };
    }
  }

  private final ExportSettings settings;
  private final Clock clock;
  // Both null until start: the export at start covers every change before it.
  private volatile @Nullable Timer timer;
  private volatile @Nullable Suppressions source;
  // An export is scheduled and has not begun: a change now is written by it.
  private final AtomicBoolean pending = new AtomicBoolean();
  // When the latest export began; set before pending is cleared, so a change that finds nothing
  // pending sees when the next export may begin.
  private volatile Instant lastExport = Instant.MIN;

  ExportFile(ExportSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * Writes the file now, and from now on after every change, from {@code active}, on {@code
   * timer}'s thread; {@link #close} closes {@code timer}.
   */
  void start(Suppressions active, Timer timer) {
    this.timer = timer;
    source = active;
    pending.set(true);
    timer.schedule(this::export, Duration.ZERO);
  }

  @Override
  public void on(Event e) {
    if ((e instanceof Event.Suppressed
            || e instanceof Event.SuppressionsExpired
            || e instanceof Event.SuppressionRemoved)
        && source != null
        && pending.compareAndSet(false, true)) {
      Duration wait = Duration.between(clock.instant(), lastExport.plus(settings.debounce()));
      Objects.requireNonNull(timer, "set before source")
          .schedule(this::export, wait.isNegative() ? Duration.ZERO : wait);
    }
  }

  @Override
  public void close() {
    Timer t = timer;
    if (t != null) {
      t.close();
    }
  }

  /** One export: the file, then the command. */
  private void export() {
    Suppressions active = source;
    if (active == null) {
      return;
    }
    Instant now = clock.instant();
    lastExport = now;
    pending.set(false);
    List<Suppressions.Entry> entries;
    try {
      entries = active.active(now);
      write(settings.file(), SuppressionExport.render(settings.format(), entries, now));
    } catch (IOException | RuntimeException e) {
      log.warn(
          "export: cannot write {}: {}; the next change tries again",
          settings.file(),
          e.toString());
      return;
    }
    log.info("export: {} active suppression(s) written to {}", entries.size(), settings.file());
    if (!settings.onChange().isEmpty()) {
      run(settings.onChange(), settings.onChangeTimeout());
    }
  }

  /**
   * Replaces {@code file} with {@code text} (UTF-8) in one step: written aside in the same
   * directory, then renamed over it, so a reader sees the old file or the new one, never part of
   * one. Mode 0644: the tools that read it (rbldnsd, a firewall loader) run as other users.
   */
  static void write(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path aside =
        Files.createTempFile(
            dir,
            "." + file.getFileName() + ".",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
    try {
      Files.writeString(aside, text, StandardCharsets.UTF_8);
      Files.move(aside, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(aside);
    }
  }

  /**
   * Runs {@code argv} (no shell), input from /dev/null, and logs how it ended: its exit status, and
   * the start of its output when it failed. Killed, with what it started, after {@code timeout}.
   */
  static void run(List<String> argv, Duration timeout) {
    String command = String.join(" ", argv);
    long started = System.nanoTime();
    Process p;
    try {
      p =
          new ProcessBuilder(argv)
              .redirectInput(Redirect.from(Path.of("/dev/null").toFile()))
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      log.warn("export: on_change {} could not start: {}", command, e.getMessage());
      return;
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = Thread.ofVirtual().start(() -> keepStart(p.getInputStream(), output));
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        log.warn(
            "export: on_change {} still ran after {}: killed", command, Durations.format(timeout));
        return;
      }
      reader.join(Duration.ofSeconds(1)); // a child it left behind may hold its output open
    } catch (InterruptedException e) {
      kill(p); // mxtrap is stopping
      Thread.currentThread().interrupt();
      return;
    }
    long ms = (System.nanoTime() - started) / 1_000_000;
    if (p.exitValue() == 0) {
      log.info("export: on_change {} exited 0 after {} ms", command, ms);
    } else {
      String shown;
      synchronized (output) {
        shown = output.toString(StandardCharsets.UTF_8).strip();
      }
      log.warn(
          "export: on_change {} exited {} after {} ms{}",
          command,
          p.exitValue(),
          ms,
          shown.isEmpty() ? "" : ": " + shown);
    }
  }

  /** Keeps the first {@link #OUTPUT_SHOWN} bytes of {@code in} in {@code out}, drains the rest. */
  private static void keepStart(InputStream in, ByteArrayOutputStream out) {
    byte[] buf = new byte[4096];
    try (in) {
      for (int n; (n = in.read(buf)) > 0; ) {
        synchronized (out) {
          out.write(buf, 0, Math.max(0, Math.min(n, OUTPUT_SHOWN - out.size())));
        }
      }
    } catch (IOException e) {
      // the process is gone, or was killed: what was read is what there is
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }
}

package org.mxtrap.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.admin.Suppressions;
import org.mxtrap.config.ExportSettings;
import org.mxtrap.config.ExportSettings.Format;
import org.mxtrap.core.Cidr;
import org.mxtrap.observe.Event;
import org.mxtrap.testing.FakeClock;

/** When the export file is written and its command run: at start, and debounced after changes. */
class ExportFileTest {
  static final Duration DEBOUNCE = Duration.ofSeconds(5);

  @TempDir Path dir;
  final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
  final FakeTimer timer = new FakeTimer();
  final FakeSuppressions store = new FakeSuppressions();

  /** Records what is scheduled; the test runs it. */
  static final class FakeTimer implements ExportFile.Timer {
    final List<Duration> delays = new ArrayList<>();
    final List<Runnable> tasks = new ArrayList<>();
    boolean closed;

    @Override
    public void schedule(Runnable task, Duration delay) {
      delays.add(delay);
      tasks.add(task);
    }

    /** Runs the task scheduled last. */
    void runLast() {
      tasks.getLast().run();
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** Only {@link #active} is asked by the export. */
  static final class FakeSuppressions implements Suppressions {
    final List<Entry> entries = new ArrayList<>();

    void add(String prefix, Instant now) {
      entries.add(Entry.of(Cidr.parse(prefix), now, now.plusSeconds(3600), "mx-skip", 1, "e"));
    }

    @Override
    public List<Entry> active(Instant now) {
      return List.copyOf(entries);
    }

    @Override
    public Optional<Entry> find(InetAddress address, Instant now) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<Entry> history(InetAddress address) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Entry add(Cidr prefix, Instant now, Duration duration, String reason, String evidence) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean remove(Cidr prefix, Instant now) {
      throw new UnsupportedOperationException();
    }
  }

  ExportFile export(List<String> onChange) {
    return new ExportFile(
        new ExportSettings(
            Format.CSV, dir.resolve("out/trapped.csv"), onChange, Duration.ofSeconds(10), DEBOUNCE),
        clock);
  }

  static Event suppressed(String prefix) {
    return new Event.Suppressed(Cidr.parse(prefix), Instant.MAX, 1, "mx-skip");
  }

  @Test
  void startWritesTheFileAtOnceAndRunsTheCommandAfterIt() throws Exception {
    store.add("192.0.2.7", clock.instant());
    Path runs = dir.resolve("runs");
    ExportFile e =
        export(
            List.of(
                "sh",
                "-c",
                "cat \"$0\" >> \"$1\"",
                dir.resolve("out/trapped.csv").toString(),
                runs.toString()));
    e.start(store, timer);
    assertThat(timer.delays).containsExactly(Duration.ZERO);
    timer.runLast();
    String csv = Files.readString(dir.resolve("out/trapped.csv"));
    assertThat(csv).startsWith("address,").contains("192.0.2.7,");
    assertThat(Files.readString(runs)).as("the command saw the file written").isEqualTo(csv);
    assertThat(Files.getPosixFilePermissions(dir.resolve("out/trapped.csv")))
        .isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
    try (var left = Files.list(dir.resolve("out"))) {
      assertThat(left).as("no temporary file left").hasSize(1);
    }
    e.close();
    assertThat(timer.closed).isTrue();
  }

  @Test
  void changesAreWrittenAtMostOncePerDebounce() throws Exception {
    ExportFile e = export(List.of());
    e.on(suppressed("192.0.2.1"));
    assertThat(timer.delays).as("before start: the start writes it").isEmpty();
    e.start(store, timer);
    e.on(suppressed("192.0.2.1"));
    assertThat(timer.delays).as("the start's export is pending").hasSize(1);
    timer.runLast();

    clock.advance(Duration.ofSeconds(2));
    store.add("192.0.2.2", clock.instant());
    e.on(suppressed("192.0.2.2"));
    assertThat(timer.delays)
        .as("3s after the last write")
        .containsExactly(Duration.ZERO, Duration.ofSeconds(3));
    e.on(new Event.SuppressionRemoved(Cidr.parse("192.0.2.9")));
    e.on(new Event.SuppressionsExpired(2));
    assertThat(timer.delays).as("written with the pending one").hasSize(2);
    clock.advance(Duration.ofSeconds(3));
    timer.runLast();
    assertThat(Files.readString(dir.resolve("out/trapped.csv"))).contains("192.0.2.2,");

    clock.advance(Duration.ofMinutes(1));
    e.on(new Event.SuppressionRemoved(Cidr.parse("192.0.2.2")));
    assertThat(timer.delays.getLast())
        .as("after a quiet debounce: at once")
        .isEqualTo(Duration.ZERO);
  }

  @Test
  void otherEventsWriteNothing() {
    ExportFile e = export(List.of());
    e.start(store, timer);
    timer.runLast();
    e.on(new Event.TarpitHeld(3));
    e.on(new Event.MessageAccepted("Q", 1, 10));
    assertThat(timer.delays).hasSize(1);
  }

  @Test
  void aCommandThatHangsIsKilledAfterItsTimeout() {
    long started = System.nanoTime();
    ExportFile.run(List.of("sleep", "60"), Duration.ofMillis(200));
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void aCommandThatCannotStartIsLoggedNotThrown() {
    ExportFile.run(List.of(dir.resolve("missing").toString()), Duration.ofSeconds(1));
  }
}

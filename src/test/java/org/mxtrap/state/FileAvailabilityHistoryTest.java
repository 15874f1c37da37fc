package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.state.AvailabilityHistory.Outage;

class FileAvailabilityHistoryTest extends AvailabilityHistoryContract {
  @TempDir Path dir;

  @Override
  protected AvailabilityHistory open(Instant now) throws Exception {
    return FileAvailabilityHistory.open(dir.resolve("contract"), LAYOUT, now, DAY);
  }

  @Override
  protected AvailabilityHistory reopen(AvailabilityHistory history, Instant now) throws Exception {
    history.close();
    return FileAvailabilityHistory.open(dir.resolve("contract"), LAYOUT, now, DAY);
  }

  @Test
  void aFreshHistoryStartsNowWithEveryServerUnobserved() throws Exception {
    try (FileAvailabilityHistory h = FileAvailabilityHistory.open(dir, LAYOUT, T0, DAY)) {
      assertThat(h.since()).isEqualTo(T0);
      assertThat(h.outages(PRIMARY, T0))
          .containsExactly(new Outage(T0, null, "not observed yet (new history)"));
      assertThat(h.outages(TRAP, T0)).isEmpty(); // traps have no availability
      h.up(PRIMARY, T0.plusSeconds(1));
      assertThat(h.outages(PRIMARY, T0))
          .singleElement()
          .extracting(Outage::to)
          .isEqualTo(T0.plusSeconds(1));
    }
  }

  @Test
  void theTimeSinceTheLastHeartbeatIsAnOutageAfterARestart() throws Exception {
    try (FileAvailabilityHistory h = FileAvailabilityHistory.open(dir, LAYOUT, T0, DAY)) {
      h.up(PRIMARY, T0.plusSeconds(1));
      h.up(BACKUP, T0.plusSeconds(1));
      h.maintain(T0.plusSeconds(100));
    } // a crash would leave the same files: nothing is written at close
    Instant restart = T0.plusSeconds(500);
    try (FileAvailabilityHistory h = FileAvailabilityHistory.open(dir, LAYOUT, restart, DAY)) {
      assertThat(h.since()).isEqualTo(T0);
      List<Outage> o = h.outages(PRIMARY, T0.plusSeconds(50));
      assertThat(o)
          .singleElement()
          .satisfies(
              x -> {
                assertThat(x.from()).isEqualTo(T0.plusSeconds(100));
                assertThat(x.to()).isNull();
                assertThat(x.reason()).contains("not running").contains("last heartbeat");
              });
      assertThat(h.outages(PRIMARY, T0)).hasSize(2); // the first one, [T0, T0+1s], is still known
    }
  }

  @Test
  void outagesCloserThanTheMergeGapAreOne() throws Exception {
    try (FileAvailabilityHistory h = FileAvailabilityHistory.open(dir, LAYOUT, T0, DAY)) {
      h.up(PRIMARY, T0.plusSeconds(10));
      Instant t = T0.plusSeconds(100);
      for (int i = 0; i < 1000; i++) { // an entry flapping at its connection limit
        h.down(PRIMARY, t, "connection limit reached");
        t = t.plusMillis(10);
        h.up(PRIMARY, t);
        t = t.plusMillis(10);
      }
      assertThat(h.outages(PRIMARY, T0.plusSeconds(50))).hasSize(1);
      assertThat(Files.readAllLines(dir.resolve("availability.log")).size()).isLessThan(2100);
    }
  }

  @Test
  void oldOutagesAreForgottenAndCompactedAway() throws Exception {
    try (FileAvailabilityHistory h = FileAvailabilityHistory.open(dir, LAYOUT, T0, DAY)) {
      h.up(PRIMARY, T0.plusSeconds(10));
      h.up(BACKUP, T0.plusSeconds(10));
      h.maintain(T0.plus(Duration.ofDays(2)));
      assertThat(h.outages(PRIMARY, T0)).isEmpty();
    }
    try (FileAvailabilityHistory h =
        FileAvailabilityHistory.open(
            dir, LAYOUT, T0.plus(Duration.ofDays(2)).plusSeconds(1), DAY)) {
      assertThat(h.outages(PRIMARY, T0)).hasSize(1); // only the restart gap
      assertThat(Files.readAllLines(dir.resolve("availability.log")))
          .noneMatch(l -> l.startsWith(T0.plusSeconds(10).toString()));
    }
  }

  @Test
  void linesAboutEntriesNoLongerInTheLayoutAreIgnored() throws Exception {
    Files.writeString(
        dir.resolve("availability.log"),
        T0 + " since\n" + T0 + " down 15 127.0.0.1:9999 gone\ngarbage line\n");
    Files.writeString(dir.resolve("heartbeat"), T0.plusSeconds(5) + "\n");
    try (FileAvailabilityHistory h =
        FileAvailabilityHistory.open(dir, LAYOUT, T0.plusSeconds(10), DAY)) {
      assertThat(h.since()).isEqualTo(T0);
      assertThat(h.outages(PRIMARY, T0))
          .singleElement()
          .extracting(Outage::from)
          .isEqualTo(T0.plusSeconds(5));
    }
  }
}

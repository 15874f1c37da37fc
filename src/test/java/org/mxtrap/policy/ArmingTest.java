package org.mxtrap.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.state.FileAvailabilityHistory;

class ArmingTest {
  static final InetAddress LO = InetAddress.getLoopbackAddress();
  static final LayoutEntry PRIMARY =
      new LayoutEntry(10, "mail.example.test", LO, 2525, Role.PRIMARY);
  static final LayoutEntry BACKUP = new LayoutEntry(20, "mx1.example.test", LO, 2528, Role.BACKUP);
  static final LayoutEntry TRAP = new LayoutEntry(30, "mx2.example.test", LO, 2526, Role.TRAP);
  static final Layout LAYOUT = new Layout(List.of(PRIMARY, BACKUP, TRAP));
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration ARM = Duration.ofHours(1);

  @TempDir Path dir;

  private FileAvailabilityHistory history() throws Exception {
    FileAvailabilityHistory h = FileAvailabilityHistory.open(dir, LAYOUT, T0, ARM);
    h.up(PRIMARY, T0);
    h.up(BACKUP, T0);
    return h;
  }

  @Test
  void aFreshHistoryIsDisarmedUntilArmAfterHasPassed() throws Exception {
    try (FileAvailabilityHistory h = history()) {
      Arming a = new Arming(LAYOUT, h, ARM);
      Arming.State s = a.state(TRAP, T0.plusSeconds(60));
      assertThat(s.armed()).isFalse();
      assertThat(s.why()).contains("history starts at " + T0);
      assertThat(s.armsAt()).isEqualTo(T0.plus(ARM));
      assertThat(a.state(TRAP, T0.plus(ARM).plusSeconds(1)).armed()).isTrue();
    }
  }

  @Test
  void aFreshInstallArmsArmAfterFromTheMomentItsLowerEntriesCameUp() throws Exception {
    try (FileAvailabilityHistory h = FileAvailabilityHistory.open(dir, LAYOUT, T0, ARM)) {
      h.up(PRIMARY, T0.plusSeconds(5)); // the listeners took five seconds to start
      Arming.State s = new Arming(LAYOUT, h, ARM).state(TRAP, T0.plusSeconds(60));
      assertThat(s.armed()).isFalse();
      assertThat(s.armsAt()).isEqualTo(T0.plusSeconds(5).plus(ARM));
      assertThat(new Arming(LAYOUT, h, ARM).state(TRAP, T0.plus(ARM).plusSeconds(4)).armed())
          .isFalse();
      assertThat(new Arming(LAYOUT, h, ARM).state(TRAP, T0.plus(ARM).plusSeconds(6)).armed())
          .isTrue();
    }
  }

  @Test
  void oneLowerEntryUpAtEveryMomentIsEnough() throws Exception {
    try (FileAvailabilityHistory h = history()) {
      Instant t = T0.plus(ARM).plus(ARM);
      h.down(PRIMARY, t.minusSeconds(600), "probe failed");
      h.up(PRIMARY, t.minusSeconds(300));
      h.down(BACKUP, t.minusSeconds(200), "connection limit reached");
      h.up(BACKUP, t.minusSeconds(100));
      Arming.State s = new Arming(LAYOUT, h, ARM).state(TRAP, t);
      assertThat(s.armed()).as(s.why()).isTrue();
      assertThat(s.why()).contains("at least one of MX 10 (primary), MX 20 (backup)");
    }
  }

  @Test
  void aMomentWithEveryLowerEntryDownDisarmsForArmAfter() throws Exception {
    try (FileAvailabilityHistory h = history()) {
      Instant t = T0.plus(ARM).plus(ARM);
      h.down(PRIMARY, t.minusSeconds(600), "probe failed");
      h.down(BACKUP, t.minusSeconds(500), "shutting down");
      h.up(PRIMARY, t.minusSeconds(400));
      h.up(BACKUP, t.minusSeconds(300));
      Arming.State s = new Arming(LAYOUT, h, ARM).state(TRAP, t);
      assertThat(s.armed()).isFalse();
      assertThat(s.why())
          .contains("every one of MX 10 (primary), MX 20 (backup) was unavailable")
          .contains(t.minusSeconds(500).toString())
          .contains(t.minusSeconds(400).toString());
      assertThat(s.armsAt()).isEqualTo(t.minusSeconds(400).plus(ARM));
      assertThat(
              new Arming(LAYOUT, h, ARM)
                  .state(TRAP, t.minusSeconds(400).plus(ARM).plusSeconds(1))
                  .armed())
          .isTrue();
    }
  }

  @Test
  void whileEveryLowerEntryIsStillDownThereIsNoArmingTime() throws Exception {
    try (FileAvailabilityHistory h = history()) {
      Instant t = T0.plus(ARM).plus(ARM);
      h.down(PRIMARY, t.minusSeconds(60), "probe failed");
      h.down(BACKUP, t.minusSeconds(30), "probe failed");
      Arming.State s = new Arming(LAYOUT, h, ARM).state(TRAP, t);
      assertThat(s.armed()).isFalse();
      assertThat(s.why()).contains("unavailable since " + t.minusSeconds(30));
      assertThat(s.armsAt()).isNull();
    }
  }

  @Test
  void aBackupIsJudgedByThePrimaryAlone() throws Exception {
    try (FileAvailabilityHistory h = history()) {
      Instant t = T0.plus(ARM).plus(ARM);
      h.down(BACKUP, t.minusSeconds(60), "probe failed"); // the backup's own outage is irrelevant
      assertThat(new Arming(LAYOUT, h, ARM).state(BACKUP, t).armed()).isTrue();
      h.down(PRIMARY, t.minusSeconds(50), "probe failed");
      h.up(PRIMARY, t.minusSeconds(40));
      assertThat(new Arming(LAYOUT, h, ARM).state(BACKUP, t).armed()).isFalse();
    }
  }
}

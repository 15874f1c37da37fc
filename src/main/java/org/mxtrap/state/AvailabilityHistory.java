package org.mxtrap.state;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.LayoutEntry;

/**
 * When each primary and backup entry of the layout was unavailable: refused, timed out, turned
 * everyone away, or simply not observed (this host was down). The trap engine arms a trap only
 * when, throughout the last {@code trap.arm_after}, some lower entry was available at every moment;
 * so the history must never claim availability it did not observe. Thread-safe.
 */
public interface AvailabilityHistory {

  /** One period of unavailability. */
  record Outage(Instant from, @Nullable Instant to, String reason) {
    public Outage {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(reason, "reason");
    }

    /** The end, or {@code now} while the outage lasts. */
    public Instant endOr(Instant now) {
      return to == null ? now : to;
    }
  }

  /** The start of the history: nothing before it was observed, so it counts as unavailable. */
  Instant since();

  /**
   * Entry {@code e} is unavailable from {@code at} (for {@code reason}) until {@link #up}. Ignored
   * while it is already down.
   */
  void down(LayoutEntry e, Instant at, String reason);

  /** Entry {@code e} is available again from {@code at}. Ignored while it is up. */
  void up(LayoutEntry e, Instant at);

  /**
   * The outages of {@code e} that end at or after {@code from} (an ongoing one has a null end),
   * oldest first, not overlapping.
   */
  List<Outage> outages(LayoutEntry e, Instant from);
}

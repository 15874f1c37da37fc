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
 * so the history must never claim availability it did not observe. Traps have no history.
 * Thread-safe.
 *
 * <p>{@code AvailabilityHistoryContract} in the tests holds every implementation to this.
 */
public interface AvailabilityHistory extends AutoCloseable {

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

  /**
   * The heartbeat: records that this host is running at {@code now}, and may forget outages that
   * ended longer ago than the history is kept for. Call it every few seconds: the time from the
   * last call until the history is opened again was not observed, so every entry is unavailable
   * through it until seen {@link #up} again.
   */
  void maintain(Instant now);

  @Override
  void close();
}

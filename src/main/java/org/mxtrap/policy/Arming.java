package org.mxtrap.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.Durations;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.state.AvailabilityHistory;
import org.mxtrap.state.AvailabilityHistory.Outage;

/**
 * Whether an entry is armed: during the last {@code arm_after}, there was no moment at which every
 * primary and backup entry of lower preference was unavailable (PRODUCT.md, "armed"). A real MTA
 * reaches a higher MX only when every lower one failed for it at once; if that never happened, a
 * contact at the higher entry without a lower one skipped the order on purpose.
 *
 * <p>Moments before the history began count as unavailable, so a fresh install is disarmed until it
 * has {@code arm_after} of history. Asked of trap entries (mx-skip) and backup entries
 * (backup-skip: "the primary was continuously available"). Thread-safe; no state of its own.
 */
public final class Arming {

  /**
   * The answer for one entry at one moment.
   *
   * @param armed whether the entry is armed
   * @param why the evidence, in words, for status and explain
   * @param armsAt when it arms if nothing else fails (null when armed, or while lower entries are
   *     still unavailable)
   */
  public record State(boolean armed, String why, @Nullable Instant armsAt) {}

  private final Layout layout;
  private final AvailabilityHistory history;
  private final Duration armAfter;

  public Arming(Layout layout, AvailabilityHistory history, Duration armAfter) {
    this.layout = layout;
    this.history = history;
    this.armAfter = armAfter;
  }

  public State state(LayoutEntry entry, Instant now) {
    List<LayoutEntry> lower =
        layout.entries().stream()
            .filter(e -> e.role() != Role.TRAP && e.preference() < entry.preference())
            .toList();
    if (lower.isEmpty()) {
      return new State(false, "no primary or backup entry below MX " + entry.preference(), null);
    }
    Instant horizon = now.minus(armAfter);
    Instant since = history.since();
    Instant from = since.isAfter(horizon) ? since : horizon;
    // The moments in [from, now] at which every lower entry was unavailable: the intersection of
    // their outages. (Before the history began, nothing was observed: that counts as unavailable.)
    List<Outage> allDown = null;
    for (LayoutEntry e : lower) {
      List<Outage> mine = clip(history.outages(e, from), from, now);
      allDown = allDown == null ? mine : intersect(allDown, mine, now);
      if (allDown.isEmpty()) {
        break;
      }
    }
    String what =
        lower.size() == 1 ? names(lower) + " was" : "every one of " + names(lower) + " was";
    Outage last = allDown == null || allDown.isEmpty() ? null : allDown.getLast();
    if (last != null && last.to() == null) {
      return new State(
          false, what + " unavailable since " + last.from() + " (" + last.reason() + ")", null);
    }
    Instant armsAt = null;
    String why = null;
    if (since.isAfter(horizon)) {
      armsAt = since.plus(armAfter);
      why =
          "availability history starts at "
              + since
              + "; arming needs "
              + Durations.format(armAfter)
              + " of it";
    }
    // An outage still going on returned above: the last one has ended.
    Instant ended = last == null ? null : last.to();
    if (last != null && ended != null && (armsAt == null || ended.plus(armAfter).isAfter(armsAt))) {
      armsAt = ended.plus(armAfter);
      String outage =
          what + " unavailable from " + last.from() + " to " + ended + " (" + last.reason() + ")";
      if (why != null && !last.from().isAfter(since)) {
        // A young history whose lower entries were first seen when the outage ended: that is where
        // it really starts.
        why =
            "availability history starts at "
                + ended
                + "; arming needs "
                + Durations.format(armAfter)
                + " of it";
      } else {
        why = why == null ? outage : why + "; " + outage;
      }
    }
    if (armsAt != null) {
      return new State(false, Objects.requireNonNull(why), armsAt); // set with armsAt
    }
    return new State(
        true,
        (lower.size() == 1 ? names(lower) : "at least one of " + names(lower))
            + " available throughout the last "
            + Durations.format(armAfter),
        null);
  }

  private static String names(List<LayoutEntry> entries) {
    List<String> n = new ArrayList<>();
    for (LayoutEntry e : entries) {
      n.add("MX " + e.preference() + " (" + e.role().label() + ")");
    }
    return String.join(", ", n);
  }

  private static List<Outage> clip(List<Outage> outages, Instant from, Instant now) {
    List<Outage> out = new ArrayList<>();
    for (Outage o : outages) {
      Instant start = o.from().isBefore(from) ? from : o.from();
      if (o.to() != null && o.to().isBefore(start)) {
        continue;
      }
      out.add(new Outage(start, o.to() != null && o.to().isAfter(now) ? now : o.to(), o.reason()));
    }
    return out;
  }

  /** The overlaps of two sorted, non-overlapping outage lists (open ends last until now). */
  private static List<Outage> intersect(List<Outage> a, List<Outage> b, Instant now) {
    List<Outage> out = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < a.size() && j < b.size()) {
      Outage x = a.get(i);
      Outage y = b.get(j);
      Instant start = x.from().isAfter(y.from()) ? x.from() : y.from();
      Instant xEnd = x.endOr(now);
      Instant yEnd = y.endOr(now);
      Instant end = xEnd.isBefore(yEnd) ? xEnd : yEnd;
      if (!start.isAfter(end)) {
        boolean ongoing = x.to() == null && y.to() == null;
        out.add(new Outage(start, ongoing ? null : end, x.reason() + "; " + y.reason()));
      }
      if (xEnd.isBefore(yEnd)) {
        i++;
      } else {
        j++;
      }
    }
    return out;
  }
}

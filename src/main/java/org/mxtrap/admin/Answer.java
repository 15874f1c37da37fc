package org.mxtrap.admin;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Action;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;
import org.mxtrap.observe.Json;

/**
 * The body of one successful admin answer: a value, sent as JSON ({@link Json#write} of {@link
 * #json()}) or as the text the CLI prints ({@link #text()}), both from the same value.
 *
 * <p>Wire formats (every time ISO-8601 UTC; an address is printed bare for a single-address prefix,
 * as CIDR otherwise):
 *
 * <pre>
 * suppression  {"address":"192.0.2.7","since":T,"until":T,"reason":"mx-skip","offences":1,"evidence":"..."}
 * entry        {"address":"127.0.0.1:2526","preference":30,"host":"mx2.example.com","role":"trap"}
 *
 * GET /status        {"hostname":..,"time":T,"started":T,
 *                     "listeners":[entry...],                        the entries this host serves
 *                     "traps":[entry + "armed":bool,"why":..,"arms_at":T|null ...],
 *                     "counters":{"decisions":{"accept":n,...every verdict},
 *                                 "suppressions_active":n,"contact_evictions":n},
 *                     "layout":[entry + "served":bool,"armed":bool|null,"why":..|null,
 *                               "arms_at":T|null ...]}                every entry; null for a primary
 * GET /suppressions  [suppression...]                                the active ones
 * POST /suppressions 201 suppression
 * DELETE /suppressions   {"removed":true}
 * GET /explain?address=IP
 *                    {"address":..,"time":T,"allowed_by":CIDR|null,"blocked_by":CIDR|null,
 *                     "suppression":suppression|null,"history":[suppression...],
 *                     "contacts":[{"preference":10,"at":T}...],
 *                     "recent_decisions":[{"ts":T,"local":"127.0.0.1:2525","preference":10,
 *                        "role":..,"verdict":..,"action":..,"reason":..,"until":T|null,
 *                        "ptr":NAME (only when the client's reverse name was verified)}...],
 *                     "would_decide":[entry + "verdict","action","reason","until" ...]}
 *
 * message      {"id":"01JXQ3M5T8000","sender":"bob@example.org" ("" for &lt;&gt;),"arrived":T,
 *               "size":1234,"client":"192.0.2.7",
 *               "recipients":[{"address":"alice@example.com",
 *                              "status":"pending"|"deferred"|"delivered"|"failed",
 *                              "attempts":2,"next_attempt":T|null,"last_error":"4.2.2 ..."|null}...]}
 * GET /queue/messages       [message...]                            oldest first
 * GET /queue/messages/ID    message
 * DELETE /queue/messages/ID {"deleted":true}
 * POST /queue/flush         {"flushed":n}                           messages made due now
 * POST /reload              {"applied":[KEY...],"need_restart":[KEY...]}
 * </pre>
 */
sealed interface Answer {

  /** The HTTP status of the answer. */
  default int status() {
    return 200;
  }

  /** What the JSON body is written from: this record, unless its wire format is something else. */
  default Object json() {
    return this;
  }

  /** The text form: lines, each ended by a line feed. */
  String text();

  /** {@code GET /status}. */
  record Status(
      String hostname,
      Instant time,
      Instant started,
      String state,
      List<LayoutEntry> listeners,
      List<Trap> traps,
      Counters counters,
      List<Placed> layout)
      implements Answer {

    @Override
    public String text() {
      StringBuilder t =
          new StringBuilder("mxtrap on ")
              .append(hostname)
              .append(" at ")
              .append(time)
              .append(", up since ")
              .append(started)
              .append("\nstate: ")
              .append(state)
              .append("\nlisteners:\n");
      listeners.forEach(e -> t.append("  ").append(e.describe()).append('\n'));
      t.append("traps:\n");
      traps.forEach(trap -> t.append("  ").append(trap.text()).append('\n'));
      if (traps.isEmpty()) {
        t.append("  none in the layout\n");
      }
      return t.append(counters.text()).toString();
    }
  }

  /** A trap entry and whether it is armed. */
  record Trap(@Json.Inline LayoutEntry entry, boolean armed, String why, @Nullable Instant armsAt) {

    String text() {
      return entry.describe()
          + ": "
          + (armed ? "armed" : "disarmed")
          + ": "
          + why
          + (armsAt == null ? "" : "; arms at " + armsAt);
    }
  }

  /**
   * A layout entry in {@code status}: whether this host serves it and, for a trap or backup entry,
   * whether it is armed (for a backup: whether a backup skip counts), why, and when it arms; null
   * for a primary.
   */
  record Placed(
      @Json.Inline LayoutEntry entry,
      boolean served,
      @Nullable Boolean armed,
      @Nullable String why,
      @Nullable Instant armsAt) {}

  /**
   * The counters of {@code status}.
   *
   * @param decisions how many of each verdict (by label, every verdict) since start
   */
  record Counters(Map<String, Long> decisions, int suppressionsActive, long contactEvictions) {

    String text() {
      List<String> nonZero =
          decisions.entrySet().stream()
              .filter(c -> c.getValue() > 0)
              .map(c -> c.getKey() + " " + c.getValue())
              .toList();
      return "decisions since start: "
          + (nonZero.isEmpty() ? "none" : String.join(", ", nonZero))
          + "\nactive suppressions: "
          + suppressionsActive
          + "\ncontact-history evictions: "
          + contactEvictions
          + "\n";
    }
  }

  /** {@code GET /suppressions}: the active suppressions, a bare array. */
  record Active(List<Suppressions.Entry> suppressions) implements Answer {

    @Override
    public Object json() {
      return suppressions;
    }

    @Override
    public String text() {
      StringBuilder t = new StringBuilder();
      suppressions.forEach(s -> t.append(s.describe(true)).append('\n'));
      return t.append(
              switch (suppressions.size()) {
                case 0 -> "no active suppressions\n";
                case 1 -> "1 active suppression\n";
                default -> suppressions.size() + " active suppressions\n";
              })
          .toString();
    }
  }

  /** {@code POST /suppressions}: the suppression added. */
  record Added(Suppressions.Entry suppression) implements Answer {

    @Override
    public int status() {
      return 201;
    }

    @Override
    public Object json() {
      return suppression;
    }

    @Override
    public String text() {
      return "suppressed " + suppression.describe(true) + "\n";
    }
  }

  /** {@code DELETE /suppressions}: the suppression of {@code address} ended. */
  record Removed(String address) implements Answer {

    @Override
    public Object json() {
      return Map.of("removed", true);
    }

    @Override
    public String text() {
      return "removed the suppression of " + address + "\n";
    }
  }

  /** {@code GET /explain}: everything known about one address at {@code time}. */
  record Explanation(
      String address,
      Instant time,
      @Nullable String allowedBy,
      @Nullable String blockedBy,
      Suppressions.@Nullable Entry suppression,
      List<Suppressions.Entry> history,
      List<Contacted> contacts,
      List<Recent> recentDecisions,
      List<Would> wouldDecide)
      implements Answer {

    @Override
    public String text() {
      StringBuilder t = new StringBuilder(address).append(" at ").append(time).append('\n');
      t.append("allow list: ").append(allowedBy == null ? "no match" : allowedBy).append('\n');
      t.append("block list: ").append(blockedBy == null ? "no match" : blockedBy).append('\n');
      t.append("suppression: ")
          .append(suppression == null ? "none active" : suppression.describe(true))
          .append('\n');
      t.append("stored suppressions covering it (active or ended):");
      history.forEach(s -> t.append("\n  ").append(s.describe(s.activeAt(time))));
      t.append(history.isEmpty() ? " none\n" : "\n");
      t.append("last contact of its network per MX preference:");
      contacts.forEach(
          c -> t.append("\n  MX ").append(c.preference()).append(" at ").append(c.at()));
      t.append(contacts.isEmpty() ? " none\n" : "\n");
      t.append("recent decisions, oldest first:");
      recentDecisions.forEach(r -> t.append("\n  ").append(r.text()));
      t.append(recentDecisions.isEmpty() ? " none remembered since start\n" : "\n");
      t.append("what each MX would answer now:");
      wouldDecide.forEach(w -> t.append("\n  ").append(w.text()));
      return t.append('\n').toString();
    }
  }

  /** The last contact of a network at one MX preference. */
  record Contacted(int preference, Instant at) {}

  /** A decision remembered since start, about a contact at {@code ts} on {@code local}. */
  record Recent(
      Instant ts, String local, int preference, Role role, @Json.Inline Outcome decision) {

    static Recent of(Decisions.Remembered r) {
      return new Recent(
          r.contact().at(),
          Addresses.literal(r.contact().local().getAddress(), r.contact().local().getPort()),
          r.contact().entry().preference(),
          r.contact().entry().role(),
          Outcome.of(r.decision()));
    }

    String text() {
      return ts
          + " on "
          + local
          + " (MX "
          + preference
          + ' '
          + role.label()
          + "): "
          + decision.text();
    }
  }

  /** What the engine would decide now about the address on one entry. */
  record Would(@Json.Inline LayoutEntry entry, @Json.Inline Outcome decision) {

    String text() {
      return entry.describe() + ": " + decision.text();
    }
  }

  /** A decision as explain shows it. */
  record Outcome(
      Verdict verdict,
      Action action,
      String reason,
      @Nullable Instant until,
      @Json.OmitIfNull @Nullable String ptr) {

    static Outcome of(Decision d) {
      return new Outcome(d.verdict(), d.action(), d.reason(), d.until(), d.reverseName());
    }

    String text() {
      return verdict.label()
          + ", "
          + action.label()
          + ": "
          + reason
          + (until == null ? "" : " (until " + until + ")")
          + (ptr == null ? "" : " [reverse name " + ptr + "]");
    }
  }

  /** {@code GET /queue/messages}: blocks as {@code mailq} prints them, then a total. */
  record Messages(List<Queue.Message> messages) implements Answer {

    @Override
    public Object json() {
      return messages;
    }

    @Override
    public String text() {
      if (messages.isEmpty()) {
        return "the queue is empty\n";
      }
      StringBuilder t = new StringBuilder();
      messages.forEach(m -> t.append(m.text()).append('\n'));
      long bytes = messages.stream().mapToLong(Queue.Message::size).sum();
      return t.append(messages.size())
          .append(messages.size() == 1 ? " message, " : " messages, ")
          .append(bytes)
          .append(" bytes\n")
          .toString();
    }
  }

  /** {@code GET /queue/messages/ID}. */
  record Shown(Queue.Message message) implements Answer {

    @Override
    public Object json() {
      return message;
    }

    @Override
    public String text() {
      return message.text();
    }
  }

  /** {@code POST /queue/flush}: {@code flushed} messages were made due now. */
  record Flushed(int flushed) implements Answer {

    @Override
    public String text() {
      return "flushed the queue: "
          + flushed
          + (flushed == 1 ? " message" : " messages")
          + " due now\n";
    }
  }

  /** {@code POST /reload}: the keys applied and the changed keys that need a restart. */
  record Reloaded(List<String> applied, List<String> needRestart) implements Answer {
    public Reloaded {
      applied = List.copyOf(applied);
      needRestart = List.copyOf(needRestart);
    }

    @Override
    public String text() {
      String text = "reloaded: applied " + String.join(", ", applied) + "\n";
      return needRestart.isEmpty()
          ? text
          : text + "changed, but kept until a restart: " + String.join(", ", needRestart) + "\n";
    }
  }

  /** {@code DELETE /queue/messages/ID}: the message {@code id} deleted. */
  record Deleted(String id) implements Answer {

    @Override
    public Object json() {
      return Map.of("deleted", true);
    }

    @Override
    public String text() {
      return "deleted " + id + " from the queue\n";
    }
  }

  /**
   * {@code POST /state}: what an import applied. {@code too_old} lines counted for nothing any more
   * (a suppression ended the repeat window ago, a contact older than the trap window); {@code
   * refused} lines this host cannot take, the first {@link StateEndpoint#MAX_REFUSED_SHOWN} of them
   * named.
   */
  record Imported(
      long suppressions, long contacts, long tooOld, long refusedCount, List<Refused> refused)
      implements Answer {

    @Override
    public String text() {
      StringBuilder t =
          new StringBuilder("imported ")
              .append(suppressions)
              .append(" suppressions and ")
              .append(contacts)
              .append(" contacts; skipped ")
              .append(tooOld)
              .append(" too old to count, ")
              .append(refusedCount)
              .append(" refused\n");
      refused.forEach(
          r -> t.append("  line ").append(r.line()).append(": ").append(r.why()).append('\n'));
      if (refusedCount > refused.size()) {
        t.append("  and ").append(refusedCount - refused.size()).append(" more refused\n");
      }
      return t.toString();
    }
  }

  /** A line of an import that this host cannot take, and why. */
  record Refused(long line, String why) {}
}

package org.mxtrap.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Layout;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.state.AvailabilityHistory.Outage;

/**
 * What every {@link AvailabilityHistory} does, whatever keeps it: an implementation's test extends
 * this and says how to open a history and how to open it again on the same data. Time is what the
 * tests pass in; nothing sleeps. Events are spaced by minutes, wider than any gap an implementation
 * may merge outages across.
 */
public abstract class AvailabilityHistoryContract {
  protected static final InetAddress LO = InetAddress.getLoopbackAddress();
  protected static final LayoutEntry PRIMARY =
      new LayoutEntry(10, "mail.example.test", LO, 2525, Role.PRIMARY);
  protected static final LayoutEntry BACKUP =
      new LayoutEntry(20, "mx1.example.test", LO, 2528, Role.BACKUP);
  protected static final LayoutEntry TRAP =
      new LayoutEntry(30, "mx2.example.test", LO, 2526, Role.TRAP);
  protected static final Layout LAYOUT = new Layout(List.of(PRIMARY, BACKUP, TRAP));
  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  protected static final Duration DAY = Duration.ofDays(1);
  private static final Duration MINUTE = Duration.ofMinutes(1);

  private AvailabilityHistory history;

  /** A new history of {@link #LAYOUT} that starts at {@code now} and keeps outages for a day. */
  protected abstract AvailabilityHistory open(Instant now) throws Exception;

  /**
   * Closes {@code history} and opens the same data again at {@code now}, as after a crash: nothing
   * is recorded in between, not even that the host stopped.
   */
  protected abstract AvailabilityHistory reopen(AvailabilityHistory history, Instant now)
      throws Exception;

  @BeforeEach
  void openHistory() throws Exception {
    history = open(T0);
  }

  @AfterEach
  void closeHistory() {
    history.close();
  }

  private static Instant minutes(long n) {
    return T0.plus(MINUTE.multipliedBy(n));
  }

  @Test
  void aFreshHistoryStartsNowWithEveryEntryUnavailableUntilSeenUp() {
    assertThat(history.since()).isEqualTo(T0);
    assertThat(history.outages(PRIMARY, T0))
        .singleElement()
        .satisfies(o -> assertThat(o.from()).isEqualTo(T0))
        .satisfies(o -> assertThat(o.to()).isNull());

    history.up(PRIMARY, minutes(1));

    assertThat(history.outages(PRIMARY, T0))
        .singleElement()
        .extracting(Outage::to)
        .isEqualTo(minutes(1));
    assertThat(history.outages(BACKUP, T0)).singleElement().extracting(Outage::to).isNull();
  }

  @Test
  void trapsHaveNoHistory() {
    history.down(TRAP, minutes(1), "refused");
    history.up(TRAP, minutes(2));

    assertThat(history.outages(TRAP, T0)).isEmpty();
  }

  @Test
  void outagesComeOldestFirstAndThoseEndedBeforeFromAreLeftOut() {
    history.up(PRIMARY, minutes(1));
    history.down(PRIMARY, minutes(10), "connection limit reached");
    history.up(PRIMARY, minutes(20));
    history.down(PRIMARY, minutes(30), "refused");

    List<Outage> all = history.outages(PRIMARY, T0);
    assertThat(all)
        .extracting(Outage::from, Outage::to)
        .containsExactly(
            tuple(T0, minutes(1)), tuple(minutes(10), minutes(20)), tuple(minutes(30), null));
    assertThat(all.subList(1, 3))
        .extracting(Outage::reason)
        .containsExactly("connection limit reached", "refused");
    assertThat(history.outages(PRIMARY, minutes(20)))
        .extracting(Outage::from)
        .as("an outage that ends at from is in")
        .containsExactly(minutes(10), minutes(30));
    assertThat(history.outages(PRIMARY, minutes(21)))
        .containsExactly(new Outage(minutes(30), null, "refused"));
  }

  @Test
  void downWhileDownAndUpWhileUpChangeNothing() {
    history.up(PRIMARY, minutes(1));
    history.up(PRIMARY, minutes(2));
    history.down(PRIMARY, minutes(10), "refused");
    history.down(PRIMARY, minutes(11), "timed out");
    history.up(PRIMARY, minutes(20));

    List<Outage> all = history.outages(PRIMARY, minutes(1));
    assertThat(all)
        .extracting(Outage::from, Outage::to)
        .containsExactly(tuple(T0, minutes(1)), tuple(minutes(10), minutes(20)));
    assertThat(all.getLast().reason()).isEqualTo("refused");
  }

  @Test
  void maintainKeepsTheOutagesThatEndedWithinADay() {
    history.up(PRIMARY, minutes(1));
    history.down(PRIMARY, minutes(10), "refused");
    history.up(PRIMARY, minutes(20));

    history.maintain(minutes(20).plus(DAY));

    assertThat(history.outages(PRIMARY, minutes(20)))
        .containsExactly(new Outage(minutes(10), minutes(20), "refused"));
  }

  @Test
  void theTimeAfterTheLastHeartbeatIsAnOutageOfEveryEntryUntilSeenUpAgain() throws Exception {
    history.up(PRIMARY, minutes(1));
    history.up(BACKUP, minutes(1));
    history.maintain(minutes(5));
    Instant restart = minutes(60);

    history = reopen(history, restart);

    assertThat(history.since()).isEqualTo(T0);
    for (LayoutEntry e : List.of(PRIMARY, BACKUP)) {
      assertThat(history.outages(e, minutes(2)))
          .singleElement()
          .satisfies(o -> assertThat(o.from()).isBetween(minutes(1), minutes(5)))
          .satisfies(o -> assertThat(o.to()).isNull());
    }
    history.up(PRIMARY, restart);
    assertThat(history.outages(PRIMARY, restart))
        .singleElement()
        .extracting(Outage::to)
        .isEqualTo(restart);
  }
}

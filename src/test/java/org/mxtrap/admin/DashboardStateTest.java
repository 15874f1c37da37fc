package org.mxtrap.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Action;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.mxtrap.core.Verdict;
import org.mxtrap.observe.Event;
import org.mxtrap.testing.FakeClock;

/** The dashboard's in-memory parts: sessions, the live ring and fan-out, the per-minute counts. */
class DashboardStateTest {
  final FakeClock clock = new FakeClock(Instant.parse("2026-12-06T10:00:30Z"));

  @Test
  void aSessionLastsWhileUsedEndsWhenIdleAndTheOldestGoesPastTheBound() {
    Sessions sessions = new Sessions(clock, new SplittableRandom(1));
    Sessions.Session s = sessions.open();
    String cookie = "theme=dark; " + Sessions.COOKIE + "=" + s.id();
    assertThat(s.id()).hasSize(43).isNotEqualTo(s.csrf());
    clock.advance(Sessions.IDLE.minusSeconds(1));
    assertThat(sessions.find(cookie)).contains(s);
    clock.advance(Sessions.IDLE.minusSeconds(1));
    assertThat(sessions.find(cookie)).as("used a moment ago").contains(s);
    clock.advance(Sessions.IDLE);
    assertThat(sessions.find(cookie)).as("idle too long").isEmpty();
    assertThat(sessions.find(null)).isEmpty();
    assertThat(sessions.find(Sessions.COOKIE + "=forged")).isEmpty();

    List<Sessions.Session> all = new ArrayList<>();
    for (int i = 0; i <= Sessions.MAX; i++) {
      all.add(sessions.open());
    }
    assertThat(sessions.find(Sessions.COOKIE + "=" + all.getFirst().id())).isEmpty();
    assertThat(sessions.find(Sessions.COOKIE + "=" + all.getLast().id())).isPresent();
    sessions.end(all.getLast());
    assertThat(sessions.find(Sessions.COOKIE + "=" + all.getLast().id())).isEmpty();
    assertThat(all.getLast().csrfMatches(all.getLast().csrf())).isTrue();
    assertThat(all.getLast().csrfMatches(null)).isFalse();
    assertThat(all.getLast().csrfMatches(all.getFirst().csrf())).isFalse();
  }

  static Event.Decided decided(String client, Verdict v) throws Exception {
    LayoutEntry trap =
        new LayoutEntry(30, "mx2.example.test", InetAddress.getLoopbackAddress(), 2526, Role.TRAP);
    return new Event.Decided(
        new Contact(
            InetAddress.getByName(client),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 2526),
            trap,
            Instant.parse("2026-12-06T10:00:00Z")),
        new Decision(v, Action.TEMPFAIL, "no contact at a lower MX", null));
  }

  @Test
  void aSubscriberGetsTheRecentDecisionsThenTheNewOnesAndASlowOneLosesLinesNotTheEngine()
      throws Exception {
    LiveDecisions live = new LiveDecisions();
    for (int i = 0; i < LiveDecisions.RECENT + 5; i++) {
      live.on(decided("192.0.2." + i, Verdict.MX_SKIP));
    }
    try (LiveDecisions.Subscriber s = live.subscribe().orElseThrow()) {
      assertThat(s.recent()).hasSize(LiveDecisions.RECENT);
      assertThat(s.recent().getFirst()).contains("\"client\":\"192.0.2.5\"");
      assertThat(s.recent().getLast())
          .startsWith("{\"time\":\"2026-12-06T10:00:00Z\",\"client\":\"192.0.2.104\",\"entry\":{")
          .contains("\"verdict\":\"mx-skip\"", "\"reverse_name\":null", "\"until\":null");
      for (int i = 0; i < LiveDecisions.QUEUE + 10; i++) {
        live.on(decided("198.51.100.1", Verdict.ACCEPT));
      }
      int got = 0;
      while (s.next(Duration.ZERO).isPresent()) {
        got++;
      }
      assertThat(got).isEqualTo(LiveDecisions.QUEUE);
    }
    List<LiveDecisions.Subscriber> open = new ArrayList<>();
    for (int i = 0; i < LiveDecisions.MAX_SUBSCRIBERS; i++) {
      open.add(live.subscribe().orElseThrow());
    }
    assertThat(live.subscribe()).isEmpty();
    open.getFirst().close();
    assertThat(live.subscribe()).isPresent();
  }

  @Test
  void ratesCountPerMinuteAndForgetWhatIsOlderThanADay() throws Exception {
    DecisionRates rates = new DecisionRates(clock);
    rates.count(Verdict.MX_SKIP);
    rates.count(Verdict.ACCEPT);
    clock.advance(Duration.ofMinutes(3));
    rates.count(Verdict.MX_SKIP);

    DecisionRates.Series hour = rates.series(DecisionRates.Span.HOUR);
    assertThat(hour.times()).hasSize(60);
    assertThat(hour.stepSeconds()).isEqualTo(60);
    assertThat(hour.times().getLast())
        .isEqualTo(Instant.parse("2026-12-06T10:03:00Z").getEpochSecond());
    assertThat(hour.trapHits().subList(56, 60)).containsExactly(1L, 0L, 0L, 1L);
    assertThat(hour.counts().get("accept").get(56)).isEqualTo(1L);

    DecisionRates.Series day = rates.series(DecisionRates.Span.DAY);
    assertThat(day.times()).hasSize(144);
    assertThat(day.times().getLast())
        .isEqualTo(Instant.parse("2026-12-06T10:00:00Z").getEpochSecond());
    assertThat(day.trapHits().getLast()).isEqualTo(2L);

    clock.advance(Duration.ofHours(24));
    rates.count(Verdict.ACCEPT); // reuses the slot of a day ago: counted afresh
    assertThat(rates.series(DecisionRates.Span.DAY).trapHits()).containsOnly(0L);
    assertThat(rates.series(DecisionRates.Span.HOUR).counts().get("accept").getLast())
        .isEqualTo(1L);
  }
}

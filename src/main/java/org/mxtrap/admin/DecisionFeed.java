package org.mxtrap.admin;

import java.time.Clock;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;

/**
 * The dashboard's listener on the events seam: each decision goes into the live list ({@link
 * LiveDecisions}) and the per-minute counts ({@link DecisionRates}); other events pass by. Quick
 * and non-blocking, as {@link Events} asks. {@code app} puts it in the engine's chain and hands it
 * to the {@link AdminServer}. Thread-safe.
 */
public final class DecisionFeed implements Events {
  final LiveDecisions live = new LiveDecisions();
  final DecisionRates rates;

  public DecisionFeed(Clock clock) {
    this.rates = new DecisionRates(clock);
  }

  @Override
  public void on(Event e) {
    if (e instanceof Event.Decided d) {
      live.on(d);
      rates.count(d.decision().verdict());
    }
  }

  @Override
  public String toString() {
    return "DecisionFeed";
  }
}

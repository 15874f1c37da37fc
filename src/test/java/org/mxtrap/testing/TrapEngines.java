package org.mxtrap.testing;

import java.time.Clock;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.dns.Dns;
import org.mxtrap.dns.Dnsbl;
import org.mxtrap.dns.ReverseNames;
import org.mxtrap.dns.Spf;
import org.mxtrap.observe.Events;
import org.mxtrap.policy.Arming;
import org.mxtrap.policy.TrapEngine;
import org.mxtrap.state.BoundedIdentityHistory;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.StateView;
import org.mxtrap.state.SuppressionStore;

/** A trap engine wired from a whole configuration, as the app wires it. */
public final class TrapEngines {
  private TrapEngines() {}

  public static TrapEngine of(
      MxtrapConfig config,
      ContactHistory contacts,
      SuppressionStore suppressions,
      Arming arming,
      Dns dns,
      Clock clock,
      Events events) {
    return of(config, contacts, suppressions, arming, dns, clock, StateView.WHOLE, events);
  }

  /** As the app wires it for a shared store whose view is {@code view}. */
  public static TrapEngine of(
      MxtrapConfig config,
      ContactHistory contacts,
      SuppressionStore suppressions,
      Arming arming,
      Dns dns,
      Clock clock,
      StateView view,
      Events events) {
    return new TrapEngine(
        new TrapEngine.Rules(
            config.trap(),
            config.suppress(),
            config.allow(),
            config.block(),
            config.trustedRelays(),
            config.state().onOutage(),
            config.allowPools()),
        contacts,
        suppressions,
        arming,
        new Dnsbl(dns, config.dnsbl(), clock, Events.NONE),
        config.dns().reverseNames() ? new ReverseNames(dns, config.dns().ptrBudget()) : null,
        view,
        new BoundedIdentityHistory(10_000, config.trap().window()),
        config.dns().spf() ? new Spf(dns, config.dns().spfBudget()) : null,
        events);
  }
}

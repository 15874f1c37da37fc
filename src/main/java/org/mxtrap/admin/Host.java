package org.mxtrap.admin;

import java.time.Duration;
import java.util.List;
import org.mxtrap.core.LayoutEntry;

/**
 * The running host as the admin API sees it: plain values from its config, and the ports {@code
 * app} wires from its policy, state, queue and delivery.
 *
 * @param hostname the host's name, for {@code status}
 * @param layout every entry of the layout, lowest preference first
 * @param served the entries this host listens on
 * @param suppressFor how long an operator's suppression lasts when the request names no duration
 * @param state where the trap engine's memory lives, for {@code status}
 * @param transfer its contacts and suppressions, for {@code state export} and {@code import}
 * @param reloader re-reads its config file, for {@code reload}
 */
public record Host(
    String hostname,
    List<LayoutEntry> layout,
    List<LayoutEntry> served,
    Duration suppressFor,
    StateStore state,
    Traps traps,
    Suppressions suppressions,
    Engine engine,
    Decisions decisions,
    Contacts contacts,
    Queue queue,
    StateTransfer transfer,
    Reloader reloader) {

  public Host {
    layout = List.copyOf(layout);
    served = List.copyOf(served);
  }
}

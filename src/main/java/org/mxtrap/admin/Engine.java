package org.mxtrap.admin;

import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;

/** The trap engine, as far as {@code GET /explain} asks it; nothing here records or suppresses. */
public interface Engine {

  /** The allow-list prefix that contains {@code client}, if any. */
  Optional<Cidr> allowedBy(InetAddress client);

  /** The block-list prefix that contains {@code client}, if any. */
  Optional<Cidr> blockedBy(InetAddress client);

  /**
   * What the engine would decide about {@code client} on each of {@code entries} at {@code now}, in
   * their order (the DNSBL zones asked at most once).
   */
  List<Decision> wouldDecide(InetAddress client, List<LayoutEntry> entries, Instant now);
}

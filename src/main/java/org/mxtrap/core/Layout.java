package org.mxtrap.core;

import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The domain's whole MX layout, ordered by preference (lowest, most preferred, first). */
public record Layout(List<LayoutEntry> entries) {

  public Layout {
    entries = entries.stream().sorted(Comparator.comparingInt(LayoutEntry::preference)).toList();
  }

  /** The entry a connection that arrived on {@code local} belongs to, if any. */
  public Optional<LayoutEntry> entryFor(InetSocketAddress local) {
    return entries.stream().filter(e -> e.servesLocal(local)).findFirst();
  }
}

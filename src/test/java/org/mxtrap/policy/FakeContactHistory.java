package org.mxtrap.policy;

import java.net.InetAddress;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.state.ContactHistory;

/** Exact contacts per address (no excuse prefix, no capacity): for engine tests. */
final class FakeContactHistory implements ContactHistory {
  private final Map<InetAddress, Map<Integer, Instant>> contacts = new HashMap<>();

  @Override
  public synchronized void record(InetAddress client, int preference, Instant at) {
    contacts
        .computeIfAbsent(Addresses.unmap(client), k -> new TreeMap<>())
        .merge(preference, at, (a, b) -> a.isAfter(b) ? a : b);
  }

  @Override
  public synchronized Optional<Instant> lastBelow(
      InetAddress client, int preference, Instant since) {
    return contacts.getOrDefault(Addresses.unmap(client), Map.of()).entrySet().stream()
        .filter(e -> e.getKey() < preference && !e.getValue().isBefore(since))
        .map(Map.Entry::getValue)
        .max(Instant::compareTo);
  }

  @Override
  public synchronized Map<Integer, Instant> contacts(InetAddress client) {
    return Map.copyOf(contacts.getOrDefault(Addresses.unmap(client), Map.of()));
  }

  @Override
  public long evictions() {
    return 0;
  }

  /** Keeps everything: an engine test is shorter than any window. */
  @Override
  public void maintain(Instant now) {}

  @Override
  public synchronized void each(Instant since, Consumer<Contact> sink) {
    contacts.forEach(
        (client, times) ->
            times.forEach(
                (preference, at) -> {
                  if (!at.isBefore(since)) {
                    sink.accept(new Contact(Cidr.of(client, 128), preference, at));
                  }
                }));
  }

  /** The network's first address: the fake keeps addresses, not networks. */
  @Override
  public void restore(Contact contact) {
    record(contact.network().network(), contact.preference(), contact.at());
  }
}

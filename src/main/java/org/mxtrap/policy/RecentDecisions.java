package org.mxtrap.policy;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Contact;
import org.mxtrap.core.Decision;
import org.mxtrap.core.Verdict;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;

/**
 * The last few decisions about each of the clients seen most recently, in memory, for {@code
 * explain} (the decision log on disk has them all). Bounded: {@code clients} addresses with at most
 * {@code perClient} decisions each; the address not seen for the longest is dropped first. Also
 * counts the decisions of each verdict since start, for {@code status}. A listener of {@link
 * Event.Decided}. Thread-safe.
 */
public final class RecentDecisions implements Events {

  /** One remembered decision. */
  public record Remembered(Contact contact, Decision decision) {}

  private final int perClient;
  private final Map<Verdict, LongAdder> counts = new EnumMap<>(Verdict.class);
  private final Map<InetAddress, Deque<Remembered>> byClient;

  public RecentDecisions(int clients, int perClient) {
    this.perClient = perClient;
    for (Verdict v : Verdict.values()) {
      counts.put(v, new LongAdder());
    }
    this.byClient =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<InetAddress, Deque<Remembered>> eldest) {
            return size() > clients;
          }
        };
  }

  @Override
  public void on(Event e) {
    if (e instanceof Event.Decided d) {
      Objects.requireNonNull(counts.get(d.decision().verdict())).increment();
      remember(d.contact(), d.decision());
    }
  }

  private synchronized void remember(Contact contact, Decision decision) {
    Deque<Remembered> d = byClient.computeIfAbsent(contact.client(), k -> new ArrayDeque<>());
    if (d.size() == perClient) {
      d.removeFirst();
    }
    d.addLast(new Remembered(contact, decision));
  }

  /** How many decisions of each verdict were made since start. */
  public Map<Verdict, Long> counts() {
    Map<Verdict, Long> out = new EnumMap<>(Verdict.class);
    counts.forEach((v, n) -> out.put(v, n.sum()));
    return out;
  }

  /** The remembered decisions about {@code client}, oldest first. */
  public synchronized List<Remembered> about(InetAddress client) {
    Deque<Remembered> d = byClient.get(Addresses.unmap(client));
    return d == null ? List.of() : new ArrayList<>(d);
  }
}

package org.mxtrap.policy;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mxtrap.core.Cidr;
import org.mxtrap.state.Suppression;
import org.mxtrap.state.SuppressionStore;

/** A map of suppressions with the store's doubling rule, in memory: for engine tests. */
final class FakeSuppressionStore implements SuppressionStore {
  private final Map<Cidr, Suppression> rows = new LinkedHashMap<>();

  @Override
  public synchronized Optional<Suppression> find(InetAddress address, Instant now) {
    return rows.values().stream()
        .filter(s -> s.prefix().contains(address) && s.activeAt(now))
        .max(Comparator.comparing(Suppression::until));
  }

  @Override
  public synchronized Suppression offend(
      Cidr prefix, Instant now, Duration base, Duration max, String reason, String evidence) {
    Suppression old = rows.get(prefix);
    Duration d = base;
    int offences = 1;
    if (old != null && !old.until().plus(REPEAT_WINDOW).isBefore(now)) {
      Duration prev = Duration.between(old.since(), old.until());
      d = prev.multipliedBy(2).compareTo(max) > 0 ? max : prev.multipliedBy(2);
      offences = old.offences() + 1;
    }
    Suppression s = new Suppression(prefix, now, now.plus(d), reason, offences, evidence);
    rows.put(prefix, s);
    return s;
  }

  @Override
  public synchronized Suppression add(
      Cidr prefix, Instant now, Duration duration, String reason, String evidence) {
    Suppression old = rows.get(prefix);
    Suppression s =
        new Suppression(
            prefix,
            now,
            now.plus(duration),
            reason,
            old == null ? 1 : old.offences() + 1,
            evidence);
    rows.put(prefix, s);
    return s;
  }

  @Override
  public synchronized boolean remove(Cidr prefix, Instant now) {
    Suppression old = rows.get(prefix);
    if (old == null || !old.activeAt(now)) {
      return false;
    }
    rows.put(
        prefix,
        new Suppression(prefix, old.since(), now, old.reason(), old.offences(), old.evidence()));
    return true;
  }

  @Override
  public synchronized List<Suppression> active(Instant now) {
    return rows.values().stream().filter(s -> s.activeAt(now)).toList();
  }

  @Override
  public synchronized List<Suppression> history(InetAddress address) {
    return rows.values().stream().filter(s -> s.prefix().contains(address)).toList();
  }

  @Override
  public synchronized void maintain(Instant now) {
    rows.values().removeIf(s -> !now.isBefore(s.until().plus(REPEAT_WINDOW)));
  }

  @Override
  public void close() {}

  @Override
  public synchronized List<Suppression> stored(Instant now) {
    return rows.values().stream()
        .filter(s -> now.isBefore(s.until().plus(REPEAT_WINDOW)))
        .sorted(Suppression.BY_PREFIX)
        .toList();
  }

  @Override
  public synchronized Optional<Suppression> restore(Suppression s, Instant now) {
    if (!now.isBefore(s.until().plus(REPEAT_WINDOW))) {
      return Optional.empty();
    }
    Suppression merged = Suppression.merge(rows.get(s.prefix()), s);
    rows.put(s.prefix(), merged);
    return Optional.of(merged);
  }
}

package org.mxtrap.testing;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.mxtrap.config.IpLiterals;
import org.mxtrap.core.Addresses;
import org.mxtrap.dns.Answer;
import org.mxtrap.dns.Dns;
import org.mxtrap.dns.MxRecord;
import org.mxtrap.dns.StubResolver;

/**
 * Canned DNS answers for tests. A name with records of some type but not the one asked is NODATA; a
 * name with none at all is NXDOMAIN, as a real server says. CNAMEs are followed the way {@link
 * StubResolver} does, so answers carry their aliases. Every lookup is recorded in {@link #asked}. A
 * {@link #hanging} lookup blocks until its thread is interrupted, as a resolver that never answers.
 *
 * <p>Set it up first, then look up from any number of threads (lookups are thread-safe; the
 * builders are not meant to race with them).
 */
public final class FakeDns implements Dns {

  private static final Duration TTL = Duration.ofSeconds(300);

  private enum Type {
    MX,
    A,
    AAAA,
    PTR,
    TXT
  }

  private record Key(String name, Type type) {}

  private final Map<Key, List<?>> records = new ConcurrentHashMap<>();
  private final Map<Key, Answer.Failure> failures = new ConcurrentHashMap<>();
  private final Set<Key> hanging = ConcurrentHashMap.newKeySet();
  private final Map<String, String> cnames = new ConcurrentHashMap<>();
  private final Set<String> names = ConcurrentHashMap.newKeySet();

  /** Every lookup made, as {@code "TYPE name"}, in order; PTR lookups by the address. */
  public final List<String> asked = Collections.synchronizedList(new ArrayList<>());

  /** How many lookups are blocked in {@link #hanging} names right now. */
  public final AtomicInteger hung = new AtomicInteger();

  /** The most lookups that were blocked in {@link #hanging} names at once. */
  public final AtomicInteger mostHung = new AtomicInteger();

  /** MX records of {@code domain}, as {@code "10 mx1.example.test"} each. */
  public FakeDns mx(String domain, String... records) {
    List<MxRecord> out = new ArrayList<>();
    for (String r : records) {
      String[] parts = r.split(" ");
      out.add(new MxRecord(Integer.parseInt(parts[0]), canonical(parts[1])));
    }
    return put(domain, Type.MX, out);
  }

  /** A or AAAA records of {@code host}, by the form of each address. */
  public FakeDns address(String host, String... addresses) {
    List<InetAddress> v4 = new ArrayList<>();
    List<InetAddress> v6 = new ArrayList<>();
    for (String a : addresses) {
      InetAddress address = IpLiterals.parseAddress(a);
      (a.contains(":") ? v6 : v4).add(address);
    }
    if (!v4.isEmpty()) {
      put(host, Type.A, v4);
    }
    if (!v6.isEmpty()) {
      put(host, Type.AAAA, v6);
    }
    return this;
  }

  /** A name that exists without the records asked for (NODATA for every type). */
  public FakeDns exists(String name) {
    names.add(canonical(name));
    return this;
  }

  /** {@code alias} is a CNAME for {@code target}. */
  public FakeDns cname(String alias, String target) {
    cnames.put(canonical(alias), canonical(target));
    names.add(canonical(alias));
    return this;
  }

  /** PTR records of {@code address} (an IP literal): the names, in order. */
  public FakeDns ptr(String address, String... names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      out.add(canonical(n));
    }
    return put(reverse(IpLiterals.parseAddress(address)), Type.PTR, out);
  }

  /**
   * Lookups of {@code type} (MX, A, AAAA, PTR, TXT) for {@code name} fail with {@code failure}; for
   * PTR, {@code name} is the address.
   */
  public FakeDns failing(String name, String type, Answer.Failure failure) {
    failures.put(key(name, Type.valueOf(type)), failure);
    return this;
  }

  /**
   * Lookups of {@code type} for {@code name} never answer: they block until their thread is
   * interrupted, then are a TIMEOUT, as {@link StubResolver} gives up a query it is interrupted in.
   */
  public FakeDns hanging(String name, String type) {
    hanging.add(key(name, Type.valueOf(type)));
    return this;
  }

  private static Key key(String name, Type type) {
    return type == Type.PTR
        ? new Key(reverse(IpLiterals.parseAddress(name)), type)
        : new Key(canonical(name), type);
  }

  /** The key of a PTR lookup: the address as text. */
  private static String reverse(InetAddress address) {
    return "ptr:" + Addresses.text(Addresses.unmap(address));
  }

  private FakeDns put(String name, Type type, List<?> values) {
    records.put(new Key(canonical(name), type), List.copyOf(values));
    names.add(canonical(name));
    return this;
  }

  @Override
  public Answer<MxRecord> mx(String domain) {
    return answer(domain, Type.MX);
  }

  @Override
  public Answer<InetAddress> a(String host) {
    return answer(host, Type.A);
  }

  @Override
  public Answer<InetAddress> aaaa(String host) {
    return answer(host, Type.AAAA);
  }

  @Override
  public Answer<String> ptr(InetAddress address) {
    return answer(reverse(address), Type.PTR);
  }

  @Override
  public Answer<String> txt(String name) {
    return answer(name, Type.TXT);
  }

  @SuppressWarnings("unchecked") // values are stored per type by the builders above
  private <T> Answer<T> answer(String name, Type type) {
    String current = type == Type.PTR ? name : canonical(name);
    asked.add(type + " " + (type == Type.PTR ? current.substring("ptr:".length()) : current));
    if (hanging.contains(new Key(current, type))) {
      return hang(type + " " + current);
    }
    List<Answer.Alias> aliases = new ArrayList<>();
    while (true) {
      Answer.Failure failure = failures.get(new Key(current, type));
      if (failure != null) {
        return new Answer.Unknown<>(failure, "canned " + failure + " for " + type + " " + current);
      }
      List<?> values = records.get(new Key(current, type));
      if (values != null) {
        return new Answer.Found<>((List<T>) values, TTL, aliases);
      }
      String target = cnames.get(current);
      if (target == null) {
        return new Answer.NotFound<>(
            names.contains(current) ? Answer.Absence.NODATA : Answer.Absence.NXDOMAIN,
            TTL,
            aliases);
      }
      aliases.add(new Answer.Alias(current, target));
      current = target;
    }
  }

  private <T> Answer<T> hang(String what) {
    mostHung.accumulateAndGet(hung.incrementAndGet(), Math::max);
    try {
      new CountDownLatch(1).await();
      throw new AssertionError("unreachable");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer.Unknown<>(Answer.Failure.TIMEOUT, what + ": interrupted while waiting");
    } finally {
      hung.decrementAndGet();
    }
  }

  private static String canonical(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") && n.length() > 1 ? n.substring(0, n.length() - 1) : n;
  }

  /** TXT records of {@code name}, one string per record (its character-strings joined). */
  public FakeDns txt(String name, String... records) {
    return put(name, Type.TXT, List.of(records));
  }
}

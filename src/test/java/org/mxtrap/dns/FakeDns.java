package org.mxtrap.dns;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mxtrap.config.IpLiterals;

/**
 * Canned DNS answers for tests. A name with records of some type but not the one asked is NODATA; a
 * name with none at all is NXDOMAIN, as a real server says. CNAMEs are followed the way {@link
 * StubResolver} does, so answers carry their aliases. Every lookup is recorded in {@link #asked}.
 * Not thread-safe.
 */
final class FakeDns implements Dns {

  private static final Duration TTL = Duration.ofSeconds(300);

  private enum Type {
    MX,
    A,
    AAAA,
    PTR,
    TXT
  }

  private record Key(String name, Type type) {}

  private final Map<Key, List<?>> records = new HashMap<>();
  private final Map<Key, Answer.Failure> failures = new HashMap<>();
  private final Map<String, String> cnames = new HashMap<>();
  private final Set<String> names = new HashSet<>();

  /** Every lookup made, as {@code "TYPE name"}, in order. */
  final List<String> asked = new ArrayList<>();

  /** MX records of {@code domain}, as {@code "10 mx1.example.test"} each. */
  FakeDns mx(String domain, String... records) {
    List<MxRecord> out = new ArrayList<>();
    for (String r : records) {
      String[] parts = r.split(" ");
      out.add(new MxRecord(Integer.parseInt(parts[0]), canonical(parts[1])));
    }
    return put(domain, Type.MX, out);
  }

  /** A or AAAA records of {@code host}, by the form of each address. */
  FakeDns address(String host, String... addresses) {
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
  FakeDns exists(String name) {
    names.add(canonical(name));
    return this;
  }

  /** {@code alias} is a CNAME for {@code target}. */
  FakeDns cname(String alias, String target) {
    cnames.put(canonical(alias), canonical(target));
    names.add(canonical(alias));
    return this;
  }

  /** Lookups of {@code type} (MX, A, AAAA) for {@code name} fail with {@code failure}. */
  FakeDns failing(String name, String type, Answer.Failure failure) {
    failures.put(new Key(canonical(name), Type.valueOf(type)), failure);
    return this;
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
    throw new UnsupportedOperationException("no PTR in this fake yet");
  }

  @Override
  public Answer<String> txt(String name) {
    throw new UnsupportedOperationException("no TXT in this fake yet");
  }

  @SuppressWarnings("unchecked") // values are stored per type by the builders above
  private <T> Answer<T> answer(String name, Type type) {
    String current = canonical(name);
    asked.add(type + " " + current);
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

  private static String canonical(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") && n.length() > 1 ? n.substring(0, n.length() - 1) : n;
  }
}

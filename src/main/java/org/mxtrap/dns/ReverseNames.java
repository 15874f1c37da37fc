package org.mxtrap.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.mxtrap.config.DomainNames;
import org.mxtrap.core.Addresses;

/**
 * Clients' reverse names, forward-confirmed, within a budget of time.
 *
 * <p>The PTR records of the client's address are looked up; then, for each name (at most {@value
 * #MAX_NAMES}, in the order the resolver gave them), the addresses of the client's family (A for an
 * IPv4 client, AAAA for IPv6). The first name whose addresses include the client's is {@link
 * ReverseName.Verified}, as Postfix's smtpd does it: anyone can put any name in the PTR record of
 * their own address, but only the owner of the name can point it back. A PTR name that is not a
 * host name (RFC 1123 syntax) is never used: it would end up in a Received header.
 *
 * <p>Everything, PTR and forward lookups, must end within {@code budget} of {@link #start}: a
 * lookup still running then is abandoned and the name is {@link ReverseName.Unknown}, so a slow PTR
 * never holds a greeting back longer than that. Lookups go through the {@link Dns} port, whose
 * cache keeps answers for their TTL. Thread-safe.
 */
public final class ReverseNames {

  /** The most PTR names confirmed for one client (a client with dozens is not helped by more). */
  static final int MAX_NAMES = 5;

  private final Dns dns;
  private final Duration budget;

  /**
   * @param dns where the lookups go
   * @param budget how long the lookups of one client may take in all; positive
   */
  public ReverseNames(Dns dns, Duration budget) {
    if (budget.isNegative() || budget.isZero()) {
      throw new IllegalArgumentException("budget must be positive: " + budget);
    }
    this.dns = dns;
    this.budget = budget;
  }

  /** A lookup under way; {@link #await} gives its outcome by the end of the budget. */
  public static final class Pending {
    private final BoundedLookup<ReverseName> lookup;

    private Pending(BoundedLookup<ReverseName> lookup) {
      this.lookup = lookup;
    }

    /** The outcome; waits at most until the budget, counted from the start, has passed. */
    public ReverseName await() {
      return lookup.await(ReverseName.Unknown::new);
    }
  }

  /** Starts looking up the name of {@code client} on a virtual thread; returns at once. */
  public Pending start(InetAddress client) {
    InetAddress c = Addresses.unmap(client);
    return new Pending(BoundedLookup.start("ptr", budget, () -> resolve(c)));
  }

  /** The name of {@code client}, within the budget. */
  public ReverseName lookup(InetAddress client) {
    return start(client).await();
  }

  /** PTR, then forward confirmation; as long as DNS takes. */
  private ReverseName resolve(InetAddress client) {
    Answer<String> ptr = dns.ptr(client);
    List<String> names;
    switch (ptr) {
      case Answer.NotFound<String> n -> {
        return new ReverseName.None(n.absence());
      }
      case Answer.Unknown<String> u -> {
        return new ReverseName.Unknown("PTR " + u.failure() + ": " + u.detail());
      }
      case Answer.Found<String> f -> names = f.values();
    }
    boolean v4 = client instanceof Inet4Address;
    String type = v4 ? "A" : "AAAA";
    List<String> looked = new ArrayList<>();
    List<String> why = new ArrayList<>();
    boolean unknown = false;
    for (String name : names.subList(0, Math.min(MAX_NAMES, names.size()))) {
      looked.add(name);
      String host;
      try {
        host = DomainNames.canonical(name);
      } catch (IllegalArgumentException e) {
        why.add(name + " is not a host name");
        continue;
      }
      Answer<InetAddress> forward = v4 ? dns.a(host) : dns.aaaa(host);
      switch (forward) {
        case Answer.Found<InetAddress> f -> {
          if (f.values().stream().anyMatch(a -> Addresses.sameHost(a, client))) {
            return new ReverseName.Verified(host);
          }
          why.add(
              host
                  + " has "
                  + String.join(", ", f.values().stream().map(Addresses::text).toList())
                  + ", not "
                  + Addresses.text(client));
        }
        case Answer.NotFound<InetAddress> n ->
            why.add(host + " has no " + type + " (" + n.absence() + ")");
        case Answer.Unknown<InetAddress> u -> {
          unknown = true;
          why.add(type + " " + host + " " + u.failure() + ": " + u.detail());
        }
      }
      if (Thread.currentThread().isInterrupted()) {
        break; // out of time: the outcome is no longer awaited
      }
    }
    String text = String.join("; ", why);
    // A name that could not be checked might have been the right one: that is unknown, not "no".
    return unknown ? new ReverseName.Unknown(text) : new ReverseName.Unverified(looked, text);
  }
}

package org.mxtrap.dns;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one DNS lookup: {@link Found}, {@link NotFound} or {@link Unknown}. The three are
 * never folded together: a lookup that could not be made says nothing about the name (STYLE.md rule
 * 3), and a caller decides what unknown means for it (defer, fail open, fail closed).
 *
 * @param <T> one record's value: an address, an MX record, a name, a text
 */
public sealed interface Answer<T> permits Answer.Found, Answer.NotFound, Answer.Unknown {

  /** One line for people: {@code found 2 (ttl 300s)}, {@code NXDOMAIN}, {@code unknown: ...}. */
  String describe();

  /**
   * One CNAME followed on the way to the answer.
   *
   * @param name the alias (the name that is a CNAME)
   * @param target the name it points to
   */
  record Alias(String name, String target) {
    public Alias {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(target, "target");
    }

    @Override
    public String toString() {
      return name + " is a CNAME for " + target;
    }
  }

  /**
   * The name has records of the type asked.
   *
   * @param values at least one, in the order the resolver returned them
   * @param ttl how long the answer may be kept: the smallest TTL of its records and of the CNAMEs
   *     followed (what remains of it when the answer comes from a cache)
   * @param aliases the CNAMEs followed from the name asked, in order; empty when the name itself
   *     holds the records
   */
  record Found<T>(List<T> values, Duration ttl, List<Alias> aliases) implements Answer<T> {
    public Found {
      values = List.copyOf(values);
      aliases = List.copyOf(aliases);
      Objects.requireNonNull(ttl, "ttl");
      if (values.isEmpty()) {
        throw new IllegalArgumentException("a Found answer has at least one value");
      }
    }

    @Override
    public String describe() {
      return "found " + values.size() + " (ttl " + ttl.toSeconds() + "s)";
    }
  }

  /** Why a name has no records of the type asked. */
  enum Absence {
    /** The name does not exist at all (rcode 3). */
    NXDOMAIN,
    /** The name exists but has no records of the type asked (NOERROR, empty answer). */
    NODATA
  }

  /**
   * The resolver answered that there are no such records.
   *
   * @param ttl how long the answer may be kept (RFC 2308: the SOA's TTL or MINIMUM, the smaller);
   *     zero when the answer carried no SOA
   * @param aliases the CNAMEs followed before the name that has nothing
   */
  record NotFound<T>(Absence absence, Duration ttl, List<Alias> aliases) implements Answer<T> {
    public NotFound {
      Objects.requireNonNull(absence, "absence");
      Objects.requireNonNull(ttl, "ttl");
      aliases = List.copyOf(aliases);
    }

    @Override
    public String describe() {
      return absence == Absence.NXDOMAIN
          ? "NXDOMAIN (the name does not exist)"
          : "NODATA (no record of this type)";
    }
  }

  /** Why a lookup could not be made, most telling first. */
  enum Failure {
    /** A resolver answered SERVFAIL: it could not get an answer itself. */
    SERVFAIL,
    /** A resolver answered REFUSED: it will not answer us. */
    REFUSED,
    /** A resolver answered with another error code (FORMERR, NOTIMP, ...). */
    ERROR,
    /**
     * An answer that cannot be used: malformed, a CNAME loop or chain too long, or a referral from
     * a server that does not recurse.
     */
    BAD_ANSWER,
    /** Sending or receiving failed (unreachable, connection refused over TCP, ...). */
    NETWORK,
    /** No resolver answered in time. */
    TIMEOUT
  }

  /**
   * The lookup could not be made: nothing is known about the name.
   *
   * @param failure the most telling failure of all the tries
   * @param detail what happened, for people: the resolvers and their answers
   */
  record Unknown<T>(Failure failure, String detail) implements Answer<T> {
    public Unknown {
      Objects.requireNonNull(failure, "failure");
      Objects.requireNonNull(detail, "detail");
    }

    /** The same outcome, as the answer to a lookup of another type. */
    public <U> Unknown<U> retyped() {
      return new Unknown<>(failure, detail);
    }

    @Override
    public String describe() {
      return "unknown, " + failure + ": " + detail;
    }
  }
}

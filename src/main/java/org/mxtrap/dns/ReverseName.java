package org.mxtrap.dns;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A client's reverse name, as {@link ReverseNames} found it: {@link Verified} (forward-confirmed),
 * {@link Unverified}, {@link None} or {@link Unknown}. Only a verified name is ever shown as the
 * client's name (Received header, decision log); the others say why there is none.
 */
public sealed interface ReverseName
    permits ReverseName.Verified, ReverseName.Unverified, ReverseName.None, ReverseName.Unknown {

  /** One phrase for people: {@code mail.example.net (verified)}, {@code none (NXDOMAIN)}, ... */
  String describe();

  /** The verified name, or null when there is none. */
  default @Nullable String verifiedName() {
    return this instanceof Verified v ? v.name() : null;
  }

  /**
   * A PTR name of the client whose own addresses include the client's.
   *
   * @param name lower case, without the final dot
   */
  record Verified(String name) implements ReverseName {
    public Verified {
      Objects.requireNonNull(name, "name");
    }

    @Override
    public String describe() {
      return name + " (verified)";
    }
  }

  /**
   * The client has PTR names, but none of them leads back to its address (or none is a host name).
   *
   * @param names the PTR names looked at
   * @param why what each forward lookup found
   */
  record Unverified(List<String> names, String why) implements ReverseName {
    public Unverified {
      names = List.copyOf(names);
      Objects.requireNonNull(why, "why");
    }

    @Override
    public String describe() {
      return "unverified: " + why;
    }
  }

  /** The client's address has no PTR record (NXDOMAIN or NODATA). */
  record None(Answer.Absence absence) implements ReverseName {
    public None {
      Objects.requireNonNull(absence, "absence");
    }

    @Override
    public String describe() {
      return "none (" + absence + ")";
    }
  }

  /** The lookups could not be made in time: nothing is known. */
  record Unknown(String why) implements ReverseName {
    public Unknown {
      Objects.requireNonNull(why, "why");
    }

    @Override
    public String describe() {
      return "unknown: " + why;
    }
  }
}

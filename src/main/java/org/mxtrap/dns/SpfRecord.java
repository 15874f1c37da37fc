package org.mxtrap.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * One SPF record, parsed (RFC 7208 sections 4.6.1, 5, 6 and 12): its directives in order and its
 * {@code redirect}. The whole record is parsed before any of it is evaluated, so that a syntax
 * error anywhere is a permerror whatever would have matched first (4.6). {@code exp} and unknown
 * modifiers are checked for syntax, then ignored: mxtrap gives no explanations.
 *
 * @param directives the mechanisms with their qualifiers, in order
 * @param redirect the {@code redirect} domain-spec, or null; followed only when no mechanism
 *     matched, so never after {@code all}, which always matches (6.1 ignores it then)
 */
record SpfRecord(List<Directive> directives, @Nullable SpfMacroString redirect) {

  /** A record that cannot be interpreted; the message says where. */
  static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxError(String message) {
      super(message, null, false, false);
    }
  }

  enum Mechanism {
    ALL,
    INCLUDE,
    A,
    MX,
    PTR,
    IP4,
    IP6,
    EXISTS;

    /** Whether the term counts toward the limit of 10 DNS-querying terms (4.6.4). */
    boolean queriesDns() {
      return this != ALL && this != IP4 && this != IP6;
    }
  }

  /**
   * One mechanism with its qualifier.
   *
   * @param text as written, for reasons
   * @param qualifier the result when it matches
   * @param domain the domain-spec; null for {@code all}, {@code ip4}, {@code ip6}, and for {@code
   *     a}, {@code mx}, {@code ptr} without one (the current domain)
   * @param network for {@code ip4} and {@code ip6}
   * @param v4Length for {@code a} and {@code mx}: the prefix length matched for an IPv4 client
   * @param v6Length likewise for an IPv6 client
   */
  record Directive(
      String text,
      SpfResult qualifier,
      Mechanism mechanism,
      @Nullable SpfMacroString domain,
      @Nullable Cidr network,
      int v4Length,
      int v6Length) {}

  private static final String VERSION = "v=spf1";
  private static final Pattern MODIFIER = Pattern.compile("([a-zA-Z][a-zA-Z0-9_.-]*)=(.*)");
  private static final Pattern NAME = Pattern.compile("([a-zA-Z][a-zA-Z0-9]*)(.*)");
  private static final String LENGTH = "(0|[1-9][0-9]{0,2})";

  /** {@code [:domain-spec][/ip4-cidr][//ip6-cidr]} after {@code a} or {@code mx}. */
  private static final Pattern DUAL_CIDR =
      Pattern.compile("(?::(.*?))?(?:/" + LENGTH + ")?(?://" + LENGTH + ")?");

  /** {@code :network[/cidr]} after {@code ip4} or {@code ip6}. */
  private static final Pattern NETWORK = Pattern.compile(":([^/]*)(?:/" + LENGTH + ")?");

  /**
   * Whether a TXT record is an SPF record: {@code v=spf1} in any case, then a space or the end
   * (4.5).
   */
  static boolean isSpf(String txt) {
    return txt.regionMatches(true, 0, VERSION, 0, VERSION.length())
        && (txt.length() == VERSION.length() || txt.charAt(VERSION.length()) == ' ');
  }

  /** Parses a record that {@link #isSpf}. */
  static SpfRecord parse(String txt) throws SyntaxError {
    List<Directive> directives = new ArrayList<>();
    SpfMacroString redirect = null;
    boolean exp = false;
    for (String term : txt.substring(VERSION.length()).split(" ")) {
      if (term.isEmpty()) {
        continue; // terms are separated by one or more spaces
      }
      Matcher modifier = MODIFIER.matcher(term);
      if (!modifier.matches()) {
        directives.add(directive(term));
        continue;
      }
      String name = modifier.group(1).toLowerCase(Locale.ROOT);
      String value = modifier.group(2);
      switch (name) {
        case "redirect" -> {
          if (redirect != null) {
            throw new SyntaxError("more than one redirect");
          }
          redirect = SpfMacroString.domainSpec(value);
        }
        case "exp" -> {
          if (exp) {
            throw new SyntaxError("more than one exp");
          }
          exp = true;
          SpfMacroString.domainSpec(value);
        }
        default -> SpfMacroString.parse(value, true);
      }
    }
    return new SpfRecord(List.copyOf(directives), redirect);
  }

  private static Directive directive(String term) throws SyntaxError {
    SpfResult qualifier =
        switch (term.charAt(0)) {
          case '-' -> SpfResult.FAIL;
          case '~' -> SpfResult.SOFTFAIL;
          case '?' -> SpfResult.NEUTRAL;
          default -> SpfResult.PASS;
        };
    String rest = "+-~?".indexOf(term.charAt(0)) >= 0 ? term.substring(1) : term;
    Matcher m = NAME.matcher(rest);
    if (!m.matches()) {
      throw new SyntaxError("not a term: " + term);
    }
    String name = m.group(1).toLowerCase(Locale.ROOT);
    String arg = m.group(2);
    Mechanism mechanism;
    try {
      mechanism = Mechanism.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SyntaxError("unknown mechanism: " + term);
    }
    return switch (mechanism) {
      case ALL -> {
        if (!arg.isEmpty()) {
          throw new SyntaxError("all takes no argument: " + term);
        }
        yield new Directive(term, qualifier, mechanism, null, null, 32, 128);
      }
      case INCLUDE, EXISTS, PTR -> {
        boolean optional = mechanism == Mechanism.PTR;
        if (arg.isEmpty() && optional) {
          yield new Directive(term, qualifier, mechanism, null, null, 32, 128);
        }
        if (!arg.startsWith(":")) {
          throw new SyntaxError("expected ':domain' in " + term);
        }
        SpfMacroString domain = SpfMacroString.domainSpec(arg.substring(1));
        yield new Directive(term, qualifier, mechanism, domain, null, 32, 128);
      }
      case A, MX -> {
        Matcher c = DUAL_CIDR.matcher(arg);
        if (!c.matches()) {
          throw new SyntaxError("expected [:domain][/len][//len] in " + term);
        }
        SpfMacroString domain = c.group(1) == null ? null : SpfMacroString.domainSpec(c.group(1));
        yield new Directive(
            term,
            qualifier,
            mechanism,
            domain,
            null,
            length(c.group(2), 32, term),
            length(c.group(3), 128, term));
      }
      case IP4, IP6 -> {
        Matcher c = NETWORK.matcher(arg);
        InetAddress address =
            c.matches() && (c.group(1).indexOf(':') >= 0) == (mechanism == Mechanism.IP6)
                ? Addresses.parse(c.group(1)).orElse(null)
                : null;
        if (address == null) {
          throw new SyntaxError("not an " + name + " network: " + term);
        }
        int length = length(c.group(2), mechanism == Mechanism.IP4 ? 32 : 128, term);
        if (mechanism == Mechanism.IP6 && address instanceof Inet4Address) {
          length = Math.max(0, length - 96); // ::ffff:192.0.2.0/120, IPv4-mapped: 192.0.2.0/24
        }
        yield new Directive(term, qualifier, mechanism, null, Cidr.of(address, length), 32, 128);
      }
    };
  }

  /** A prefix length as written, {@code max} when absent. */
  private static int length(@Nullable String written, int max, String term) throws SyntaxError {
    if (written == null) {
      return max;
    }
    int length = Integer.parseInt(written);
    if (length > max) {
      throw new SyntaxError("prefix length over " + max + " in " + term);
    }
    return length;
  }
}

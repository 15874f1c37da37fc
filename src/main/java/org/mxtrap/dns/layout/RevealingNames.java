package org.mxtrap.dns.layout;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * MX host names that give a trap away. A spammer reads the MX records before it picks one; a name
 * like {@code spamtrap.example.com} tells it which host to avoid, and the trap catches nothing.
 *
 * <p>A name reveals a trap when the labels that set it apart from the domain contain one of {@link
 * #WORDS} anywhere, as a label or inside one ({@code trap}, {@code mx-trap}, {@code honeypot},
 * {@code catchall}, {@code antispam}). The labels it shares with the domain, counted from the
 * right, are not read: every MX of {@code mxtrap.example} carries "trap" in its name, so none of
 * them stands out. Matching inside labels catches words the operator meant innocently too ({@code
 * antispam}); that is on purpose: a spammer reads them the same way.
 */
final class RevealingNames {
  private RevealingNames() {}

  /** The words looked for, lower case. */
  static final List<String> WORDS = List.of("trap", "spam", "honey", "catch", "bait");

  /**
   * The first of {@link #WORDS} in the labels of {@code host} that it does not share with {@code
   * domain}, if any. Both names lower case, without the final dot.
   */
  static Optional<String> word(String host, String domain) {
    String own = distinguishing(host, domain);
    return WORDS.stream().filter(own::contains).findFirst();
  }

  /**
   * The labels of {@code host} left of the longest label suffix it shares with {@code domain},
   * joined with dots: {@code mx2} for {@code mx2.example.com} in {@code example.com}, {@code
   * backup.other} for {@code backup.other.net} in {@code example.net}; empty when {@code host} is
   * the domain or a parent of it.
   */
  static String distinguishing(String host, String domain) {
    List<String> h = labels(host);
    List<String> d = labels(domain);
    int shared = 0;
    while (shared < h.size()
        && shared < d.size()
        && h.get(h.size() - 1 - shared).equals(d.get(d.size() - 1 - shared))) {
      shared++;
    }
    return String.join(".", h.subList(0, h.size() - shared));
  }

  private static List<String> labels(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.isEmpty() ? List.of() : Arrays.asList(n.split("\\."));
  }
}

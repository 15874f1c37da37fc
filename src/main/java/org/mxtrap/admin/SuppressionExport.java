package org.mxtrap.admin;

import java.time.Instant;
import java.util.List;
import org.mxtrap.config.ExportSettings.Format;
import org.mxtrap.core.Cidr;

/**
 * The active suppressions written for the rest of a site's defences, in one of the {@link Format}s:
 * the text of {@code GET /suppressions/export}, {@code mxtrap suppressions export} and {@code
 * export.file}. Each address is written bare for a single address, as CIDR for a network. Pure
 * functions; the formats:
 *
 * <pre>
 * nft      # comment lines
 *          table inet mxtrap { set trapped4 {...}; set trapped6 {...} }   declared, kept if present
 *          flush set inet mxtrap trapped4; flush set inet mxtrap trapped6
 *          table inet mxtrap { set trapped4 { ...; elements = { 192.0.2.7, 198.51.100.0/24 } } ... }
 *            One transaction under {@code nft -f}: the sets are replaced whole, and the rest of the
 *            table (the operator's chains that use {@code @trapped4}, {@code @trapped6}) is kept.
 *            Sets have {@code flags interval; auto-merge}: a prefix inside another merges into it.
 * ipset    # comment lines
 *          create mxtrap-trapped4 hash:net family inet maxelem 1048576 -exist   (and ...6, inet6)
 *          create mxtrap-trapped4-new ... -exist, flush, add mxtrap-trapped4-new ADDRESS ...
 *          swap mxtrap-trapped4-new mxtrap-trapped4, destroy mxtrap-trapped4-new
 *            For {@code ipset restore}: each set is filled aside and swapped in, in one step.
 * rbldnsd  # comment lines
 *          $DATASET ip4set:mxtrap @         then ip6trie: one {@code combined} dataset, one zone
 *          :127.0.0.2:listed by mxtrap       the default A value and TXT
 *          192.0.2.7 mx-skip until 2026-01-02T03:04:05Z        TXT: the reason and the end
 * csv      address,since,until,reason,offences    CRLF line ends, RFC 4180 quoting, ISO-8601 UTC
 *          192.0.2.7,2026-01-01T03:04:05Z,2026-01-02T03:04:05Z,mx-skip,1
 * </pre>
 */
public final class SuppressionExport {
  private SuppressionExport() {}

  /**
   * The most entries an ipset set holds. Fixed: {@code create -exist} refuses a set that exists
   * with other parameters. A hash:net set takes memory per entry, not per {@code maxelem}.
   */
  static final int IPSET_MAXELEM = 1 << 20;

  /** The A value every rbldnsd entry answers, the usual "listed" value of a DNSBL. */
  static final String RBLDNSD_A = "127.0.0.2";

  /** The export of {@code active}, as of {@code now}, in {@code format}. */
  public static String render(Format format, List<Suppressions.Entry> active, Instant now) {
    String about =
        "# mxtrap: "
            + active.size()
            + " active suppression(s) at "
            + now
            + ", format "
            + format.label()
            + "\n";
    return switch (format) {
      case NFT -> about + nft(active);
      case IPSET -> about + ipset(active);
      case RBLDNSD -> about + rbldnsd(active);
      case CSV -> csv(active);
    };
  }

  private static String nft(List<Suppressions.Entry> active) {
    StringBuilder b =
        new StringBuilder(
            """
            # Load with nft -f; a chain of your own in this table uses the sets, e.g.
            #   table inet mxtrap { chain smtp { type filter hook input priority -10;
            #     tcp dport 25 ip saddr @trapped4 drop; tcp dport 25 ip6 saddr @trapped6 drop; }; }
            table inet mxtrap {
              set trapped4 { type ipv4_addr; flags interval; auto-merge; }
              set trapped6 { type ipv6_addr; flags interval; auto-merge; }
            }
            flush set inet mxtrap trapped4
            flush set inet mxtrap trapped6
            table inet mxtrap {
            """);
    for (boolean v4 : new boolean[] {true, false}) {
      List<String> elements = addresses(active, v4);
      b.append("  set trapped")
          .append(v4 ? "4" : "6")
          .append(" {\n    type ")
          .append(v4 ? "ipv4_addr" : "ipv6_addr")
          .append("; flags interval; auto-merge;\n");
      if (!elements.isEmpty()) {
        b.append("    elements = {\n      ")
            .append(String.join(",\n      ", elements))
            .append("\n    }\n");
      }
      b.append("  }\n");
    }
    return b.append("}\n").toString();
  }

  private static String ipset(List<Suppressions.Entry> active) {
    StringBuilder b = new StringBuilder("# Load with ipset restore -f FILE\n");
    for (boolean v4 : new boolean[] {true, false}) {
      String set = "mxtrap-trapped" + (v4 ? "4" : "6");
      String fresh = set + "-new";
      String create =
          " hash:net family " + (v4 ? "inet" : "inet6") + " maxelem " + IPSET_MAXELEM + " -exist\n";
      b.append("create ").append(set).append(create);
      b.append("create ").append(fresh).append(create);
      b.append("flush ").append(fresh).append('\n');
      for (String a : addresses(active, v4)) {
        b.append("add ").append(fresh).append(' ').append(a).append('\n');
      }
      b.append("swap ").append(fresh).append(' ').append(set).append('\n');
      b.append("destroy ").append(fresh).append('\n');
    }
    return b.toString();
  }

  private static String rbldnsd(List<Suppressions.Entry> active) {
    StringBuilder b =
        new StringBuilder("# An rbldnsd combined dataset: rbldnsd ... ZONE:combined:FILE\n");
    for (boolean v4 : new boolean[] {true, false}) {
      b.append("$DATASET ")
          .append(v4 ? "ip4set:mxtrap4" : "ip6trie:mxtrap6")
          .append(" @\n:")
          .append(RBLDNSD_A)
          .append(":listed by mxtrap\n");
      for (Suppressions.Entry e : active) {
        if (Cidr.parse(e.address()).isV4() == v4) {
          // A TXT template: $ would be replaced, a leading colon read as an A value.
          b.append(e.address())
              .append(' ')
              .append(e.reason().replaceAll("[^A-Za-z0-9._-]", "-"))
              .append(" until ")
              .append(e.until())
              .append('\n');
        }
      }
    }
    return b.toString();
  }

  private static String csv(List<Suppressions.Entry> active) {
    StringBuilder b = new StringBuilder("address,since,until,reason,offences\r\n");
    for (Suppressions.Entry e : active) {
      b.append(e.address())
          .append(',')
          .append(e.since())
          .append(',')
          .append(e.until())
          .append(',')
          .append(csvField(e.reason()))
          .append(',')
          .append(e.offences())
          .append("\r\n");
    }
    return b.toString();
  }

  /** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
  static String csvField(String text) {
    if (text.chars().noneMatch(c -> c == ',' || c == '"' || c == '\r' || c == '\n')) {
      return text;
    }
    return '"' + text.replace("\"", "\"\"") + '"';
  }

  /** The addresses of one family, as written. */
  private static List<String> addresses(List<Suppressions.Entry> active, boolean v4) {
    return active.stream()
        .map(Suppressions.Entry::address)
        .filter(a -> Cidr.parse(a).isV4() == v4)
        .toList();
  }
}

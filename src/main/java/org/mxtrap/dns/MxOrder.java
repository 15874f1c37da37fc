package org.mxtrap.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The outcome of locating a domain's target hosts (RFC 5321 5.1, {@link MxLocator}): an {@link
 * Ordered} list to try, or {@link Failed} with why, permanent or not.
 */
public sealed interface MxOrder permits MxOrder.Ordered, MxOrder.Failed {

  /** The domain asked for, lower case without the final dot. */
  String domain();

  /** The hosts looked up, in delivery order (for {@link Failed}: what was found on the way). */
  List<TargetHost> hosts();

  /** Remarks on the whole order: an implicit MX, a null MX, this host in the list, limits. */
  List<Note> notes();

  /**
   * Hosts to try, most preferred first, hosts of equal preference in random order. At least one
   * host has an address; hosts without one stay in the list, with a note, and are skipped.
   */
  record Ordered(String domain, List<TargetHost> hosts, List<Note> notes) implements MxOrder {
    public Ordered {
      Objects.requireNonNull(domain, "domain");
      hosts = List.copyOf(hosts);
      notes = List.copyOf(notes);
    }

    /** Every address to try, in order. */
    public List<InetAddress> addresses() {
      return hosts.stream().flatMap(h -> h.addresses().stream()).toList();
    }
  }

  /** Why no order could be given. */
  enum Failure {
    /** The domain's only MX record is a null MX (RFC 7505): it accepts no mail. */
    NULL_MX(true),
    /** The domain does not exist (NXDOMAIN). */
    NO_SUCH_DOMAIN(true),
    /** No MX host (or, without MX records, the domain itself) has an address. */
    NO_ADDRESS(true),
    /** This host is the most preferred MX: forwarding would send the mail back to itself. */
    LOOPS_BACK(true),
    /**
     * This host is an MX, and no host of a lower preference number has a known address (Postfix:
     * "unable to find primary relay"): try again later.
     */
    NO_BETTER_HOST(false),
    /** Lookups that decide the order could not be made: try again later. */
    UNKNOWN(false);

    private final boolean permanent;

    Failure(boolean permanent) {
      this.permanent = permanent;
    }

    /** Whether asking again later cannot help: a sender bounces; otherwise it defers. */
    public boolean permanent() {
      return permanent;
    }

    /** The failure as programs read it: {@code null-mx}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * No order.
   *
   * @param reason why, for people
   */
  record Failed(
      String domain, Failure failure, String reason, List<TargetHost> hosts, List<Note> notes)
      implements MxOrder {
    public Failed {
      Objects.requireNonNull(domain, "domain");
      Objects.requireNonNull(failure, "failure");
      Objects.requireNonNull(reason, "reason");
      hosts = List.copyOf(hosts);
      notes = List.copyOf(notes);
    }
  }
}

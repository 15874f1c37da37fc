package org.mxtrap.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.mxtrap.config.Limits;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.config.RecipientSettings;
import org.mxtrap.delivery.RecipientVerifier;

/**
 * What this host can afford, decided once at start: how many connections each layout entry and the
 * tarpit may hold, and how much message content may be held in memory, so that neither descriptors
 * nor heap can run out whatever clients do (issue 9: a hostile client meets an MX on its first
 * day).
 *
 * <h2>Descriptors</h2>
 *
 * Every connection costs one descriptor while it is open. {@code limits.max_connections} per served
 * entry plus {@code suppress.tarpit_max} must fit under {@code RLIMIT_NOFILE} (the JVM raises its
 * soft limit to the hard one at start, and so does the launcher) less a reserve for everything else
 * (spool and Maildir files, the logs, the state database, DNS sockets, the admin API): a tenth of
 * the limit, at least {@value #FD_RESERVE_MIN}. When they do not fit, the tarpit's share is cut to
 * a quarter of what is left first and the entries share the rest, loudly: a tarpit full of spammers
 * never takes the descriptors of the primary's clients.
 *
 * <h2>Memory</h2>
 *
 * The heap must hold, besides the server itself ({@value #BASE_MEMORY_MB} MiB) and what it
 * remembers ({@link #rememberedMemory}: the contact history at {@value #CONTACT_MEMORY} octets per
 * network, the answers of recipient verification when it is on): the message memory budget ({@code
 * limits.message_memory}, a quarter of the heap when {@code auto}); {@value #CONNECTION_MEMORY_KB}
 * KiB per connection, what a session costs at its most (in DATA, spooling: a line buffer, a content
 * chunk and a spool buffer of 8 KiB each, its socket and its virtual thread), {@value
 * #TLS_MEMORY_KB} KiB more when STARTTLS is offered (an idle TLS session was measured at 15.7 KiB
 * more live heap than a plain one: the engine's state and deeper frames; in DATA a record buffer of
 * up to 16 KiB comes on top); and {@value #TARPIT_MEMORY} octets per tarpitted connection. When the
 * connection limits do not fit in the heap, they are scaled down together, loudly. {@link #heapFor}
 * is the inverse: the heap that fits a configuration, which the launcher asks for when no {@code
 * -Xmx} is given.
 *
 * @param maxConnections connections per served layout entry
 * @param tarpitMax connections held in the tarpit
 * @param messageMemory octets of message content held in memory across all sessions
 * @param cuts what had to be lowered and why, one sentence each; empty when the configuration fits
 */
record Resources(int maxConnections, int tarpitMax, long messageMemory, List<String> cuts) {

  static final int FD_RESERVE_MIN = 128;
  static final long BASE_MEMORY_MB = 64;
  static final long BASE_MEMORY = BASE_MEMORY_MB << 20;
  static final long CONTACT_MEMORY = 128;
  static final long CONNECTION_MEMORY_KB = 32;
  static final long CONNECTION_MEMORY = CONNECTION_MEMORY_KB << 10;
  static final long TARPIT_MEMORY = 2048;
  static final long VERIFIED_MEMORY = 200;
  static final long TLS_MEMORY_KB = 32;

  /** The smallest heap {@link #heapFor} proposes. */
  static final long MIN_HEAP = 256L << 20;

  Resources {
    cuts = List.copyOf(cuts);
  }

  /**
   * The plan for this host.
   *
   * @param limits the configured limits
   * @param tarpitMax the configured {@code suppress.tarpit_max}
   * @param remembered octets of heap the contact history and caches take at most ({@link
   *     #rememberedMemory})
   * @param servedEntries layout entries this host listens for (at least one)
   * @param openFiles the process's descriptor limit
   * @param maxHeap the JVM's heap limit ({@link Runtime#maxMemory()})
   * @param tls whether STARTTLS is offered (a session may then cost more)
   * @throws IllegalStateException when not even one connection per entry fits, or the message
   *     memory alone is larger than the heap can give
   */
  static Resources plan(
      Limits limits,
      int tarpitMax,
      long remembered,
      int servedEntries,
      long openFiles,
      long maxHeap,
      boolean tls) {
    List<String> cuts = new ArrayList<>();
    long perConnection = connectionMemory(tls);
    int entries = Math.max(1, servedEntries);
    long messageMemory =
        limits.messageMemory() == Limits.AUTO ? maxHeap / 4 : limits.messageMemory();
    long fixed = BASE_MEMORY + remembered + messageMemory;
    if (fixed >= maxHeap) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "the heap (%s) cannot hold the server, the contact history and"
                  + " limits.message_memory (%s together): raise -Xmx or lower them",
              mib(maxHeap),
              mib(fixed)));
    }

    long connections = limits.maxConnections();
    long tarpit = tarpitMax;
    long reserve = Math.max(FD_RESERVE_MIN, openFiles / 10);
    long descriptors = openFiles - reserve;
    if (entries * connections + tarpit > descriptors) {
      long tarpitShare = Math.min(tarpit, Math.max(0, descriptors / 4));
      long perEntry = Math.min(connections, (descriptors - tarpitShare) / entries);
      cuts.add(
          String.format(
              Locale.ROOT,
              "descriptors: %d per entry x %d entries + tarpit %d do not fit in RLIMIT_NOFILE %d"
                  + " less %d reserved; using %d per entry and tarpit %d (raise the hard limit,"
                  + " e.g. LimitNOFILE= in the systemd unit, to serve more)",
              connections,
              entries,
              tarpit,
              openFiles,
              reserve,
              perEntry,
              tarpitShare));
      connections = perEntry;
      tarpit = tarpitShare;
    }

    long room = maxHeap - fixed;
    long need = entries * connections * perConnection + tarpit * TARPIT_MEMORY;
    if (need > room) {
      double f = (double) room / need;
      long perEntry = (long) Math.floor(connections * f);
      long tarpitShare = (long) Math.floor(tarpit * f);
      cuts.add(
          String.format(
              Locale.ROOT,
              "memory: %d per entry x %d entries at %d KiB + tarpit %d need %s, but the heap (%s)"
                  + " has %s after the server, the contact history and message memory; using %d"
                  + " per entry and tarpit %d (raise -Xmx, or let the launcher size it)",
              connections,
              entries,
              perConnection >> 10,
              tarpit,
              mib(need),
              mib(maxHeap),
              mib(room),
              perEntry,
              tarpitShare));
      connections = perEntry;
      tarpit = tarpitShare;
    }
    if (connections < 1) {
      throw new IllegalStateException(
          "not even one connection per layout entry fits: " + String.join("; ", cuts));
    }
    return new Resources((int) connections, (int) tarpit, messageMemory, cuts);
  }

  /**
   * The heap, in octets, that holds a configuration without cutting its limits: what the launcher
   * passes as {@code -Xmx} when none is given. At least {@link #MIN_HEAP}.
   */
  static long heapFor(
      Limits limits, int tarpitMax, long remembered, int servedEntries, boolean tls) {
    long entries = Math.max(1, servedEntries);
    long need =
        BASE_MEMORY
            + remembered
            + entries * limits.maxConnections() * connectionMemory(tls)
            + (long) tarpitMax * TARPIT_MEMORY;
    long heap =
        limits.messageMemory() == Limits.AUTO
            ? need + need / 3 // the budget is then a quarter of the heap
            : need + limits.messageMemory();
    heap = Math.max(MIN_HEAP, heap);
    return (heap + (1 << 20) - 1) & ~((1L << 20) - 1); // whole MiB
  }

  /**
   * What {@code config}'s memory of clients and recipients takes at most, in octets: {@code
   * state.max_contacts} networks, and with {@code recipients.mode: verify} the verifier's cache
   * ({@link RecipientVerifier#MAX_CACHED} answers of {@link #VERIFIED_MEMORY} octets).
   */
  static long rememberedMemory(MxtrapConfig config) {
    long contacts = (long) config.state().maxContacts() * CONTACT_MEMORY;
    boolean verify = config.recipients().mode() == RecipientSettings.Mode.VERIFY;
    return contacts + (verify ? (long) RecipientVerifier.MAX_CACHED * VERIFIED_MEMORY : 0);
  }

  /** What one session may cost at its most, in octets. */
  static long connectionMemory(boolean tls) {
    return CONNECTION_MEMORY + (tls ? TLS_MEMORY_KB << 10 : 0);
  }

  private static String mib(long octets) {
    return (octets >> 20) + " MiB";
  }
}

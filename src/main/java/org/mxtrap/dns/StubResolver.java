package org.mxtrap.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.DnsSettings;
import org.mxtrap.core.Addresses;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.WireParseException;

/**
 * The {@link Dns} port over dnsjava: a stub resolver (RFC 1034 5.3.1) that asks recursive resolvers
 * and never recurses itself.
 *
 * <p><b>Tries.</b> A lookup asks the resolvers in the order given, one try each, for {@code 1 +
 * retries} rounds, and stops at the first answer that decides the question: records, NXDOMAIN or
 * NODATA. SERVFAIL, REFUSED or another error code, a timeout ({@code timeout} per try), a network
 * error or a malformed answer moves on to the next try, as the C library's resolver does; when
 * every try failed the outcome is {@link Answer.Unknown} with the most telling failure (an error
 * code a resolver sent before a timeout) and every resolver's last word. A UDP answer with the TC
 * bit set is asked again over TCP (dnsjava's {@link SimpleResolver} does this within the try).
 *
 * <p><b>CNAMEs</b> are followed through the answer section from the name asked, at most {@value
 * #MAX_CNAMES} of them; a chain the resolver left unfinished is asked on from where it stopped. A
 * loop or a longer chain is {@link Answer.Failure#BAD_ANSWER}, and so is a referral (an answer with
 * neither records nor SOA but NS records, without the AA flag): the server asked does not recurse,
 * so its silence says nothing about the name. Only records whose owner is the name asked, or a
 * CNAME target on the way, are used; the rest of a message is ignored.
 *
 * <p><b>Cache.</b> Answers are kept per name and type for their TTL, at most {@link #MAX_TTL};
 * NXDOMAIN and NODATA for the SOA's negative TTL (RFC 2308), at most {@link #MAX_NEGATIVE_TTL};
 * unknown outcomes never (see {@link AnswerCache}). At most {@value #CACHE_ENTRIES} answers.
 *
 * <p><b>Events.</b> Every lookup the cache did not answer is told as one {@link Event.DnsAsked}:
 * its type, its outcome and how long it took.
 *
 * <p>Thread-safe; every lookup blocks its caller (a virtual thread is cheap to block), for at most
 * {@code timeout × resolvers × (1 + retries)} per name asked.
 */
public final class StubResolver implements Dns {

  /** The most CNAMEs followed for one lookup (BIND and Postfix stop at about this many). */
  static final int MAX_CNAMES = 8;

  static final Duration MAX_TTL = Duration.ofDays(1);
  static final Duration MAX_NEGATIVE_TTL = Duration.ofHours(1);
  static final int CACHE_ENTRIES = 10_000;

  private record Server(InetSocketAddress address, SimpleResolver resolver) {
    String label() {
      return Addresses.literal(address.getAddress(), address.getPort());
    }
  }

  private final List<Server> servers;
  private final Duration timeout;
  private final int retries;
  private final AnswerCache cache;
  private final Events events;

  /**
   * @param resolvers the recursive resolvers to ask, in order; at least one
   * @param timeout how long one try waits for its answer
   * @param retries rounds after the first
   * @param clock the time the cache goes by
   * @param cacheEntries the most answers kept
   * @param events told of every lookup the cache did not answer
   */
  StubResolver(
      List<InetSocketAddress> resolvers,
      Duration timeout,
      int retries,
      Clock clock,
      int cacheEntries,
      Events events) {
    if (resolvers.isEmpty()) {
      throw new IllegalArgumentException("no resolver to ask");
    }
    this.servers =
        resolvers.stream()
            .map(
                a -> {
                  SimpleResolver r = new SimpleResolver(a);
                  r.setTimeout(timeout);
                  return new Server(a, r);
                })
            .toList();
    this.timeout = timeout;
    this.retries = retries;
    this.cache = new AnswerCache(clock, cacheEntries, MAX_TTL, MAX_NEGATIVE_TTL);
    this.events = events;
  }

  /**
   * A resolver for {@code settings}: its resolvers, or the system's for {@code system}; answers
   * cached by {@code clock}; each lookup made told to {@code events}.
   */
  public static StubResolver create(DnsSettings settings, Clock clock, Events events) {
    List<InetSocketAddress> resolvers =
        settings.system() ? systemResolvers() : settings.resolvers();
    return new StubResolver(
        resolvers, settings.timeout(), settings.retries(), clock, CACHE_ENTRIES, events);
  }

  /**
   * The name servers of {@code /etc/resolv.conf} (as dnsjava reads it; its {@code timeout} and
   * {@code attempts} options are not used), or 127.0.0.1:53 when it names none, as the C library
   * does.
   */
  static List<InetSocketAddress> systemResolvers() {
    List<InetSocketAddress> servers = ResolverConfig.getCurrentConfig().servers();
    return servers.isEmpty()
        ? List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), DnsSettings.DNS_PORT))
        : List.copyOf(servers);
  }

  /** The resolvers asked, in order. */
  public List<InetSocketAddress> resolvers() {
    return servers.stream().map(Server::address).toList();
  }

  @Override
  public Answer<MxRecord> mx(String domain) {
    return lookup(
        name(domain),
        Type.MX,
        r -> new MxRecord(((MXRecord) r).getPriority(), text(((MXRecord) r).getTarget())));
  }

  @Override
  public Answer<InetAddress> a(String host) {
    return lookup(
        name(host), Type.A, r -> Addresses.byAddress(((ARecord) r).getAddress().getAddress()));
  }

  @Override
  public Answer<InetAddress> aaaa(String host) {
    return lookup(
        name(host),
        Type.AAAA,
        r -> Addresses.byAddress(((AAAARecord) r).getAddress().getAddress()));
  }

  @Override
  public Answer<String> ptr(InetAddress address) {
    return lookup(
        ReverseMap.fromAddress(Addresses.unmap(address)),
        Type.PTR,
        r -> text(((PTRRecord) r).getTarget()));
  }

  @Override
  public Answer<String> txt(String name) {
    return lookup(
        name(name),
        Type.TXT,
        r ->
            ((TXTRecord) r)
                .getStringsAsByteArrays().stream()
                    .map(b -> new String(b, StandardCharsets.UTF_8))
                    .collect(Collectors.joining()));
  }

  // --- one lookup -------------------------------------------------------------------------------

  private <T> Answer<T> lookup(Name name, int type, Function<Record, T> value) {
    AnswerCache.Key key = new AnswerCache.Key(name.canonicalize().toString(), type);
    @SuppressWarnings("unchecked") // a key's answers all come from this method with its type
    Answer<T> cached = (Answer<T>) cache.get(key);
    if (cached != null) {
      return cached;
    }
    long started = System.nanoTime();
    Answer<T> answer = resolve(name, type, value);
    events.on(
        new Event.DnsAsked(
            recordType(type), outcome(answer), Duration.ofNanos(System.nanoTime() - started)));
    cache.put(key, answer);
    return answer;
  }

  private static Event.RecordType recordType(int type) {
    return switch (type) {
      case Type.A -> Event.RecordType.A;
      case Type.AAAA -> Event.RecordType.AAAA;
      case Type.PTR -> Event.RecordType.PTR;
      case Type.MX -> Event.RecordType.MX;
      case Type.TXT -> Event.RecordType.TXT;
      default -> throw new IllegalArgumentException("not a type mxtrap asks: " + Type.string(type));
    };
  }

  private static Event.Lookup outcome(Answer<?> answer) {
    return switch (answer) {
      case Answer.Found<?> f -> Event.Lookup.FOUND;
      case Answer.NotFound<?> n -> Event.Lookup.NONE;
      case Answer.Unknown<?> u -> Event.Lookup.UNKNOWN;
    };
  }

  /** Asks for {@code name}, following CNAMEs, until an answer decides it. */
  private <T> Answer<T> resolve(Name name, int type, Function<Record, T> value) {
    List<Answer.Alias> aliases = new ArrayList<>();
    List<Name> seen = new ArrayList<>();
    long ttl = Long.MAX_VALUE;
    Name current = name;
    while (true) {
      Reply reply = exchange(current, type);
      if (reply.unknown() != null) {
        return reply.unknown().retyped();
      }
      Message m = Objects.requireNonNull(reply.message()); // known when unknown is not
      List<Record> answer = m.getSection(Section.ANSWER);
      boolean followedHere = false;
      while (true) {
        List<Record> records = owned(answer, current, type);
        if (!records.isEmpty()) {
          for (Record r : records) {
            ttl = Math.min(ttl, r.getTTL());
          }
          return new Answer.Found<>(
              records.stream().map(value).toList(), Duration.ofSeconds(ttl), aliases);
        }
        List<Record> cnames = owned(answer, current, Type.CNAME);
        if (cnames.isEmpty()) {
          break;
        }
        if (seen.contains(current) || seen.size() >= MAX_CNAMES) {
          return new Answer.Unknown<>(
              Answer.Failure.BAD_ANSWER,
              "a CNAME loop or a chain of more than "
                  + MAX_CNAMES
                  + " CNAMEs at "
                  + text(current)
                  + " (from "
                  + servers.size()
                  + " resolver(s))");
        }
        CNAMERecord cname = (CNAMERecord) cnames.get(0);
        seen.add(current);
        ttl = Math.min(ttl, cname.getTTL());
        aliases.add(new Answer.Alias(text(current), text(cname.getTarget())));
        current = cname.getTarget();
        followedHere = true;
      }
      SOARecord soa = soa(m);
      if (m.getRcode() == Rcode.NXDOMAIN) {
        return new Answer.NotFound<>(Answer.Absence.NXDOMAIN, negativeTtl(soa), aliases);
      }
      if (soa != null || m.getHeader().getFlag(Flags.AA)) {
        return new Answer.NotFound<>(Answer.Absence.NODATA, negativeTtl(soa), aliases);
      }
      if (followedHere) {
        continue; // the resolver stopped at a CNAME: ask on for its target
      }
      if (!m.getSection(Section.AUTHORITY).isEmpty()
          && m.getSection(Section.AUTHORITY).stream().allMatch(r -> r.getType() == Type.NS)) {
        return new Answer.Unknown<>(
            Answer.Failure.BAD_ANSWER,
            "a referral instead of an answer for "
                + text(current)
                + " from "
                + reply.from()
                + ": is it a recursive resolver?");
      }
      // NOERROR, no records, no SOA: an answer all the same, not cacheable (RFC 2308 5).
      return new Answer.NotFound<>(Answer.Absence.NODATA, Duration.ZERO, aliases);
    }
  }

  /**
   * One question, asked of every resolver in turn for {@code 1 + retries} rounds: the first message
   * that decides it (NOERROR or NXDOMAIN), or the failure.
   */
  private record Reply(
      @Nullable Message message, String from, Answer.@Nullable Unknown<?> unknown) {}

  private Reply exchange(Name name, int type) {
    Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    Map<String, String> lastWord = new LinkedHashMap<>();
    Answer.Failure worst = Answer.Failure.TIMEOUT;
    int tries = 0;
    for (int round = 0; round <= retries; round++) {
      for (Server s : servers) {
        tries++;
        Answer.Failure failure;
        String word;
        CompletableFuture<Message> pending = s.resolver().sendAsync(query).toCompletableFuture();
        try {
          // One try, its TCP retry after a truncated UDP answer included, gets one timeout.
          // dnsjava's own I/O timeout is checked only about once a second, so we keep time here.
          Message m = pending.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
          int rcode = m.getRcode();
          if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
            return new Reply(m, s.label(), null);
          }
          failure =
              switch (rcode) {
                case Rcode.SERVFAIL -> Answer.Failure.SERVFAIL;
                case Rcode.REFUSED -> Answer.Failure.REFUSED;
                default -> Answer.Failure.ERROR;
              };
          word = Rcode.string(rcode);
        } catch (TimeoutException e) {
          pending.cancel(true);
          failure = Answer.Failure.TIMEOUT;
          word = "no answer within " + seconds(timeout);
        } catch (InterruptedException e) {
          pending.cancel(true);
          Thread.currentThread().interrupt();
          lastWord.put(s.label(), "interrupted");
          return new Reply(null, s.label(), unknown(name, type, worst, lastWord, tries));
        } catch (ExecutionException e) {
          Throwable cause = e.getCause() == null ? e : e.getCause();
          if (cause instanceof SocketTimeoutException) {
            failure = Answer.Failure.TIMEOUT;
            word = "no answer within " + seconds(timeout);
          } else if (cause instanceof WireParseException) {
            failure = Answer.Failure.BAD_ANSWER;
            word = "a malformed answer (" + cause.getMessage() + ")";
          } else if (cause instanceof PortUnreachableException) {
            failure = Answer.Failure.NETWORK;
            word = "port unreachable (nothing listens there)";
          } else {
            failure = Answer.Failure.NETWORK;
            word =
                cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
          }
        }
        if (failure.ordinal() < worst.ordinal()) {
          worst = failure;
        }
        lastWord.put(s.label(), word);
      }
    }
    return new Reply(null, "", unknown(name, type, worst, lastWord, tries));
  }

  private static Answer.Unknown<?> unknown(
      Name name, int type, Answer.Failure failure, Map<String, String> lastWord, int tries) {
    String words =
        lastWord.entrySet().stream()
            .map(e -> e.getKey() + ": " + e.getValue())
            .collect(Collectors.joining("; "));
    return new Answer.Unknown<>(
        failure,
        Type.string(type)
            + " "
            + text(name)
            + ": "
            + words
            + " ("
            + tries
            + (tries == 1 ? " try)" : " tries)"));
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** The records of {@code type} owned by {@code owner} in {@code section}. */
  private static List<Record> owned(List<Record> section, Name owner, int type) {
    List<Record> out = new ArrayList<>();
    for (Record r : section) {
      if (r.getType() == type && r.getDClass() == DClass.IN && r.getName().equals(owner)) {
        out.add(r);
      }
    }
    return out;
  }

  private static @Nullable SOARecord soa(Message m) {
    for (Record r : m.getSection(Section.AUTHORITY)) {
      if (r instanceof SOARecord soa) {
        return soa;
      }
    }
    return null;
  }

  /** RFC 2308 5: the smaller of the SOA record's TTL and its MINIMUM field; zero without SOA. */
  private static Duration negativeTtl(@Nullable SOARecord soa) {
    return soa == null
        ? Duration.ZERO
        : Duration.ofSeconds(Math.min(soa.getTTL(), soa.getMinimum()));
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text, Name.root);
    } catch (TextParseException e) {
      throw new IllegalArgumentException(
          "not a valid DNS name: " + text + " (" + e.getMessage() + ")", e);
    }
  }

  /** A name as {@link Dns} answers it: lower case, no final dot; the root is {@code "."}. */
  static String text(Name n) {
    return n.equals(Name.root) ? MxRecord.ROOT : n.toString(true).toLowerCase(Locale.ROOT);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }
}

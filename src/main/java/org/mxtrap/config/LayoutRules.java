package org.mxtrap.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Role;
import org.yaml.snakeyaml.nodes.MappingNode;

/**
 * The {@code layout} entries and the {@code listen} addresses, and the rules across them: a layout
 * has a primary, no two entries share an address and port, backups and traps come after the primary
 * in preference, and every listen address can be bound beside the others and receives some entry's
 * connections ({@link LayoutEntry#receivedOn}).
 *
 * <p>The rules across entries run only when every entry parsed, and the listen match only when the
 * layout and every listen address are valid, so that one typo does not cascade into a page of
 * errors.
 */
final class LayoutRules {
  private LayoutRules() {}

  /**
   * A layout entry that parsed, with where it came from.
   *
   * @param keys its keys: {@code greet_delay} is read only once the whole layout holds
   */
  record Parsed(LayoutEntry entry, Field item, Values keys) {}

  static final Key<Parsed, Integer> PREFERENCE =
      Key.required("preference", Type.integer(0, 65535), "", null);
  static final Key<Parsed, String> HOST = Key.required("host", Type.domainName(), "", null);
  static final Key<Parsed, InetAddress> ADDRESS = Key.required("address", Type.address(), "", null);
  static final Key<Parsed, Integer> PORT = Key.of("port", Type.integer(1, 65535), 25, p -> null);
  static final Key<Parsed, Role> ROLE =
      Key.required("role", Type.of(LayoutRules::role, Role::label), "", null);
  static final Key<Parsed, Duration> GREET_DELAY =
      Key.of("greet_delay", TrapSettings.GREET_DELAY, null, p -> null);

  /** One entry of {@code layout}. */
  static final Section<Parsed> ENTRY =
      Section.of(
          "layout[]",
          List.of(PREFERENCE, HOST, ADDRESS, PORT, ROLE, GREET_DELAY),
          v -> {
            v.checkRequired();
            Integer preference = v.get(PREFERENCE);
            String host = v.get(HOST);
            InetAddress address = v.get(ADDRESS);
            int port = v.get(PORT);
            Role role = v.get(ROLE);
            if (v.failed()
                || preference == null
                || host == null
                || address == null
                || role == null) {
              return null;
            }
            return new Parsed(
                new LayoutEntry(preference, host, address, port, role),
                Objects.requireNonNull(v.mapping()),
                v);
          });

  /** The listen address when {@code listen} is not given. */
  static final InetSocketAddress DEFAULT_LISTEN = IpLiterals.parseSocketAddress("0.0.0.0:25");

  /** Entries as the effective configuration shows them: a line each, after a line break. */
  static String show(List<LayoutEntry> entries) {
    return entries.stream().map(e -> "\n  " + e.describe()).collect(Collectors.joining());
  }

  private static @Nullable Role role(Values in, Field f) {
    String text = in.reader().text(f);
    if (text == null) {
      return null;
    }
    try {
      return Role.parse(text);
    } catch (IllegalArgumentException e) {
      in.reader().error(f, "unknown role: " + text + "; use primary, backup or trap");
      return null;
    }
  }

  /** {@code layout}: the parsed entries, or null when any entry (or the list) has a problem. */
  static @Nullable List<Parsed> layout(Values in, Field f) {
    NodeReader r = in.reader();
    List<Field> items = r.list(f);
    if (items == null) {
      return null;
    }
    if (items.isEmpty()) {
      r.error(f, "must list at least one entry (and one of them with role primary)");
      return null;
    }
    List<Parsed> parsed = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      Parsed p = entry(in, item);
      if (p == null) {
        complete = false;
      } else {
        parsed.add(p);
      }
    }
    if (!complete) {
      return null;
    }
    int before = r.problemCount();
    for (int j = 0; j < parsed.size(); j++) {
      LayoutEntry b = parsed.get(j).entry();
      for (int i = 0; i < j; i++) {
        LayoutEntry a = parsed.get(i).entry();
        if (a.port() == b.port() && Addresses.sameHost(a.address(), b.address())) {
          r.error(
              field(parsed.get(j), ADDRESS),
              "same address and port as "
                  + parsed.get(i).item().path()
                  + ": "
                  + Addresses.literal(b.address(), b.port()));
          break;
        }
      }
    }
    List<Parsed> servers = parsed.stream().filter(p -> p.entry().role() != Role.TRAP).toList();
    if (parsed.stream().noneMatch(p -> p.entry().role() == Role.PRIMARY)) {
      r.errorAtKey(f, "no entry has role primary");
    }
    for (Parsed p : parsed) {
      LayoutEntry e = p.entry();
      if (e.role() == Role.TRAP) {
        // A legitimate sender reaches a trap only after every lower entry failed for it; a trap
        // at or below a primary or backup would catch ordinary senders.
        for (Parsed s : servers) {
          if (s.entry().preference() >= e.preference()) {
            r.error(
                field(p, PREFERENCE),
                "a trap must have a higher preference number than every primary and backup, but "
                    + s.item().path()
                    + " ("
                    + s.entry().role().label()
                    + ") has "
                    + s.entry().preference());
            break;
          }
        }
      } else if (e.role() == Role.BACKUP
          && parsed.stream()
              .noneMatch(
                  q ->
                      q.entry().role() == Role.PRIMARY
                          && q.entry().preference() < e.preference())) {
        // A backup forwards only to hosts of strictly lower preference (RFC 5321 5.1).
        r.error(
            field(p, PREFERENCE),
            "a backup must have a higher preference number than a primary (it forwards only to"
                + " lower numbers)");
      }
    }
    return r.problemCount() == before ? parsed : null;
  }

  private static @Nullable Parsed entry(Values in, Field item) {
    if (!(item.value() instanceof MappingNode)) {
      in.reader()
          .error(
              item,
              "expected a mapping like { preference: 10, host: mail.example.com, address:"
                  + " 192.0.2.10, role: primary }, got "
                  + NodeReader.kind(item.value()));
      return null;
    }
    return ENTRY.read(in, item);
  }

  /** Where a parsed entry gives a required key. */
  private static Field field(Parsed p, Key<Parsed, ?> key) {
    return Objects.requireNonNull(p.keys().field(key));
  }

  static final Key<ListenAddress, InetSocketAddress> LISTEN_ADDRESS =
      Key.required("address", Type.socketAddress(), "", null);
  static final Key<ListenAddress, ListenAddress.ProxyProtocol> PROXY_PROTOCOL =
      Key.of(
          "proxy_protocol",
          Type.choice(ListenAddress.ProxyProtocol.class, "v1", "v2"),
          null,
          l -> l.proxy() == null ? null : l.proxy().protocol());
  static final Key<ListenAddress, List<Cidr>> PROXY_FROM =
      Key.of(
          "proxy_from",
          Type.prefixes(),
          List.of(),
          l -> l.proxy() == null ? null : l.proxy().from());

  /** One entry of {@code listen} written as a mapping. */
  static final Section<ListenAddress> LISTEN_ENTRY =
      Section.of(
          "listen[]",
          List.of(LISTEN_ADDRESS, PROXY_PROTOCOL, PROXY_FROM),
          v -> {
            v.checkRequired();
            InetSocketAddress address = v.get(LISTEN_ADDRESS);
            ListenAddress.ProxyProtocol protocol = v.get(PROXY_PROTOCOL);
            List<Cidr> from = v.get(PROXY_FROM);
            Field protocolAt = v.field(PROXY_PROTOCOL);
            Field fromAt = v.field(PROXY_FROM);
            if (protocol != null && from.isEmpty() && protocolAt != null) {
              // Anyone who may send a header may claim any client address.
              v.reader()
                  .error(
                      protocolAt,
                      "needs proxy_from: the networks of the balancers that may send the header");
            }
            if (protocol == null && fromAt != null && !v.failed()) {
              v.reader().error(fromAt, "needs proxy_protocol: v1 or v2");
            }
            if (v.failed() || address == null) {
              return null;
            }
            return new ListenAddress(
                address, protocol == null ? null : new ListenAddress.Proxy(protocol, from));
          });

  /** The listen entry when {@code listen} is not given. */
  static final ListenAddress DEFAULT_LISTEN_ENTRY = new ListenAddress(DEFAULT_LISTEN, null);

  /**
   * {@code listen}: the entries, each bindable beside the ones before it; once they all are and the
   * layout holds, each that takes direct connections must receive some entry's connections (one
   * behind balancers receives whatever entry its headers name).
   *
   * @param top the top level, where {@code layout} is
   */
  static List<ListenAddress> listen(Values top, Field f) {
    NodeReader r = top.reader();
    List<ListenAddress> out = new ArrayList<>();
    List<InetSocketAddress> bound = new ArrayList<>();
    List<Field> from = new ArrayList<>();
    List<Field> items = r.list(f);
    if (items == null) {
      return out;
    }
    if (items.isEmpty()) {
      r.error(f, "must list at least one ADDRESS:PORT to bind");
    }
    boolean complete = true;
    for (Field item : items) {
      ListenAddress l = listenEntry(top, item);
      if (l == null) {
        complete = false;
        continue;
      }
      String clash = clash(l.address(), bound, from);
      if (clash != null) {
        r.error(item, clash);
        complete = false;
        continue;
      }
      out.add(l);
      bound.add(l.address());
      from.add(item);
    }
    List<Parsed> layout = top.get(TopLevel.LAYOUT);
    if (complete && layout != null) {
      for (int i = 0; i < out.size(); i++) {
        ListenAddress l = out.get(i);
        if (l.proxy() == null && receivesNone(l.address(), layout)) {
          r.error(from.get(i), Type.socketAddress(l.address()) + " matches no layout entry" + HINT);
        }
      }
    }
    return out;
  }

  /** One item of {@code listen}: {@code "ADDRESS:PORT"} or a mapping; null when reported. */
  private static @Nullable ListenAddress listenEntry(Values top, Field item) {
    if (item.value() instanceof MappingNode) {
      return LISTEN_ENTRY.read(top, item);
    }
    InetSocketAddress a = top.reader().parsed(item, IpLiterals::parseSocketAddress);
    return a == null ? null : new ListenAddress(a, null);
  }

  /** {@code listen} in the effective configuration. */
  static String showListen(List<ListenAddress> listen) {
    return listen.stream().map(ListenAddress::show).collect(Collectors.joining(", "));
  }

  /** Checks {@link #DEFAULT_LISTEN} against the layout, when {@code listen} is not given. */
  static List<ListenAddress> defaultListen(Values top) {
    List<Parsed> layout = top.get(TopLevel.LAYOUT);
    if (layout != null && receivesNone(DEFAULT_LISTEN, layout)) {
      Field at = top.field(TopLevel.LAYOUT);
      top.reader()
          .error(
              at == null ? top.line() : NodeReader.line(at.key()),
              "listen",
              "the default "
                  + Type.socketAddress(DEFAULT_LISTEN)
                  + " matches no layout entry"
                  + HINT);
    }
    return List.of(DEFAULT_LISTEN_ENTRY);
  }

  private static final String HINT =
      "; bind an entry's address and port, or 0.0.0.0:PORT / [::]:PORT for all entries on PORT";

  private static boolean receivesNone(InetSocketAddress a, List<Parsed> layout) {
    return layout.stream().noneMatch(p -> p.entry().receivedOn(a));
  }

  /** Why {@code a} cannot be bound beside {@code earlier}, or null when it can. */
  private static @Nullable String clash(
      InetSocketAddress a, List<InetSocketAddress> earlier, List<Field> from) {
    for (int i = 0; i < earlier.size(); i++) {
      InetSocketAddress b = earlier.get(i);
      if (a.getPort() != b.getPort()) {
        continue;
      }
      String path = from.get(i).path();
      if (a.getAddress().equals(b.getAddress())) {
        return "listed twice (see " + path + ")";
      }
      if (covers(a.getAddress(), b.getAddress()) || covers(b.getAddress(), a.getAddress())) {
        // The OS refuses the second bind: a wildcard already holds the port for these addresses.
        return "overlaps "
            + path
            + " ("
            + Type.socketAddress(b)
            + "): a wildcard address already binds every address of its family on this port";
      }
    }
    return null;
  }

  /** Whether binding wildcard {@code w} also takes {@code x} (Java sockets are dual-stack). */
  private static boolean covers(InetAddress w, InetAddress x) {
    if (!w.isAnyLocalAddress()) {
      return false;
    }
    return !(w instanceof Inet4Address) || x instanceof Inet4Address;
  }

  /** The per-entry {@code greet_delay} of the layout, read now (after {@code trap}). */
  static Map<LayoutEntry, Duration> greetDelays(List<Parsed> layout) {
    Map<LayoutEntry, Duration> delays = new HashMap<>();
    for (Parsed p : layout) {
      Duration d = p.keys().get(GREET_DELAY);
      if (d != null) {
        delays.put(p.entry(), d);
      }
    }
    return delays;
  }
}

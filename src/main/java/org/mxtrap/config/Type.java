package org.mxtrap.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;

/**
 * A kind of value a key holds: how it is read out of the file and checked, and how it is shown in
 * the effective configuration ({@link MxtrapConfig#describe()}).
 *
 * @param reader reads and checks the value; returns null (and reports why) when it cannot
 * @param show the value as the effective configuration shows it
 * @param table the keys of the value, when it is a mapping (a section) or a list of mappings (the
 *     layout's entries, DNSBL zones); null for any other value
 */
record Type<T>(Reader<T> reader, Function<? super T, String> show, @Nullable Section<?> table) {

  /** Reads one value of a key. */
  @FunctionalInterface
  interface Reader<T> {
    /**
     * Reads {@code f}, reporting any problem to {@code in}.
     *
     * @param in the mapping the key is in: where problems go, and its other keys
     * @param f the key's value
     * @return the value, or null when a problem was reported (or for "none", where a key allows it)
     */
    @Nullable T read(Values in, Field f);
  }

  static <T> Type<T> of(Reader<T> reader, Function<? super T, String> show) {
    return new Type<>(reader, show, null);
  }

  /** A whole number from {@code min} to {@code max}. */
  static Type<Integer> integer(int min, int max) {
    return of(
        (in, f) -> {
          Long n = in.reader().integer(f, min, max);
          return n == null ? null : n.intValue();
        },
        String::valueOf);
  }

  /** A whole number from 1. */
  static Type<Integer> positiveInteger() {
    return integer(1, Integer.MAX_VALUE);
  }

  /** A positive decimal number, shown as written: {@code 1}, {@code 0.5}. */
  static Type<Double> number() {
    return of((in, f) -> in.reader().number(f), Type::number);
  }

  static Type<Boolean> bool() {
    return of((in, f) -> in.reader().bool(f), String::valueOf);
  }

  /** One of {@code allowed}: the constant of {@code type} of that name in upper case. */
  static <E extends Enum<E>> Type<E> choice(Class<E> type, String... allowed) {
    return of(
        (in, f) -> in.reader().choice(f, type, List.of(allowed)),
        e -> e.name().toLowerCase(Locale.ROOT));
  }

  /** A positive duration up to {@code max}; {@code why} explains the maximum in its error. */
  static Type<Duration> duration(Duration max, String why) {
    return of((in, f) -> in.reader().duration(f, max, why), Durations::format);
  }

  /** A duration from {@code 0s} to {@code max}; {@code why} explains the maximum in its error. */
  static Type<Duration> durationOrZero(Duration max, String why) {
    return of((in, f) -> in.reader().durationOrZero(f, max, why), Durations::format);
  }

  /** A positive size in octets. */
  static Type<Long> size() {
    return of((in, f) -> in.reader().size(f), ByteSizes::format);
  }

  static Type<String> domainName() {
    return of((in, f) -> in.reader().domainName(f), s -> s);
  }

  /** A path, relative to the config file's directory. */
  static Type<Path> path() {
    return of((in, f) -> in.reader().path(f), Path::toString);
  }

  /** A path to a readable file, relative to the config file's directory. */
  static Type<Path> readableFile() {
    return of((in, f) -> in.reader().readableFile(f), Path::toString);
  }

  /** An IP address literal. */
  static Type<InetAddress> address() {
    return of((in, f) -> in.reader().parsed(f, IpLiterals::parseAddress), Addresses::text);
  }

  /** {@code ADDRESS:PORT}, IPv6 in brackets. */
  static Type<InetSocketAddress> socketAddress() {
    return of(
        (in, f) -> in.reader().parsed(f, IpLiterals::parseSocketAddress), Type::socketAddress);
  }

  /** A list of CIDR prefixes, none twice; shown as {@code (none)} when empty. */
  static Type<List<Cidr>> prefixes() {
    return of(
        (in, f) -> {
          List<Cidr> out = in.reader().prefixes(f, (c, text) -> null);
          return out == null ? List.of() : out;
        },
        p -> p.isEmpty() ? "(none)" : join(p));
  }

  /** {@code 1}, {@code 0.5}: a weight or threshold as written. */
  static String number(double n) {
    return n == Math.rint(n) && Math.abs(n) < 1e15 ? Long.toString((long) n) : Double.toString(n);
  }

  static String socketAddress(InetSocketAddress a) {
    return Addresses.literal(a.getAddress(), a.getPort());
  }

  static String join(List<Cidr> prefixes) {
    return String.join(", ", prefixes.stream().map(Cidr::toString).toList());
  }
}

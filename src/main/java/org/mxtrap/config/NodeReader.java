package org.mxtrap.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException.Problem;
import org.mxtrap.core.Cidr;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads values out of the YAML node tree of one config file, collecting every problem as {@code
 * file:line: key: message} instead of stopping at the first. Each method either returns the value
 * or reports why it cannot and returns null; nothing is clamped or guessed. What the values mean is
 * the sections' business ({@link Section}); this knows only the syntax of kinds of values. One
 * instance per file; not thread-safe.
 */
final class NodeReader {

  private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9](_?[0-9])*");
  private static final Pattern NUMBER = Pattern.compile("[-+]?[0-9]+(\\.[0-9]+)?");

  private final String file;
  private final Path baseDir;
  private final @Nullable Path source;
  private final List<Problem> problems = new ArrayList<>();

  /**
   * @param file the file name for messages, as the user gave it
   * @param baseDir the directory relative paths are resolved against: the config file's
   * @param source the file as {@link MxtrapConfig#source()} names it; null for the embedded demo
   */
  NodeReader(String file, Path baseDir, @Nullable Path source) {
    this.file = file;
    this.baseDir = baseDir;
    this.source = source;
  }

  @Nullable Path source() {
    return source;
  }

  /** The problems found so far: this file's by line, then those of files it names. */
  List<Problem> problems() {
    List<Problem> sorted = new ArrayList<>(problems);
    sorted.sort(
        Comparator.comparing((Problem p) -> !p.file().equals(file))
            .thenComparingInt(Problem::line));
    return sorted;
  }

  /** How many problems have been found so far; a reader that adds to it has failed. */
  int problemCount() {
    return problems.size();
  }

  // --- structure ------------------------------------------------------------------------------

  /**
   * The known keys of a mapping. Reports a value that is not a mapping, keys that are not plain
   * scalars, duplicate keys, and unknown keys.
   */
  Map<String, Field> fields(Node node, String path, List<String> known) {
    Map<String, Field> out = new LinkedHashMap<>();
    if (!(node instanceof MappingNode mapping)) {
      error(
          line(node),
          path,
          "expected a mapping of keys (" + String.join(", ", known) + "), got " + kind(node));
      return out;
    }
    Map<String, Field> seen = new HashMap<>();
    for (NodeTuple t : mapping.getValue()) {
      Node k = t.getKeyNode();
      if (!(k instanceof ScalarNode sk) || isNull(sk)) {
        error(line(k), path, "a key must be a plain name, got " + kind(k));
        continue;
      }
      String name = sk.getValue();
      String p = path.isEmpty() ? name : path + "." + name;
      Field f = new Field(p, k, t.getValueNode());
      Field earlier = seen.putIfAbsent(name, f);
      if (earlier != null) {
        error(line(k), p, "duplicate key (first on line " + line(earlier.key()) + ")");
      } else if (!known.contains(name)) {
        error(line(k), p, "unknown key" + suggestion(name, known));
      } else {
        out.put(name, f);
      }
    }
    return out;
  }

  private static String suggestion(String name, List<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = distance(name, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best != null
        ? " (did you mean " + best + "?)"
        : "; expected one of: " + String.join(", ", known);
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** The items of a list, or null (reported) when the value is not a list. */
  @Nullable List<Field> list(Field f) {
    Node v = f.value();
    if (!(v instanceof SequenceNode seq)) {
      error(
          f,
          v instanceof ScalarNode s && isNull(s)
              ? "no value (remove the key to use the default)"
              : "expected a list, e.g. [a, b], got " + kind(v));
      return null;
    }
    List<Field> items = new ArrayList<>();
    List<Node> nodes = seq.getValue();
    for (int i = 0; i < nodes.size(); i++) {
      items.add(new Field(f.path() + "[" + i + "]", nodes.get(i), nodes.get(i)));
    }
    return items;
  }

  /** A scalar's text, or null (reported) when the value is missing or not a scalar. */
  @Nullable String text(Field f) {
    Node v = f.value();
    if (!(v instanceof ScalarNode s)) {
      error(f, "expected a single value, got " + kind(v));
      return null;
    }
    if (isNull(s)) {
      error(f, "no value (remove the key to use the default)");
      return null;
    }
    return s.getValue();
  }

  // --- values ---------------------------------------------------------------------------------

  /**
   * The scalar's text through {@code parse}; an {@link IllegalArgumentException} from it is
   * reported at the field, whose message says what is wrong. Null when anything was reported.
   */
  <T> @Nullable T parsed(Field f, Function<String, T> parse) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    try {
      return parse.apply(text);
    } catch (IllegalArgumentException e) {
      error(f, Objects.requireNonNullElse(e.getMessage(), e.toString()));
      return null;
    }
  }

  /** A plain whole number from {@code min} to {@code max}. */
  @Nullable Long integer(Field f, long min, long max) {
    Node v = f.value();
    String text = text(f);
    if (text == null) {
      return null;
    }
    String digits = text.replace("_", "");
    if (((ScalarNode) v).getScalarStyle() != DumperOptions.ScalarStyle.PLAIN
        || !INTEGER.matcher(text).matches()) {
      error(f, "expected a whole number, got " + describeScalar((ScalarNode) v));
      return null;
    }
    String unsigned =
        digits.startsWith("-") || digits.startsWith("+") ? digits.substring(1) : digits;
    if (unsigned.length() > 1 && unsigned.startsWith("0")) {
      error(f, "leading zero in " + text + " (YAML may read it as octal); write it without");
      return null;
    }
    long n;
    try {
      n = Long.parseLong(digits);
    } catch (NumberFormatException e) {
      n = digits.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    if (n < min || n > max) {
      error(
          f,
          min == 1 && max == Integer.MAX_VALUE && n < 1
              ? "must be positive, got " + text
              : "out of range " + min + ".." + max + ": " + text);
      return null;
    }
    return n;
  }

  /** A positive decimal number: {@code 1}, {@code 0.5}, {@code 2.25}. */
  @Nullable Double number(Field f) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (((ScalarNode) f.value()).getScalarStyle() != DumperOptions.ScalarStyle.PLAIN
        || !NUMBER.matcher(text).matches()) {
      error(f, "expected a number like 1 or 0.5, got " + describeScalar((ScalarNode) f.value()));
      return null;
    }
    double n = Double.parseDouble(text);
    if (!(n > 0) || Double.isInfinite(n)) {
      error(f, "must be positive, got " + text);
      return null;
    }
    return n;
  }

  @Nullable Boolean bool(Field f) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    return switch (text) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> {
        error(f, "expected true or false, got " + text);
        yield null;
      }
    };
  }

  /** One of {@code allowed}, as the constant of {@code type} with the same name upper-cased. */
  <E extends Enum<E>> @Nullable E choice(Field f, Class<E> type, List<String> allowed) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (!allowed.contains(text)) {
      error(f, "expected one of " + String.join(", ", allowed) + ", got " + text);
      return null;
    }
    return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
  }

  /** A positive duration up to {@code max}; {@code why} explains the maximum. */
  @Nullable Duration duration(Field f, Duration max, String why) {
    Duration d = parsed(f, Durations::parse);
    if (d != null && d.isZero()) {
      error(f, "must be positive, got " + text(f));
      return null;
    }
    return atMost(f, d, max, why);
  }

  /** A duration from {@code 0s} (off) to {@code max}; {@code why} explains the maximum. */
  @Nullable Duration durationOrZero(Field f, Duration max, String why) {
    return atMost(f, parsed(f, Durations::parse), max, why);
  }

  /** {@code d}, or null (reported) when it is longer than {@code max}; null stays null. */
  private @Nullable Duration atMost(Field f, @Nullable Duration d, Duration max, String why) {
    if (d != null && d.compareTo(max) > 0) {
      error(f, "at most " + Durations.format(max) + " (" + why + "), got " + Durations.format(d));
      return null;
    }
    return d;
  }

  /** A positive size in octets. */
  @Nullable Long size(Field f) {
    Long n = parsed(f, ByteSizes::parse);
    if (n != null && n <= 0) {
      error(f, "must be positive, got " + text(f));
      return null;
    }
    return n;
  }

  /** The word {@code auto}, returned as {@code auto}, or a positive size. */
  @Nullable Long sizeOrAuto(Field f, long auto) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (text.equals("auto")) {
      return auto;
    }
    long n;
    try {
      n = ByteSizes.parse(text);
    } catch (IllegalArgumentException e) {
      error(f, e.getMessage() + "; or auto");
      return null;
    }
    if (n <= 0) {
      error(f, "must be positive or auto, got " + text);
      return null;
    }
    return n;
  }

  @Nullable String domainName(Field f) {
    return parsed(f, DomainNames::canonical);
  }

  /** A path, resolved against the config file's directory when relative. */
  @Nullable Path path(Field f) {
    String text = text(f);
    if (text == null) {
      return null;
    }
    if (text.isBlank()) {
      error(f, "empty path");
      return null;
    }
    try {
      return baseDir.resolve(text).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      error(f, "not a valid path: " + e.getReason());
      return null;
    }
  }

  /** A path to a file that exists and can be read now. */
  @Nullable Path readableFile(Field f) {
    Path p = path(f);
    if (p != null && !(Files.isRegularFile(p) && Files.isReadable(p))) {
      error(f, "not a readable file: " + p);
      return null;
    }
    return p;
  }

  /**
   * A list of CIDR prefixes, each also held to {@code rule} (given the prefix and its text as
   * written, it names what is wrong with it, or returns null). Null when any problem was reported.
   */
  @Nullable List<Cidr> prefixes(Field f, BiFunction<Cidr, String, @Nullable String> rule) {
    List<Field> items = list(f);
    if (items == null) {
      return null;
    }
    List<Cidr> out = new ArrayList<>();
    boolean complete = true;
    for (Field item : items) {
      String text = text(item);
      if (text == null) {
        complete = false;
        continue;
      }
      String problem;
      Cidr c = null;
      try {
        c = Cidr.parse(text);
        problem = out.contains(c) ? "listed twice: " + c : rule.apply(c, text);
      } catch (IllegalArgumentException e) {
        problem = e.getMessage();
      }
      if (problem != null) {
        error(item, problem);
        complete = false;
      } else {
        out.add(c);
      }
    }
    return complete ? out : null;
  }

  // --- reporting ------------------------------------------------------------------------------

  static boolean isNull(ScalarNode s) {
    return Tag.NULL.equals(s.getTag());
  }

  /** What a node is, for messages: {@code a mapping}, {@code a list}, ... */
  static String kind(Node n) {
    if (n instanceof MappingNode) {
      return "a mapping";
    }
    if (n instanceof SequenceNode) {
      return "a list";
    }
    return n instanceof ScalarNode s && isNull(s) ? "no value" : "a single value";
  }

  private static String describeScalar(ScalarNode s) {
    return s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN
        ? s.getValue()
        : "a quoted string \"" + s.getValue() + "\"";
  }

  /** The 1-based line a node starts on. */
  static int line(Node n) {
    return n.getStartMark().getLine() + 1;
  }

  /** A problem with a value, on the value's line. */
  void error(Field f, String message) {
    error(line(f.value()), f.path(), message);
  }

  /** A problem with a whole key (a section, a missing partner), on its key's line. */
  void errorAtKey(Field f, String message) {
    error(line(f.key()), f.path(), message);
  }

  void error(int line, String key, String message) {
    problems.add(new Problem(file, line, key, message));
  }

  /** A problem in another file, read because this one names it. */
  void error(Problem p) {
    problems.add(p);
  }
}

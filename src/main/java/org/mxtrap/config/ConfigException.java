package org.mxtrap.config;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A configuration that cannot be used, with every problem found in it, not just the first: a
 * missing or unreadable file, YAML syntax, an unknown key, a wrong type or value, or a
 * contradiction between keys. {@link #getMessage()} is the problems, one per line, in file order.
 */
public final class ConfigException extends Exception {

  /**
   * One problem.
   *
   * @param file the config file as it was named to the loader
   * @param line the 1-based line in {@code file}, or 0 when the problem has no line (a missing
   *     file)
   * @param key the key path, {@code layout[2].address} (list indices 0-based), or empty when the
   *     problem concerns no key (YAML syntax, a missing file)
   * @param message what is wrong, and what is allowed where that helps
   */
  public record Problem(String file, int line, String key, String message) {
    public Problem {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(message, "message");
    }

    /** {@code file:line: key: message}, leaving out the line and key when there are none. */
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder(file);
      if (line > 0) {
        b.append(':').append(line);
      }
      b.append(": ");
      if (!key.isEmpty()) {
        b.append(key).append(": ");
      }
      return b.append(message).toString();
    }
  }

  private final List<Problem> problems;

  /**
   * @param problems at least one
   */
  public ConfigException(List<Problem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
  }

  private static String render(List<Problem> problems) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    return problems.stream().map(Problem::toString).collect(Collectors.joining("\n"));
  }

  /** Every problem found, in file order (by line; problems without a line first). */
  public List<Problem> problems() {
    return problems;
  }
}

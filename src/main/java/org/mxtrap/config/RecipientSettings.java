package org.mxtrap.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException.Problem;

/**
 * Who is accepted at RCPT (PRODUCT.md {@code recipients}).
 *
 * @param mode how a recipient in one of our domains is checked
 * @param file {@link Mode#LIST}: the file of addresses and {@code @domain} lines (syntax: {@link
 *     RecipientFile}), absolute; null otherwise
 * @param maxUnknown unknown recipients one client may ask for in a session; at this many it is
 *     suppressed as a dictionary attacker
 */
public record RecipientSettings(Mode mode, @Nullable Path file, int maxUnknown) {
  public enum Mode {
    /** Every local part of our domains is a mailbox (a Maildir is made on first delivery). */
    ANY,
    /** Only the addresses (and the catch-all domains) in {@code file}. */
    LIST
  }

  public RecipientSettings {
    Objects.requireNonNull(mode, "mode");
    if ((mode == Mode.LIST) != (file != null)) {
      throw new IllegalArgumentException("a file goes with mode list, and only with it: " + mode);
    }
    if (maxUnknown < 1) {
      throw new IllegalArgumentException("maxUnknown must be positive: " + maxUnknown);
    }
  }

  static final Key<RecipientSettings, Mode> MODE =
      Key.of(
          "mode",
          Type.of(RecipientSettings::mode, m -> m.name().toLowerCase(Locale.ROOT)),
          Mode.ANY,
          RecipientSettings::mode);
  static final Key<RecipientSettings, Path> FILE =
      Key.of("file", Type.of(RecipientSettings::file, Path::toString), null, s -> s.file());
  static final Key<RecipientSettings, Integer> MAX_UNKNOWN =
      Key.of("max_unknown", Type.positiveInteger(), 10, RecipientSettings::maxUnknown);

  static final Section<RecipientSettings> SECTION =
      Section.of("recipients", List.of(MODE, FILE, MAX_UNKNOWN), RecipientSettings::build)
          .notBuilt(Map.of("verify_ttl", "recipient verification (mode verify) is not built"));

  public static final RecipientSettings DEFAULTS = SECTION.defaults();

  /** The file is read only with mode list, and required with it. */
  private static @Nullable RecipientSettings build(Values v) {
    Mode mode = v.get(MODE);
    boolean modeRead = v.valid(MODE);
    int maxUnknown = v.get(MAX_UNKNOWN);
    Field fMode = v.field(MODE);
    Field fFile = v.field(FILE);
    Path file = null;
    if (modeRead && mode == Mode.LIST) {
      if (fFile == null) {
        v.reader()
            .error(
                NodeReader.line(Objects.requireNonNull(fMode).key()),
                "recipients.file",
                "required with mode: list (the file of addresses and @domain lines)");
      } else {
        file = v.get(FILE);
      }
    } else if (modeRead && fFile != null) {
      v.reader()
          .errorAtKey(
              fFile,
              "only read with mode: list (mode is "
                  + (fMode == null ? "any, the default" : "any")
                  + "); set mode: list or remove the key");
    }
    if (v.failed() || (mode == Mode.LIST && file == null)) {
      return null;
    }
    return new RecipientSettings(mode, file, maxUnknown);
  }

  /** {@code recipients.mode}: verify (PRODUCT.md) is not built yet. */
  private static @Nullable Mode mode(Values in, Field f) {
    String text = in.reader().text(f);
    if (text == null) {
      return null;
    }
    switch (text) {
      case "any" -> {
        return Mode.ANY;
      }
      case "list" -> {
        return Mode.LIST;
      }
      case "verify" ->
          in.reader()
              .error(
                  f,
                  "verify: not supported yet in this version (asking the next hop is not built; it"
                      + " comes with the backup MX); use any or list");
      default -> in.reader().error(f, "expected one of any, list, got " + text);
    }
    return null;
  }

  /**
   * {@code recipients.file}, read once here so that check-config finds its problems: its refused
   * lines are problems at their own lines of that file. Its domains must be among the (valid ones
   * of) top-level {@code domains}.
   */
  private static @Nullable Path file(Values in, Field f) {
    NodeReader r = in.reader();
    Path p = r.readableFile(f);
    if (p == null) {
      return null;
    }
    RecipientFile.Contents contents;
    try {
      contents = RecipientFile.read(p, in.outer().get(TopLevel.DOMAINS));
    } catch (IOException e) {
      r.error(
          f,
          "cannot read "
              + p
              + ": "
              + (e instanceof CharacterCodingException ? "not UTF-8 text" : e));
      return null;
    }
    for (RecipientFile.BadLine b : contents.bad()) {
      r.error(new Problem(p.toString(), b.line(), f.path(), b.message()));
    }
    return contents.bad().isEmpty() ? p : null;
  }
}

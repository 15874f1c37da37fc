package org.mxtrap.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException.Problem;

/**
 * Who is accepted at RCPT (PRODUCT.md {@code recipients}).
 *
 * @param mode how a recipient in one of our domains is checked
 * @param file {@link Mode#LIST}: the file of addresses and {@code @domain} lines (syntax: {@link
 *     RecipientFile}), absolute; null otherwise
 * @param verifyTtl {@link Mode#VERIFY}: how long the next hop's answer about a mailbox is kept
 * @param maxUnknown unknown recipients one client may ask for in a session; at this many it is
 *     suppressed as a dictionary attacker
 */
public record RecipientSettings(
    Mode mode, @Nullable Path file, Duration verifyTtl, int maxUnknown) {
  public enum Mode {
    /** Every local part of our domains is a mailbox (a Maildir is made on first delivery). */
    ANY,
    /** Only the addresses (and the catch-all domains) in {@code file}. */
    LIST,
    /**
     * The next hop is asked (MAIL FROM:<>, RCPT TO, RSET, as Postfix's {@code
     * reject_unverified_recipient}): the relay of {@code delivery.mode: relay}, the more preferred
     * MX hosts of {@code delivery.mode: mx}. Needs one of those modes.
     */
    VERIFY
  }

  /**
   * The longest {@code verify_ttl}: an answer kept longer hides a mailbox made or removed since.
   */
  static final Duration MAX_VERIFY_TTL = Duration.ofDays(30);

  public RecipientSettings {
    Objects.requireNonNull(mode, "mode");
    if ((mode == Mode.LIST) != (file != null)) {
      throw new IllegalArgumentException("a file goes with mode list, and only with it: " + mode);
    }
    Objects.requireNonNull(verifyTtl, "verifyTtl");
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
  static final Key<RecipientSettings, Duration> VERIFY_TTL =
      Key.of(
          "verify_ttl",
          Type.duration(MAX_VERIFY_TTL, "an answer kept longer hides mailboxes made or removed"),
          Duration.ofDays(1),
          s -> s.mode() == Mode.VERIFY ? s.verifyTtl() : null);
  static final Key<RecipientSettings, Integer> MAX_UNKNOWN =
      Key.of("max_unknown", Type.positiveInteger(), 10, RecipientSettings::maxUnknown);

  static final Section<RecipientSettings> SECTION =
      Section.of(
          "recipients", List.of(MODE, FILE, VERIFY_TTL, MAX_UNKNOWN), RecipientSettings::build);

  public static final RecipientSettings DEFAULTS = SECTION.defaults();

  /**
   * The file is read only with mode list, and required with it. Mode verify needs a next hop to ask
   * ({@code delivery.mode} relay or mx).
   */
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
                  + (fMode == null ? "any, the default" : MODE.type().show().apply(mode))
                  + "); set mode: list or remove the key");
    }
    // Read in every mode, as PRODUCT.md's example sets it beside list; used only by verify.
    Duration verifyTtl = v.get(VERIFY_TTL);
    if (modeRead && mode == Mode.VERIFY && v.outer().valid(TopLevel.DELIVERY)) {
      DeliverySettings.Mode delivery = v.outer().get(TopLevel.DELIVERY).mode();
      if (delivery == DeliverySettings.Mode.MAILDIR) {
        v.reader()
            .error(
                Objects.requireNonNull(fMode),
                "verify asks the next hop, and delivery.mode maildir has none; set delivery.mode"
                    + " relay or mx, or use any or list");
      }
    }
    if (v.failed() || (mode == Mode.LIST && file == null)) {
      return null;
    }
    return new RecipientSettings(mode, file, verifyTtl, maxUnknown);
  }

  /** {@code recipients.mode}: {@code any}, {@code list} or {@code verify}. */
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
      case "verify" -> {
        return Mode.VERIFY;
      }
      default -> in.reader().error(f, "expected one of any, list, verify, got " + text);
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

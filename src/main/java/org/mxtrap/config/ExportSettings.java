package org.mxtrap.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The export of the active suppressions to a file, kept current for the rest of a site's defences
 * (a firewall set, a local DNSBL): written at start and after every change, at most once per {@code
 * debounce}, then {@code onChange} is run.
 *
 * @param format what the file holds
 * @param file written atomically (a temporary file in the same directory, then a rename), so a
 *     reader never sees half of it
 * @param onChange the command run after each write, as argv (no shell: each item is one argument;
 *     {@code [sh, -c, "..."]} for one); empty: none
 * @param onChangeTimeout how long the command may run before it is killed
 * @param debounce the shortest time between two writes: changes within it are written together
 */
public record ExportSettings(
    Format format, Path file, List<String> onChange, Duration onChangeTimeout, Duration debounce) {

  /** The formats of an export, named in the config and in {@code GET /suppressions/export}. */
  public enum Format {
    /**
     * An nftables table {@code inet mxtrap} with the sets {@code trapped4} and {@code trapped6}.
     */
    NFT,
    /** {@code ipset restore} input: the sets {@code mxtrap4} and {@code mxtrap6}. */
    IPSET,
    /** An rbldnsd {@code combined} dataset: {@code ip4set} and {@code ip6trie}. */
    RBLDNSD,
    /** RFC 4180 CSV with a header line. */
    CSV;

    /** The name as written: {@code nft}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The format named {@code label} as written ({@code nft}); empty for no format. */
    public static Optional<Format> named(String label) {
      return Arrays.stream(values()).filter(f -> f.label().equals(label)).findFirst();
    }

    /** Every name, as written: {@code nft, ipset, rbldnsd, csv}. */
    public static String labels() {
      return String.join(", ", Arrays.stream(values()).map(Format::label).toList());
    }
  }

  /** The longest {@code on_change_timeout}. */
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

  /** The longest {@code debounce}. */
  public static final Duration MAX_DEBOUNCE = Duration.ofHours(1);

  public ExportSettings {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(file, "file");
    onChange = List.copyOf(onChange);
    Objects.requireNonNull(onChangeTimeout, "onChangeTimeout");
    Objects.requireNonNull(debounce, "debounce");
  }

  static final Key<ExportSettings, Format> FORMAT =
      Key.required(
          "format",
          Type.choice(Format.class, "nft", "ipset", "rbldnsd", "csv"),
          "what the file holds: nft, ipset, rbldnsd or csv",
          null);
  static final Key<ExportSettings, Path> FILE =
      Key.required("file", Type.path(), "where the export is written", null);
  static final Key<ExportSettings, List<String>> ON_CHANGE =
      Key.of(
          "on_change",
          Type.of(ExportSettings::argv, a -> String.join(" ", a)),
          List.of(),
          s -> null);
  static final Key<ExportSettings, Duration> ON_CHANGE_TIMEOUT =
      Key.of(
          "on_change_timeout",
          Type.duration(MAX_TIMEOUT, "a command that hangs longer is stuck"),
          Duration.ofSeconds(30),
          s -> null);
  static final Key<ExportSettings, Duration> DEBOUNCE =
      Key.of(
          "debounce",
          Type.duration(MAX_DEBOUNCE, "a firewall or DNSBL should follow within minutes"),
          Duration.ofSeconds(5),
          s -> null);

  static final Section<ExportSettings> SECTION =
      Section.of(
              "export",
              List.of(FORMAT, FILE, ON_CHANGE, ON_CHANGE_TIMEOUT, DEBOUNCE),
              ExportSettings::build)
          .describedAs(ExportSettings::show);

  /** How the effective configuration shows {@code export}, which may be absent. */
  static String describe(@Nullable ExportSettings export) {
    return export == null ? "off" : SECTION.describe().apply(export);
  }

  private static String show(ExportSettings e) {
    return e.format.label()
        + " to "
        + e.file
        + ", at most once per "
        + Durations.format(e.debounce)
        + (e.onChange.isEmpty()
            ? ""
            : ", then "
                + String.join(" ", e.onChange)
                + " (killed after "
                + Durations.format(e.onChangeTimeout)
                + ")");
  }

  private static @Nullable ExportSettings build(Values v) {
    Format format = v.get(FORMAT);
    Path file = v.get(FILE);
    List<String> onChange = v.get(ON_CHANGE);
    Duration timeout = v.get(ON_CHANGE_TIMEOUT);
    Duration debounce = v.get(DEBOUNCE);
    if (v.failed() || format == null || file == null) {
      return null;
    }
    return new ExportSettings(format, file, onChange, timeout, debounce);
  }

  /** {@code on_change}: a non-empty list of non-empty arguments, the program first. */
  private static @Nullable List<String> argv(Values in, Field f) {
    List<Field> items = in.reader().list(f);
    if (items == null) {
      return null;
    }
    if (items.isEmpty()) {
      in.reader().error(f, "an empty command; remove the key to run none");
      return null;
    }
    List<String> out = new ArrayList<>();
    for (Field item : items) {
      String arg = in.reader().text(item);
      if (arg == null) {
        return null;
      }
      if (arg.isEmpty()) {
        in.reader().error(item, "an empty argument");
        return null;
      }
      out.add(arg);
    }
    return out;
  }
}

package org.mxtrap.config;

import java.util.List;

/**
 * The log on standard output.
 *
 * @param format {@code text}: one line per event in the style of Postfix's maillog; {@code json}:
 *     the same fields as one JSON object a line, for log shippers (journald, Loki, Elastic)
 */
public record LogSettings(Format format) {

  /** How each log line is written. */
  public enum Format {
    TEXT,
    JSON
  }

  static final Key<LogSettings, Format> FORMAT =
      Key.of("format", Type.choice(Format.class, "text", "json"), Format.TEXT, LogSettings::format);

  static final Section<LogSettings> SECTION =
      Section.of("log", List.of(FORMAT), v -> new LogSettings(v.get(FORMAT)));

  public static final LogSettings DEFAULTS = SECTION.defaults();
}

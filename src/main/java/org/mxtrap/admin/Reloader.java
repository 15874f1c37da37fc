package org.mxtrap.admin;

import java.util.List;
import java.util.Objects;

/**
 * Re-reads the running host's config file and applies what can be applied without a restart: {@code
 * POST /reload}, as SIGHUP does. One reload at a time; a caller may wait for another's.
 */
@FunctionalInterface
public interface Reloader {

  /**
   * Reloads the config file.
   *
   * @return the keys applied and the changed keys that keep their running values until a restart
   * @throws Refused when the file is invalid (or a file it names cannot be read): nothing changed
   */
  Outcome reload() throws Refused;

  /**
   * What a reload did.
   *
   * @param applied the keys that took effect, and what is re-read at every reload
   * @param needRestart the changed keys that need a restart
   */
  record Outcome(List<String> applied, List<String> needRestart) {
    public Outcome {
      applied = List.copyOf(applied);
      needRestart = List.copyOf(needRestart);
    }
  }

  /** An invalid file: its problems, one per line, each at its file:line. */
  final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    public Refused(String problems) {
      super(problems, null, false, false);
    }

    /** Never null: the constructor takes one. */
    @Override
    public String getMessage() {
      return Objects.requireNonNull(super.getMessage());
    }
  }
}

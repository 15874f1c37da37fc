package org.mxtrap.admin;

import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.LayoutEntry;

/** Whether each trap entry is armed, for {@code GET /status}. Thread-safe. */
@FunctionalInterface
public interface Traps {

  /**
   * The arming of {@code trap} at {@code now}.
   *
   * @param armed whether the entry is armed
   * @param why the evidence, in words
   * @param armsAt when it arms if nothing else fails; null when armed, or while the lower entries
   *     are still unavailable
   */
  record Armed(boolean armed, String why, @Nullable Instant armsAt) {}

  Armed armed(LayoutEntry trap, Instant now);
}

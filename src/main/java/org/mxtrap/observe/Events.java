package org.mxtrap.observe;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one seam through which things that happen are told (STYLE.md rule 14): the code where an
 * {@link Event} happens calls {@link #on} once, on its own thread, and goes on. A listener must be
 * quick, must not block on I/O that can stall (the decision log's buffered append is the slowest
 * allowed) and must not throw; {@link #of} keeps one listener's bug from reaching the others or the
 * SMTP session.
 */
@FunctionalInterface
public interface Events {

  /** Listens to nothing: for parts run without observers, and for tests. */
  Events NONE = e -> {};

  void on(Event e);

  /**
   * Tells every one of {@code listeners}, in order; a listener that throws is logged and skipped.
   */
  static Events of(Events... listeners) {
    List<Events> all = List.of(listeners);
    Logger log = LoggerFactory.getLogger("master");
    return e -> {
      for (Events l : all) {
        try {
          l.on(e);
        } catch (RuntimeException x) {
          log.error("event listener {} failed on {}", l, e.getClass().getSimpleName(), x);
        }
      }
    };
  }
}

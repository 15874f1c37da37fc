package org.mxtrap.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;

/** Keeps every event it is told, in order, from any thread. */
public final class RecordingEvents implements Events {
  private final List<Event> events = new CopyOnWriteArrayList<>();

  @Override
  public void on(Event e) {
    events.add(e);
  }

  /** Every event so far, in the order told. */
  public List<Event> all() {
    return List.copyOf(events);
  }

  /** The events of one kind so far, in the order told. */
  public <E extends Event> List<E> of(Class<E> type) {
    return events.stream().filter(type::isInstance).map(type::cast).toList();
  }
}

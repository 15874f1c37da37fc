package org.mxtrap.dns;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.mxtrap.config.Durations;

/**
 * One lookup running on a virtual thread of its own, with a deadline: {@link #await} returns its
 * outcome, or, once the deadline has passed, what the caller makes of the silence, and interrupts
 * the lookup (a {@link StubResolver} then gives up its query at once), so that nothing outlives the
 * time the client was given. Thread-safe; {@link #await} may be called more than once.
 *
 * @param <T> the outcome
 */
final class BoundedLookup<T> {
  private final FutureTask<T> task;
  private final long deadline;
  private final Duration budget;

  private BoundedLookup(FutureTask<T> task, long deadline, Duration budget) {
    this.task = task;
    this.deadline = deadline;
    this.budget = budget;
  }

  /** Starts {@code lookup} now; its deadline is {@code budget} from now. */
  static <T> BoundedLookup<T> start(String thread, Duration budget, Callable<T> lookup) {
    FutureTask<T> task = new FutureTask<>(lookup);
    BoundedLookup<T> b = new BoundedLookup<>(task, System.nanoTime() + budget.toNanos(), budget);
    Thread.ofVirtual().name(thread).start(task);
    return b;
  }

  /**
   * The outcome, waiting at most until the deadline.
   *
   * @param unknown what the outcome is when there is none: called with why ("no answer within 2s",
   *     "interrupted", or the lookup's own failure)
   */
  T await(Function<String, T> unknown) {
    try {
      return task.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | CancellationException e) {
      task.cancel(true); // cancelled already when this is a second await after the deadline
      return unknown.apply("no answer within " + Durations.format(budget));
    } catch (InterruptedException e) {
      task.cancel(true);
      Thread.currentThread().interrupt();
      return unknown.apply("interrupted");
    } catch (ExecutionException e) {
      // A bug in the lookup, not a DNS outcome: the client is judged as if DNS said nothing.
      Throwable cause = e.getCause() == null ? e : e.getCause();
      return unknown.apply("the lookup failed: " + cause);
    }
  }
}

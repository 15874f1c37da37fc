package org.mxtrap.state.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Redis commands of the contact and availability histories, each awaited with one deadline. The
 * commands of one step are all sent before the first is awaited, so they travel together (one round
 * trip on one node; on a cluster, one per node, in parallel) and the step waits at most the
 * deadline in all, whatever the connection does. A command past its deadline is cancelled, so it is
 * never sent late; give the histories a connection made with {@code
 * ClientOptions.disconnectedBehavior(REJECT_COMMANDS)}, or else Lettuce keeps even the cancelled
 * commands in its queue while it reconnects, and an outage costs memory for every contact.
 *
 * <p>A failure is told to the {@link Reachability} of the stores, which makes the view partial,
 * logs it once per outage and recovers.
 */
final class HistoryRedis {

  /** Redis did not answer within the deadline, or answered with an error. */
  static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final RedisClusterAsyncCommands<String, String> redis;
  private final Duration timeout;
  private final String what;
  private final Reachability reach;

  /**
   * @param redis commands of a connection to a single Redis, a Sentinel-followed master or a
   *     Cluster; thread-safe, shared
   * @param timeout the deadline of each step, positive: shorter than the greeting budget
   * @param what what is kept in Redis, for the log
   * @param reach told of every failure
   */
  HistoryRedis(
      RedisClusterAsyncCommands<String, String> redis,
      Duration timeout,
      String what,
      Reachability reach) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    this.redis = redis;
    this.timeout = timeout;
    this.what = what;
    this.reach = reach;
  }

  RedisClusterAsyncCommands<String, String> commands() {
    return redis;
  }

  /** The deadline of a step that starts now, in {@link System#nanoTime} terms. */
  long deadline() {
    return System.nanoTime() + timeout.toNanos();
  }

  /**
   * Waits until every command of {@code step} has its answer, until {@code deadline} at the latest;
   * then {@link #result} reads each.
   *
   * @throws Unavailable when Redis fails to answer one in time or answers one with an error; every
   *     command of the step is then cancelled
   */
  void await(long deadline, RedisFuture<?>... step) throws Unavailable {
    try {
      for (RedisFuture<?> f : step) {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      cancel(step);
      Thread.currentThread().interrupt();
      throw failed(e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      cancel(step);
      throw failed(e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
    }
  }

  /** The answer of a command that {@link #await} saw answered. */
  static <T> T result(RedisFuture<T> answered) {
    try {
      return answered.get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException("awaited before", e);
    }
  }

  private static void cancel(RedisFuture<?>... step) {
    for (RedisFuture<?> f : step) {
      f.cancel(true);
    }
  }

  private Unavailable failed(Throwable cause) {
    String why =
        cause instanceof TimeoutException ? "no answer within " + timeout : cause.toString();
    reach.failed(what, why);
    return new Unavailable(why, cause);
  }
}

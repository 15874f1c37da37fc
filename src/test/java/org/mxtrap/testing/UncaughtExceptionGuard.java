package org.mxtrap.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when a thread of the test JVM threw an exception that nothing caught: a server
 * thread's bug would otherwise be printed to stderr and lost while the test passes on what the
 * client saw. Registered for every Jupiter test by auto-detection ({@code
 * src/test/resources/junit-platform.properties} and {@code META-INF/services}).
 *
 * <p>The guard is Thread's default uncaught-exception handler, installed once per JVM; it records
 * each exception and prints it as the JDK would. After each test, and after each test class (for
 * what {@code @AfterAll} and class-wide servers did), whatever was recorded since fails it, the
 * exceptions attached as suppressed. An exception recorded between two tests fails the next one to
 * finish. It sees only exceptions that reach the default handler: not those of a thread with a
 * handler of its own, nor a task's exception that an executor keeps in its {@code Future}. Tests
 * run one at a time (no parallel execution), so what is recorded belongs to the test that ran.
 *
 * <p>Integration tests run mxtrap as a separate process: the guard covers only the test JVM (the
 * clients, fakes and in-process servers of unit tests), never the server under an {@code *IT}.
 * jqwik properties run on their own engine, without Jupiter extensions.
 */
public final class UncaughtExceptionGuard
    implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private static final ConcurrentLinkedQueue<Failure> uncaught = new ConcurrentLinkedQueue<>();

  private record Failure(String thread, Throwable exception) {}

  @Override
  public void beforeAll(ExtensionContext context) {
    install();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    failOnUncaught();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    failOnUncaught();
  }

  private static synchronized void install() {
    if (Thread.getDefaultUncaughtExceptionHandler() instanceof Recorder) {
      return;
    }
    Thread.setDefaultUncaughtExceptionHandler(new Recorder());
  }

  private static void failOnUncaught() {
    List<Failure> found = new ArrayList<>();
    for (Failure f; (f = uncaught.poll()) != null; ) {
      found.add(f);
    }
    if (found.isEmpty()) {
      return;
    }
    AssertionError error =
        new AssertionError(
            found.size()
                + " uncaught exception(s) in other threads, the first in thread \""
                + found.getFirst().thread()
                + "\": "
                + found.getFirst().exception());
    found.forEach(f -> error.addSuppressed(f.exception()));
    throw error;
  }

  private static final class Recorder implements Thread.UncaughtExceptionHandler {
    @Override
    public void uncaughtException(Thread t, Throwable e) {
      uncaught.add(new Failure(t.getName(), e));
      System.err.print("Exception in thread \"" + t.getName() + "\" ");
      e.printStackTrace();
    }
  }
}

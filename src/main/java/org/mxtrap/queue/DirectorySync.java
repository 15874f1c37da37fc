package org.mxtrap.queue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit for directory entries: many threads rename files into one directory and then call
 * {@link #sync()}; one background thread fsyncs the directory for all of them at once.
 *
 * <p>Contract: when {@code sync()} returns normally, every change the calling thread made to the
 * directory before calling it is on stable storage. Callers join the next <em>round</em>; the syncing
 * thread closes a round (swaps in a fresh one) before it starts the fsync, so the fsync began
 * after every member's change. While one fsync runs, later callers gather in the next round, so
 * under load each fsync serves everyone who arrived during the previous one.
 */
final class DirectorySync implements AutoCloseable {
  private final Path directory;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Thread thread;
  // guarded by lock
  private CompletableFuture<Void> round = new CompletableFuture<>();
  private boolean waiting;
  private boolean closed;
  // written by the sync thread only, read for statistics
  private volatile long fsyncs;

  DirectorySync(Path directory) {
    this.directory = directory;
    this.thread = Thread.ofPlatform().daemon().name("spool-sync").unstarted(this::run);
    thread.start();
  }

  /** Blocks until a directory fsync that started after this call has completed. */
  void sync() throws IOException {
    CompletableFuture<Void> mine;
    lock.lock();
    try {
      if (closed) {
        throw new IOException("spool is closed");
      }
      mine = round;
      waiting = true;
      work.signal();
    } finally {
      lock.unlock();
    }
    try {
      mine.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the directory sync", e);
    }
  }

  long fsyncs() {
    return fsyncs;
  }

  private void run() {
    while (true) {
      CompletableFuture<Void> closing;
      lock.lock();
      try {
        while (!waiting && !closed) {
          work.awaitUninterruptibly();
        }
        if (!waiting) {
          return; // closed and nobody left waiting
        }
        closing = round;
        round = new CompletableFuture<>();
        waiting = false;
      } finally {
        lock.unlock();
      }
      try {
        Spool.syncDirectory(directory);
        fsyncs++;
        closing.complete(null);
      } catch (IOException | RuntimeException e) {
        closing.completeExceptionally(e);
      }
    }
  }

  /** Serves whoever is already waiting, then stops the thread. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      work.signal();
    } finally {
      lock.unlock();
    }
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package org.mxtrap.queue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Group commit for directory entries: many threads create or rename files in a directory, then call
 * {@link #sync(Path)}; one of them (the leader) fsyncs the directory for all who asked before its
 * fsync began, while later callers wait for the next fsync. Under load each fsync serves everyone
 * who arrived during the previous one; alone, a caller pays one fsync as before.
 *
 * <p>Contract: when {@code sync(dir)} returns normally, every change the calling thread made to
 * {@code dir} before the call is on stable storage. A failed directory fsync leaves the directory
 * in an unknown state (the kernel may have dropped the dirty entries), so the failure is sticky:
 * that call and every later one for the directory throw, and nothing more is acknowledged until the
 * process restarts and recovers. Thread-safe; one instance serves any number of directories.
 */
public final class GroupSync {
  private final ConcurrentHashMap<Path, Group> groups = new ConcurrentHashMap<>();
  private final AtomicLong fsyncs = new AtomicLong();
  private final boolean keepOpen;

  /**
   * @param keepOpen keep each directory open between fsyncs (saves an open and a close per fsync;
   *     one file descriptor per directory, so only for a few directories, like the spool's)
   */
  public GroupSync(boolean keepOpen) {
    this.keepOpen = keepOpen;
  }

  /** Blocks until a directory fsync that started after this call has completed. */
  public void sync(Path dir) throws IOException {
    groups.computeIfAbsent(dir.toAbsolutePath(), Group::new).sync();
  }

  /** Closes directories kept open; later calls open them again. */
  public void close() {
    for (Group g : groups.values()) {
      g.close();
    }
  }

  /** Directory fsyncs done so far (calls per fsync shows the grouping). */
  public long fsyncs() {
    return fsyncs.get();
  }

  private final class Group {
    private final Path dir;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition done = lock.newCondition();
    // guarded by lock: tickets are handed out in call order; an fsync started after ticket t
    // was handed out covers t.
    private long issued;
    private long covered;
    private boolean running;
    private @Nullable IOException failure;
    private @Nullable FileChannel channel; // open between fsyncs when keepOpen; leader only

    Group(Path dir) {
      this.dir = dir;
    }

    void close() {
      lock.lock();
      try {
        while (running) {
          done.awaitUninterruptibly();
        }
        if (channel != null) {
          try {
            channel.close();
          } catch (IOException ignored) {
            // nothing was written through it
          }
          channel = null;
        }
      } finally {
        lock.unlock();
      }
    }

    void sync() throws IOException {
      lock.lock();
      try {
        long ticket = ++issued;
        while (covered < ticket && failure == null) {
          if (running) {
            done.awaitUninterruptibly();
            continue;
          }
          running = true;
          long upTo = issued;
          IOException error = null;
          lock.unlock();
          try {
            if (keepOpen) {
              if (channel == null) {
                channel = FileChannel.open(dir, StandardOpenOption.READ);
              }
              channel.force(true);
            } else {
              Directories.sync(dir);
            }
            fsyncs.incrementAndGet();
          } catch (IOException e) {
            error = e;
          } finally {
            lock.lock();
          }
          if (error != null) {
            failure = error;
          }
          covered = upTo;
          running = false;
          done.signalAll();
        }
        if (failure != null) {
          throw new IOException("directory fsync of " + dir + " failed earlier", failure);
        }
      } finally {
        lock.unlock();
      }
    }
  }
}

package org.mxtrap.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupSyncTest {
  @TempDir Path dir;

  @Test
  void aLoneCallerPaysOneFsync() throws IOException {
    GroupSync sync = new GroupSync(false);
    sync.sync(dir);
    sync.sync(dir);
    assertThat(sync.fsyncs()).isEqualTo(2);
  }

  @Test
  void concurrentCallersAllReturnAndShareFsyncs() throws Exception {
    GroupSync sync = new GroupSync(false);
    int callers = 200;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < callers; i++) {
        int n = i;
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  Files.writeString(dir.resolve("f" + n), "x");
                  sync.sync(dir);
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    }
    assertThat(sync.fsyncs()).isBetween(1L, (long) callers);
  }

  @Test
  void keepingTheDirectoryOpenSyncsTheSame() throws IOException {
    GroupSync sync = new GroupSync(true);
    Files.writeString(dir.resolve("a"), "x");
    sync.sync(dir);
    Files.writeString(dir.resolve("b"), "x");
    sync.sync(dir);
    assertThat(sync.fsyncs()).isEqualTo(2);
  }

  @Test
  void aFailedFsyncIsSticky() throws Exception {
    GroupSync sync = new GroupSync(false);
    Path gone = dir.resolve("gone");
    assertThatThrownBy(() -> sync.sync(gone)).isInstanceOf(IOException.class);
    Files.createDirectory(gone);
    assertThatThrownBy(() -> sync.sync(gone))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("failed earlier");
    sync.sync(dir); // other directories are unaffected
  }
}

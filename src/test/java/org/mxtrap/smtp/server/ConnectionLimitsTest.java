package org.mxtrap.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
  private static final InetAddress A = address("192.0.2.1");
  private static final InetAddress B = address("192.0.2.2");

  @Test
  void perAddressAndTotalLimits() {
    ConnectionLimits l = new ConnectionLimits(3, 2);
    assertThat(l.tryAcquire(A)).isNull();
    assertThat(l.tryAcquire(A)).isNull();
    assertThat(l.tryAcquire(A)).isEqualTo(ConnectionLimits.Refusal.PER_IP);
    assertThat(l.tryAcquire(B)).isNull();
    assertThat(l.tryAcquire(B)).isEqualTo(ConnectionLimits.Refusal.TOTAL);
    assertThat(l.turnedAway()).isEqualTo(2);
    l.release(A);
    assertThat(l.tryAcquire(B)).isNull();
    assertThat(l.active()).isEqualTo(3);
  }

  @Test
  void aLowerPerAddressLimitRefusesTheNextConnectionsAndKeepsTheCountedOnes() {
    ConnectionLimits l = new ConnectionLimits(10, 3);
    assertThat(l.tryAcquire(A)).isNull();
    assertThat(l.tryAcquire(A)).isNull();
    l.maxPerIp(1);
    assertThat(l.tryAcquire(A)).isEqualTo(ConnectionLimits.Refusal.PER_IP);
    assertThat(l.active()).isEqualTo(2);
    l.release(A);
    assertThat(l.tryAcquire(A)).isEqualTo(ConnectionLimits.Refusal.PER_IP);
    l.release(A);
    assertThat(l.tryAcquire(A)).isNull();
    l.maxPerIp(2);
    assertThat(l.tryAcquire(A)).isNull();
  }

  @Test
  void anIpv4MappedAddressCountsAsTheIpv4Address() {
    ConnectionLimits l = new ConnectionLimits(10, 1);
    assertThat(l.tryAcquire(A)).isNull();
    assertThat(l.tryAcquire(address("::ffff:192.0.2.1")))
        .isEqualTo(ConnectionLimits.Refusal.PER_IP);
  }

  @Test
  void concurrentConnectsAndDisconnectsNeverLoseOrInventPermits() throws Exception {
    ConnectionLimits l = new ConnectionLimits(1_000, 5);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> tasks = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < 50; t++) {
        tasks.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 2_000; i++) {
                    if (l.tryAcquire(A) == null) {
                      l.release(A);
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : tasks) {
        f.get();
      }
    }
    assertThat(l.active()).isZero();
    for (int i = 0; i < 5; i++) {
      assertThat(l.tryAcquire(A)).isNull();
    }
    assertThat(l.tryAcquire(A)).isEqualTo(ConnectionLimits.Refusal.PER_IP);
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal); // a literal: no lookup
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}

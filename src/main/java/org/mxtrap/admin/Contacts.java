package org.mxtrap.admin;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Map;

/** The contact history, as {@code status} and {@code explain} read it. Thread-safe. */
public interface Contacts {

  /** The last contact time per preference of {@code client}'s network. */
  Map<Integer, Instant> contacts(InetAddress client);

  /** How many networks were evicted to keep within capacity, since start. */
  long evictions();
}

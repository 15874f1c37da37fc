package org.mxtrap.delivery;

/**
 * An enhanced mail system status code (RFC 3463), {@code class.subject.detail}: what a DSN's {@code
 * Status:} field and the log's {@code dsn=} carry.
 */
public record EnhancedStatus(int statusClass, int subject, int detail) {
  /** 2.0.0 Delivered. */
  public static final EnhancedStatus DELIVERED = new EnhancedStatus(2, 0, 0);

  /** 4.3.0 Other or undefined mail system status (temporary): our own trouble. */
  public static final EnhancedStatus TEMP_SYSTEM = new EnhancedStatus(4, 3, 0);

  /** 4.3.1 Mail system full. */
  public static final EnhancedStatus TEMP_SYSTEM_FULL = new EnhancedStatus(4, 3, 1);

  /** 4.4.4 Unable to route: no next hop for this domain in this version. */
  public static final EnhancedStatus TEMP_UNABLE_TO_ROUTE = new EnhancedStatus(4, 4, 4);

  /** 4.4.7 Delivery time expired (reported with Action: failed). */
  public static final EnhancedStatus DELIVERY_TIME_EXPIRED = new EnhancedStatus(4, 4, 7);

  /** 5.1.1 Bad destination mailbox address. */
  public static final EnhancedStatus BAD_MAILBOX = new EnhancedStatus(5, 1, 1);

  public EnhancedStatus {
    if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
      throw new IllegalArgumentException("status class must be 2, 4 or 5: " + statusClass);
    }
    if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
      throw new IllegalArgumentException("subject and detail are 0..999");
    }
  }

  /** Parses {@code 5.1.1}. */
  public static EnhancedStatus parse(String s) {
    String[] p = s.split("\\.", -1);
    if (p.length != 3) {
      throw new IllegalArgumentException("not an enhanced status code: " + s);
    }
    return new EnhancedStatus(
        Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
  }

  @Override
  public String toString() {
    return statusClass + "." + subject + "." + detail;
  }
}

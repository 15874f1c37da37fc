package org.mxtrap.queue;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.ForwardPath;

/**
 * Where one recipient of a queued message stands.
 *
 * @param index the recipient's position in {@link org.mxtrap.core.Envelope#recipients()}
 * @param recipient the forward path
 * @param status pending (never tried, or deferred), delivered or failed
 * @param attempts how many attempts recorded an outcome for this recipient
 * @param dsn the enhanced status code of the last outcome ({@code 2.0.0}, {@code 4.4.1}, ...), or
 *     null when never tried
 * @param text the last outcome in words, or null when never tried
 * @param at when the last outcome was recorded, or null when never tried
 */
public record RecipientState(
    int index,
    ForwardPath recipient,
    Status status,
    int attempts,
    @Nullable String dsn,
    @Nullable String text,
    @Nullable Instant at) {

  public RecipientState {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(status, "status");
  }

  public enum Status {
    /** Not delivered yet: never tried, or the last attempt failed temporarily. */
    PENDING,
    /** Delivered; never tried again. */
    DELIVERED,
    /** Failed permanently or expired; a DSN has been queued if one is due. */
    FAILED;

    public boolean isFinal() {
      return this != PENDING;
    }
  }

  static RecipientState fresh(int index, ForwardPath recipient) {
    return new RecipientState(index, recipient, Status.PENDING, 0, null, null, null);
  }
}

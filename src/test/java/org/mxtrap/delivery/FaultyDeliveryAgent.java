package org.mxtrap.delivery;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.ForwardPath;

/**
 * Wraps a real agent and answers for some recipients itself, as scripted; records every call. The
 * script returns null to let the real agent deliver.
 */
final class FaultyDeliveryAgent implements DeliveryAgent {
  final List<Delivery> calls = new CopyOnWriteArrayList<>();
  private final DeliveryAgent real;
  private volatile Function<ForwardPath, @Nullable RecipientResult> script;

  FaultyDeliveryAgent(DeliveryAgent real, Function<ForwardPath, @Nullable RecipientResult> script) {
    this.real = real;
    this.script = script;
  }

  void script(Function<ForwardPath, @Nullable RecipientResult> script) {
    this.script = script;
  }

  static RecipientResult defer(ForwardPath r) {
    return new RecipientResult.Deferred(r, "fake", new EnhancedStatus(4, 2, 2), "mailbox full");
  }

  static RecipientResult fail(ForwardPath r) {
    return new RecipientResult.Failed(r, "fake", EnhancedStatus.BAD_MAILBOX, "no such user");
  }

  @Override
  public List<RecipientResult> deliver(Delivery d) throws IOException {
    calls.add(d);
    List<RecipientResult> out = new ArrayList<>();
    for (ForwardPath r : d.recipients()) {
      RecipientResult scripted = script.apply(r);
      out.add(
          scripted != null
              ? scripted
              : real.deliver(
                      new Delivery(
                          d.queueId(), d.envelope(), d.trace(), List.of(r), d.content(), d.prior()))
                  .get(0));
    }
    return out;
  }
}

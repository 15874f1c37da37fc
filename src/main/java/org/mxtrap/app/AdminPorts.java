package org.mxtrap.app;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.mxtrap.admin.Contacts;
import org.mxtrap.admin.Decisions;
import org.mxtrap.admin.Engine;
import org.mxtrap.admin.Host;
import org.mxtrap.admin.Queue;
import org.mxtrap.admin.Reloader;
import org.mxtrap.admin.StateLines;
import org.mxtrap.admin.StateStore;
import org.mxtrap.admin.StateTransfer;
import org.mxtrap.admin.Suppressions;
import org.mxtrap.admin.Traps;
import org.mxtrap.config.MxtrapConfig;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.Cidr;
import org.mxtrap.core.Decision;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.Mailbox;
import org.mxtrap.core.Verdict;
import org.mxtrap.delivery.QueueRunner;
import org.mxtrap.observe.Event;
import org.mxtrap.observe.Events;
import org.mxtrap.policy.Arming;
import org.mxtrap.policy.RecentDecisions;
import org.mxtrap.policy.TrapEngine;
import org.mxtrap.queue.QueueEntry;
import org.mxtrap.queue.RecipientState;
import org.mxtrap.queue.Spool;
import org.mxtrap.state.ContactHistory;
import org.mxtrap.state.Suppression;
import org.mxtrap.state.SuppressionStore;

/**
 * The admin API's view of this host: its ports, wired from the policy, state, queue and delivery
 * parts. Public for the admin tests, which serve the API over a real engine and stores.
 */
public final class AdminPorts {
  private AdminPorts() {}

  public static Host host(
      MxtrapConfig config,
      StateStore state,
      TrapEngine engine,
      Arming arming,
      SuppressionStore suppressions,
      ContactHistory contacts,
      RecentDecisions recent,
      Events events,
      Spool spool,
      QueueRunner runner,
      Reloader reloader) {
    return new Host(
        config.hostname(),
        config.layout().entries(),
        config.layout().entries().stream().filter(config::serves).toList(),
        config.trap().suppressFor(),
        state,
        (trap, now) -> {
          Arming.State s = arming.state(trap, now);
          return new Traps.Armed(s.armed(), s.why(), s.armsAt());
        },
        suppressions(suppressions, events),
        engine(engine),
        decisions(recent),
        contacts(contacts),
        queue(spool, runner),
        transfer(suppressions, contacts, config.trap().window()),
        reloader);
  }

  private static Queue queue(Spool spool, QueueRunner runner) {
    return new Queue() {
      @Override
      public boolean isId(String text) {
        return Spool.isId(text);
      }

      @Override
      public List<Message> list() {
        return spool.list().stream().map(AdminPorts::message).toList();
      }

      @Override
      public Optional<Message> find(String id) {
        return spool.find(id).map(AdminPorts::message);
      }

      @Override
      public int flush() {
        int queued = spool.size();
        runner.flush();
        return queued;
      }

      @Override
      public boolean delete(String id) throws IOException {
        // The runner finds the message gone: before an attempt it skips it, after one it records
        // nothing (see QueueRunner).
        return spool.remove(id);
      }
    };
  }

  private static Queue.Message message(QueueEntry e) {
    Mailbox sender = e.envelope().reversePath().mailbox();
    return new Queue.Message(
        e.id(),
        sender == null ? "" : sender.toString(),
        e.arrival(),
        e.size(),
        Addresses.text(e.trace().client().getAddress()),
        e.recipients().stream().map(r -> recipient(r, e.nextAttempt())).toList());
  }

  /** {@code next} is the message's next attempt: every recipient still pending shares it. */
  private static Queue.Recipient recipient(RecipientState r, Instant next) {
    Queue.Status status =
        switch (r.status()) {
          case PENDING -> r.attempts() == 0 ? Queue.Status.PENDING : Queue.Status.DEFERRED;
          case DELIVERED -> Queue.Status.DELIVERED;
          case FAILED -> Queue.Status.FAILED;
        };
    return new Queue.Recipient(
        r.recipient().mailbox().toString(),
        status,
        r.attempts(),
        r.status().isFinal() ? null : next,
        status == Queue.Status.DEFERRED || status == Queue.Status.FAILED
            ? r.dsn() + " " + r.text()
            : null);
  }

  private static Engine engine(TrapEngine engine) {
    return new Engine() {
      @Override
      public Optional<Cidr> allowedBy(InetAddress client) {
        return engine.allowedBy(client);
      }

      @Override
      public Optional<Cidr> blockedBy(InetAddress client) {
        return engine.blockedBy(client);
      }

      @Override
      public List<Decision> wouldDecide(
          InetAddress client, List<LayoutEntry> entries, Instant now) {
        return engine.wouldDecide(client, entries, now);
      }
    };
  }

  private static Decisions decisions(RecentDecisions recent) {
    return new Decisions() {
      @Override
      public Map<Verdict, Long> counts() {
        return recent.counts();
      }

      @Override
      public List<Remembered> about(InetAddress client) {
        return recent.about(client).stream()
            .map(r -> new Remembered(r.contact(), r.decision()))
            .toList();
      }
    };
  }

  private static Contacts contacts(ContactHistory history) {
    return new Contacts() {
      @Override
      public Map<Integer, Instant> contacts(InetAddress client) {
        return history.contacts(client);
      }

      @Override
      public long evictions() {
        return history.evictions();
      }
    };
  }

  /** The store, telling {@code events} of every suppression added or removed by hand. */
  static Suppressions suppressions(SuppressionStore store, Events events) {
    return new Suppressions() {
      @Override
      public List<Entry> active(Instant now) {
        return store.active(now).stream().map(AdminPorts::entry).toList();
      }

      @Override
      public Optional<Entry> find(InetAddress address, Instant now) {
        return store.find(address, now).map(AdminPorts::entry);
      }

      @Override
      public List<Entry> history(InetAddress address) {
        return store.history(address).stream().map(AdminPorts::entry).toList();
      }

      @Override
      public Entry add(
          Cidr prefix, Instant now, Duration duration, String reason, String evidence) {
        Suppression s = store.add(prefix, now, duration, reason, evidence);
        events.on(new Event.Suppressed(s.prefix(), s.until(), s.offences(), s.reason()));
        return entry(s);
      }

      @Override
      public boolean remove(Cidr prefix, Instant now) {
        boolean removed = store.remove(prefix, now);
        if (removed) {
          events.on(new Event.SuppressionRemoved(prefix));
        }
        return removed;
      }
    };
  }

  private static Suppressions.Entry entry(Suppression s) {
    return Suppressions.Entry.of(
        s.prefix(), s.since(), s.until(), s.reason(), s.offences(), s.evidence());
  }

  /**
   * The stores as export and import see them: an imported suppression goes in as it was (no event:
   * it is no new offence), a contact older than {@code window} is left out.
   */
  private static StateTransfer transfer(
      SuppressionStore suppressions, ContactHistory contacts, Duration window) {
    return new StateTransfer() {
      @Override
      public void suppressions(Instant now, Consumer<StateLines.Suppression> sink) {
        for (Suppression s : suppressions.stored(now)) {
          sink.accept(
              new StateLines.Suppression(
                  s.prefix().toString(),
                  s.since(),
                  s.until(),
                  s.reason(),
                  s.offences(),
                  s.evidence()));
        }
      }

      @Override
      public void contacts(Instant now, Consumer<StateLines.Contact> sink) {
        contacts.each(
            now.minus(window),
            c ->
                sink.accept(
                    new StateLines.Contact(c.network().toString(), c.preference(), c.at())));
      }

      @Override
      public boolean restore(StateLines.Suppression s, Instant now) {
        return suppressions
            .restore(
                new Suppression(
                    Cidr.parse(s.prefix()),
                    s.since(),
                    s.until(),
                    s.reason(),
                    s.offences(),
                    s.evidence()),
                now)
            .isPresent();
      }

      @Override
      public boolean restore(StateLines.Contact c, Instant now) {
        if (c.at().isBefore(now.minus(window))) {
          return false;
        }
        contacts.restore(
            new ContactHistory.Contact(Cidr.parse(c.network()), c.preference(), c.at()));
        return true;
      }
    };
  }
}

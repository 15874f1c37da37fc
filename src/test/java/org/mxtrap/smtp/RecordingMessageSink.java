package org.mxtrap.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.TraceInfo;

/** Keeps every message in memory and remembers how each one ended. */
final class RecordingMessageSink implements MessageSink {

  enum Fault {
    NONE,
    OPEN,
    COMMIT
  }

  /** One opened message. */
  static final class Message implements Incoming {
    final Envelope envelope;
    final TraceInfo trace;
    final ByteArrayOutputStream content = new ByteArrayOutputStream();
    private final Fault fault;
    private final String id;
    boolean committed;
    boolean aborted;

    Message(Envelope envelope, TraceInfo trace, Fault fault, String id) {
      this.envelope = envelope;
      this.trace = trace;
      this.fault = fault;
      this.id = id;
    }

    String text() {
      return content.toString(UTF_8);
    }

    @Override
    public OutputStream content() {
      return content;
    }

    @Override
    public String commit() throws IOException {
      if (aborted) {
        throw new IllegalStateException("commit after abort");
      }
      if (fault == Fault.COMMIT) {
        throw new IOException("fsync failed");
      }
      committed = true;
      return id;
    }

    @Override
    public void abort() {
      if (!committed) {
        aborted = true;
      }
    }
  }

  private final Fault fault;
  final List<Message> opened = new ArrayList<>();

  RecordingMessageSink() {
    this(Fault.NONE);
  }

  RecordingMessageSink(Fault fault) {
    this.fault = fault;
  }

  @Override
  public Incoming open(Envelope envelope, TraceInfo trace) throws IOException {
    if (fault == Fault.OPEN) {
      throw new IOException("no space left on device");
    }
    Message m = new Message(envelope, trace, fault, "4Q" + (opened.size() + 1));
    opened.add(m);
    return m;
  }

  List<Message> committed() {
    return opened.stream().filter(m -> m.committed).toList();
  }
}

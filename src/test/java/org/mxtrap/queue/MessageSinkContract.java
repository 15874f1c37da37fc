package org.mxtrap.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxtrap.queue.SpoolFixtures.envelope;
import static org.mxtrap.queue.SpoolFixtures.trace;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mxtrap.core.Envelope;
import org.mxtrap.core.MessageSink;
import org.mxtrap.core.ReversePath;

/**
 * What every {@link MessageSink} does, whatever becomes of a message (queued, or delivered in the
 * session): the session's side of the port — call order, queue IDs, commit and abort. An
 * implementation's test extends this and says where a committed message can be found.
 */
public abstract class MessageSinkContract {
  /** A message above every in-session limit the tests use (1 KiB and the default 128 KiB). */
  static final String LARGE = "Subject: large\r\n\r\n" + ("y".repeat(998) + "\r\n").repeat(200);

  /** The sink under test, ready for use. */
  protected abstract MessageSink sink();

  /**
   * What the sink stored under {@code id} (the queue file's content, or a delivered copy), with
   * line ends as LF; it ends with the content as received. Empty when nothing is stored under it.
   */
  protected abstract Optional<String> stored(String id) throws IOException;

  /** How many messages the sink holds or has delivered so far. */
  protected abstract int storedCount() throws IOException;

  private static String lf(String crlf) {
    return crlf.replace("\r\n", "\n");
  }

  private static byte[] octets(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private MessageSink.Incoming openOne() throws IOException {
    return sink().open(envelope("bob@example.org", "alice@example.com"), trace());
  }

  @Test
  void contentWrittenInPiecesIsStoredWhole() throws IOException {
    String content = "Subject: pieces\r\n\r\nfirst line\r\nsecond line\r\n";
    String id;
    try (MessageSink.Incoming in = openOne()) {
      OutputStream out = in.content();
      out.write(octets(content.substring(0, 10)));
      out.write(octets(content.substring(10, 29)));
      out.write(content.charAt(29)); // a CR alone; its LF comes in the next write
      out.write(octets(content.substring(30)));
      id = in.commit();
    }

    assertThat(stored(id)).hasValueSatisfying(s -> assertThat(s).endsWith(lf(content)));
  }

  @Test
  void aLargeMessageIsStoredWhole() throws IOException {
    String id;
    try (MessageSink.Incoming in = openOne()) {
      in.content().write(octets(LARGE));
      id = in.commit();
    }

    assertThat(stored(id)).hasValueSatisfying(s -> assertThat(s).endsWith(lf(LARGE)));
  }

  @Test
  void everyMessageGetsAQueueIdOfItsOwn() throws IOException {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      ids.add(SpoolFixtures.enqueue(sink(), "bob@example.org", "alice@example.com"));
    }

    assertThat(ids).hasSize(3).allSatisfy(id -> assertThat(QueueIds.isValid(id)).isTrue());
    assertThat(storedCount()).isEqualTo(3);
  }

  @Test
  void commitAgainReturnsTheSameIdAndAbortAfterItChangesNothing() throws IOException {
    try (MessageSink.Incoming in = openOne()) {
      in.content().write(octets(SpoolFixtures.CONTENT));
      String id = in.commit();

      assertThat(in.commit()).isEqualTo(id);
      in.abort();
      assertThat(stored(id)).isPresent();
    }
    assertThat(storedCount()).isEqualTo(1);
  }

  @Test
  void anAbortedMessageLeavesNothingAndCannotBeCommitted() throws IOException {
    for (String content : List.of(SpoolFixtures.CONTENT, LARGE)) {
      MessageSink.Incoming in = openOne();
      in.content().write(octets(content));
      in.abort();
      in.abort();

      assertThatThrownBy(in::commit).isInstanceOf(IOException.class);
    }
    assertThat(storedCount()).isZero();
  }

  @Test
  void closingAMessageNotCommittedAbortsIt() throws IOException {
    for (String content : List.of(SpoolFixtures.CONTENT, LARGE)) {
      try (MessageSink.Incoming in = openOne()) {
        in.content().write(octets(content));
      }
    }
    assertThat(storedCount()).isZero();
  }

  @Test
  void aMessageNeedsARecipient() {
    Envelope none = new Envelope(ReversePath.NULL, List.of(), "7BIT", false);

    assertThatThrownBy(() -> sink().open(none, trace()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

package org.mxtrap.admin;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.mxtrap.observe.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /state} (export) and {@code POST /state} (import), in the lines of {@link StateLines}.
 * Both stream: an export is written as the stores hand it out, an import applied as it is read, so
 * neither side holds a million contacts at once.
 *
 * <p>Import applies line by line. A line the host cannot take (a preference not in its layout, a
 * network wider than its excuse prefix) is skipped and reported with its number; one that counts
 * for nothing any more (a suppression ended {@code REPEAT_WINDOW} ago, a contact older than the
 * trap window) is skipped and counted. A malformed line, a missing end line or a store that fails
 * stops the import with an error that says how much was applied before it: the CLI checks the whole
 * file before it sends it, so a stop is rare and never silent.
 */
final class StateEndpoint {
  private static final Logger log = LoggerFactory.getLogger("admin");

  /** The refused lines an import answer names; past this many, only their count. */
  static final int MAX_REFUSED_SHOWN = 100;

  private final Clock clock;
  private final StateTransfer transfer;

  StateEndpoint(Clock clock, StateTransfer transfer) {
    this.clock = clock;
    this.transfer = transfer;
  }

  /**
   * Writes the export to {@code out}, {@code end} last; a store that fails part way gets an {@code
   * error} line instead.
   *
   * @throws IOException when the client goes away
   */
  void export(OutputStream out) throws IOException {
    Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
    Instant now = clock.instant();
    long[] counts = new long[2];
    try {
      transfer.suppressions(
          now,
          s -> {
            write(w, StateLines.line(s));
            counts[0]++;
          });
      transfer.contacts(
          now,
          c -> {
            write(w, StateLines.line(c));
            counts[1]++;
          });
    } catch (ClientGone e) {
      throw e.io;
    } catch (UncheckedIOException e) {
      log.error("state export failed part way: {}", e.getMessage());
      write(w, new StateLines.Line(null, null, null, "the export failed: " + e.getMessage()));
      w.flush();
      return;
    }
    write(w, new StateLines.Line(null, null, new StateLines.End(counts[0], counts[1]), null));
    w.flush();
    log.info("state exported: {} suppressions, {} contacts", counts[0], counts[1]);
  }

  /**
   * Applies the export read from {@code in}.
   *
   * @throws ApiException 400 for a malformed line or a missing end line, 503 when a store fails:
   *     either names the line and how much was imported before it
   */
  Answer.Imported importFrom(InputStream in) throws IOException {
    Instant now = clock.instant();
    StateLines.Reader reader = new StateLines.Reader();
    long suppressions = 0;
    long contacts = 0;
    long tooOld = 0;
    long refusedCount = 0;
    List<Answer.Refused> refused = new ArrayList<>();
    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    long number = 0;
    for (String text = lines.readLine(); text != null; text = lines.readLine()) {
      number++;
      String where = "line " + number;
      StateLines.Line line;
      try {
        line = reader.next(text);
      } catch (IllegalArgumentException e) {
        throw stopped(400, where + ": " + message(e), suppressions, contacts);
      }
      try {
        StateLines.Suppression s = line.suppression();
        StateLines.Contact c = line.contact();
        if (s != null && transfer.restore(s, now)) {
          suppressions++;
        } else if (c != null && transfer.restore(c, now)) {
          contacts++;
        } else if (s != null || c != null) {
          tooOld++;
        }
      } catch (IllegalArgumentException e) {
        if (refused.size() < MAX_REFUSED_SHOWN) {
          refused.add(new Answer.Refused(number, message(e)));
        }
        refusedCount++;
      } catch (UncheckedIOException e) {
        throw stopped(503, where + ": " + message(e), suppressions, contacts);
      }
    }
    try {
      reader.finish();
    } catch (IllegalArgumentException e) {
      throw stopped(400, message(e), suppressions, contacts);
    }
    log.info(
        "state imported: {} suppressions, {} contacts; {} too old, {} refused",
        suppressions,
        contacts,
        tooOld,
        refusedCount);
    return new Answer.Imported(suppressions, contacts, tooOld, refusedCount, refused);
  }

  private static ApiException stopped(int status, String why, long suppressions, long contacts) {
    String message =
        "import stopped at "
            + why
            + "; imported before it: "
            + suppressions
            + " suppressions, "
            + contacts
            + " contacts";
    log.warn(message);
    return new ApiException(status, message);
  }

  private static String message(Exception e) {
    Throwable cause = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
    return Objects.requireNonNullElse(cause.getMessage(), cause.toString());
  }

  private static void write(Writer w, StateLines.Line line) {
    write(w, Json.write(line));
  }

  private static void write(Writer w, String line) {
    try {
      w.write(line);
      w.write('\n');
    } catch (IOException e) {
      throw new ClientGone(e);
    }
  }

  /** The client stopped reading: nothing to tell it. */
  private static final class ClientGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final IOException io;

    ClientGone(IOException io) {
      super(io);
      this.io = io;
    }
  }
}

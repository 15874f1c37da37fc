package org.mxtrap.delivery;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.ForwardPath;
import org.mxtrap.core.LayoutEntry;
import org.mxtrap.core.TraceInfo;

/**
 * The {@code Received:} trace header (RFC 5321 4.4) we add when we deliver a message:
 *
 * <pre>
 * Received: from mail.example.org (client.example.org [192.0.2.7])
 * 	by mail.example.com ([192.0.2.10]:25, primary, MX 10) with ESMTPS
 * 	(TLSv1.3 TLS_AES_256_GCM_SHA384) id 1JWTKQJ80000H for &lt;alice@example.com&gt;;
 * 	Tue, 3 Jun 2025 10:00:00 +0000
 * </pre>
 *
 * <ul>
 *   <li>{@code from}: the HELO/EHLO argument; then, in the comment, the client's verified reverse
 *       name ({@code unknown} when there is none, as Postfix writes it) and its address literal
 *       ({@code [192.0.2.7]}, {@code [IPv6:2001:db8::7]}). A HELO argument that is neither a domain
 *       nor an address literal is written as {@code unknown} so it cannot break the header's
 *       syntax.
 *   <li>{@code by}: our host name; in the comment, the local address and port the message arrived
 *       on and the role and preference of that layout entry.
 *   <li>{@code with}: the RFC 3848 keyword (ESMTP, ESMTPS, ...), then the TLS protocol and cipher
 *       as a comment when the session was encrypted.
 *   <li>{@code id}: the queue ID. {@code for}: the one recipient of this copy (Maildir copies are
 *       per recipient, so naming it reveals nothing to anyone else), omitted when not given.
 *   <li>The date is when we accepted the message, in RFC 5322 form, UTC.
 * </ul>
 *
 * Clauses are folded greedily (CRLF + TAB) so that lines stay within 78 characters unless a single
 * clause is longer.
 */
final class ReceivedHeader {
  static final int MAX_LINE = 78;
  static final DateTimeFormatter RFC5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.US)
          .withZone(ZoneOffset.UTC);
  private static final Pattern DOMAIN_OR_LITERAL =
      Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\\.?|\\[[A-Za-z0-9.:-]+\\]");

  private ReceivedHeader() {}

  /** The header field, folded, ending in CRLF. */
  static String of(
      TraceInfo trace, String hostname, String queueId, @Nullable ForwardPath forPath) {
    String helo = DOMAIN_OR_LITERAL.matcher(trace.helo()).matches() ? trace.helo() : "unknown";
    String clientName = trace.clientName() == null ? "unknown" : trace.clientName();
    LayoutEntry e = trace.entry();
    List<String> clauses = new ArrayList<>();
    clauses.add(
        "Received: from "
            + helo
            + " ("
            + clientName
            + " "
            + Addresses.smtpLiteral(trace.client().getAddress())
            + ")");
    clauses.add(
        "by "
            + hostname
            + " ("
            + Addresses.smtpLiteral(trace.local().getAddress())
            + ":"
            + trace.local().getPort()
            + ", "
            + e.role().label()
            + ", MX "
            + e.preference()
            + ")");
    clauses.add("with " + trace.protocol());
    if (trace.tls() != null) {
      clauses.add("(" + trace.tls() + ")");
    }
    String date = RFC5322_DATE.format(trace.received());
    if (forPath == null) {
      clauses.add("id " + queueId + ";");
    } else {
      clauses.add("id " + queueId);
      clauses.add("for " + forPath + ";");
    }
    clauses.add(date);
    return fold(clauses);
  }

  /** The Return-Path header of final delivery (RFC 5321 4.4), ending in CRLF. */
  static String returnPath(org.mxtrap.core.ReversePath reversePath) {
    return "Return-Path: " + reversePath + "\r\n";
  }

  static String format(Instant t) {
    return RFC5322_DATE.format(t);
  }

  private static String fold(List<String> clauses) {
    StringBuilder out = new StringBuilder(256);
    int lineLength = 0;
    for (String c : clauses) {
      if (out.isEmpty()) {
        out.append(c);
        lineLength = c.length();
      } else if (lineLength + 1 + c.length() <= MAX_LINE) {
        out.append(' ').append(c);
        lineLength += 1 + c.length();
      } else {
        out.append("\r\n\t").append(c);
        lineLength = 1 + c.length();
      }
    }
    return out.append("\r\n").toString();
  }
}

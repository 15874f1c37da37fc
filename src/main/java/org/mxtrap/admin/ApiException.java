package org.mxtrap.admin;

import java.util.Objects;

/**
 * A request the API answers with an error status and a message for the caller (never a stack
 * trace): bad input (400), nothing there (404), wrong method (405).
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String allow;

  ApiException(int status, String message) {
    this(status, message, "");
  }

  /** A 405 names the methods the path allows ({@code Allow} header, RFC 9110 10.2.1). */
  ApiException(int status, String message, String allow) {
    super(message, null, false, false);
    this.status = status;
    this.allow = allow;
  }

  /** Never null: every constructor takes one. */
  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  int status() {
    return status;
  }

  /** The {@code Allow} header value of a 405, else empty. */
  String allow() {
    return allow;
  }
}

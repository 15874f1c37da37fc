package org.mxtrap.delivery;

/** The protocol the client speaks to its peer, as {@code delivery.relay.protocol} will say. */
public enum Protocol {
  /** RFC 5321: EHLO (HELO when EHLO is refused with 5xx), one reply after the end of data. */
  SMTP,
  /** RFC 2033: LHLO, and after the end of data one reply per accepted recipient, in order. */
  LMTP
}

/**
 * Postfix's SMTP access policy delegation protocol (SMTPD_POLICY_README) in front of {@link
 * org.mxtrap.core.Admission}: the same trap engine as the built-in SMTP server, asked by Postfix's
 * {@code check_policy_service}. Sees only {@code core}; app hands it its settings and reply texts.
 */
@NullMarked
package org.mxtrap.postfix;

import org.jspecify.annotations.NullMarked;

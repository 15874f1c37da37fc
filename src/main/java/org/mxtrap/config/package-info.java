/**
 * The configuration: immutable records, the embedded demo defaults, and the loader that validates a
 * YAML file once and reports every problem at once as {@code file:line: key: message}.
 */
@NullMarked
package org.mxtrap.config;

import org.jspecify.annotations.NullMarked;

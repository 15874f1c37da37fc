package org.mxtrap.config;

import java.nio.file.Path;

/**
 * STARTTLS key material.
 *
 * @param cert PEM file with the certificate chain, leaf first
 * @param key PEM file with the private key (PKCS#8 {@code PRIVATE KEY} or PKCS#1 {@code RSA PRIVATE
 *     KEY}), unencrypted
 */
public record TlsSettings(Path cert, Path key) {}

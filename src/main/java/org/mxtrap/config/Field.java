package org.mxtrap.config;

import org.yaml.snakeyaml.nodes.Node;

/**
 * A value in the node tree with its key path: a mapping entry ({@code key} is the key's node) or a
 * list item ({@code key} is the item itself).
 *
 * @param path the key path problems name, e.g. {@code layout[2].address} (list indices from 0)
 */
record Field(String path, Node key, Node value) {}

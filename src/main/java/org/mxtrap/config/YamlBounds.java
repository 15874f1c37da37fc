package org.mxtrap.config;

import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.mxtrap.config.ConfigException.Problem;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * The bounds a config document must keep before it is composed into a tree: a config file is a few
 * kilobytes, a few levels deep, with an alias or two. Past them lies a hostile or broken file (the
 * "billion laughs" of aliases to lists of aliases, thousands of nested brackets), which SnakeYAML
 * would refuse too, but without saying where. This walks the document's events first and names the
 * line of the first event past a bound; SnakeYAML's own limits, set to the same numbers by {@link
 * #loaderOptions()}, stay behind it as a backstop.
 *
 * <p>Stateless; the parse errors of the walk itself ({@code MarkedYAMLException}) are the caller's
 * to report, as for composing.
 */
final class YamlBounds {
  private YamlBounds() {}

  /** The largest file, in octets (and so in code points): a config file is a few kilobytes. */
  static final int MAX_OCTETS = 1 << 20;

  /** Lists and mappings inside one another; the deepest key path of the format has 4. */
  static final int MAX_DEPTH = 50;

  /** Aliases of lists and mappings (aliases of single values cost nothing and are not counted). */
  static final int MAX_COLLECTION_ALIASES = 50;

  /** SnakeYAML's options with its own limits at ours. */
  static LoaderOptions loaderOptions() {
    LoaderOptions o = new LoaderOptions();
    o.setCodePointLimit(MAX_OCTETS);
    o.setNestingDepthLimit(MAX_DEPTH);
    o.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
    o.setAllowRecursiveKeys(false);
    return o;
  }

  /**
   * The first bound {@code text} passes, as a problem at its line; null when it keeps them all.
   *
   * @param file the file name for the problem
   */
  static @Nullable Problem check(String file, String text) {
    int depth = 0;
    int collectionAliases = 0;
    // For every anchor seen: whether it names a list or mapping. Open collections are on the
    // stack ("" for one without an anchor), so an alias inside its own anchor is seen.
    Map<String, Boolean> anchors = new HashMap<>();
    Deque<String> open = new ArrayDeque<>();
    Iterator<Event> events = new Yaml(loaderOptions()).parse(new StringReader(text)).iterator();
    int reached = 1; // the last line the parser got to
    while (true) {
      Event e;
      try {
        if (!events.hasNext()) {
          break;
        }
        e = events.next();
      } catch (MarkedYAMLException marked) {
        throw marked; // the caller reports it at its mark
      } catch (YAMLException unmarked) {
        // SnakeYAML gives some errors no mark: a character YAML does not allow (at a position
        // in the stream), a simple key that is not first on its line (nowhere). Say where.
        int line = unmarked instanceof ReaderException r ? lineAt(text, r.getPosition()) : reached;
        return new Problem(file, line, "", "YAML syntax error: " + unmarked.getMessage());
      }
      int line = e.getStartMark() == null ? 0 : e.getStartMark().getLine() + 1;
      if (e.getEndMark() != null) {
        reached = e.getEndMark().getLine() + 1;
      }
      String tag =
          e instanceof ScalarEvent sc
              ? sc.getTag()
              : e instanceof CollectionStartEvent cs ? cs.getTag() : null;
      if (tag != null && !tag.equals("!")) {
        try {
          new Tag(tag); // what the composer makes of it; SnakeYAML refuses some this way only
        } catch (IllegalArgumentException bad) {
          return new Problem(
              file, line, "", "YAML syntax error: bad tag " + tag + ": " + bad.getMessage());
        }
      }
      if (e instanceof CollectionStartEvent c) {
        if (++depth > MAX_DEPTH) {
          return new Problem(
              file,
              line,
              "",
              "lists and mappings nested more than " + MAX_DEPTH + " deep: not a config file");
        }
        open.push(c.getAnchor() == null ? "" : c.getAnchor());
        if (c.getAnchor() != null) {
          anchors.put(c.getAnchor(), true);
        }
      } else if (e instanceof CollectionEndEvent) {
        depth--;
        open.pop();
      } else if (e instanceof AliasEvent a) {
        String anchor = a.getAnchor();
        if (open.contains(anchor)) {
          return new Problem(
              file, line, "", "alias *" + anchor + " inside its own anchor &" + anchor);
        }
        if (Boolean.TRUE.equals(anchors.get(anchor))
            && ++collectionAliases > MAX_COLLECTION_ALIASES) {
          return new Problem(
              file,
              line,
              "",
              "more than "
                  + MAX_COLLECTION_ALIASES
                  + " aliases of lists or mappings (an alias bomb?): write the values out");
        }
      } else if (e instanceof NodeEvent n && n.getAnchor() != null) {
        anchors.put(n.getAnchor(), false); // a scalar
      }
    }
    return null;
  }

  /** The line (from 1) of the {@code codePoints}th code point of {@code text}, as YAML counts. */
  private static int lineAt(String text, int codePoints) {
    int line = 1;
    int i = 0;
    for (int n = 0; i < text.length() && n < codePoints; n++) {
      int c = text.codePointAt(i);
      boolean crlf = c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n';
      if (!crlf && (c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029)) {
        line++;
      }
      i += Character.charCount(c);
    }
    return line;
  }
}

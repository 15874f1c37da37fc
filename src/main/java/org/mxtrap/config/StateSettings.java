package org.mxtrap.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where the trap engine's memory lives (PRODUCT.md {@code state}): {@code local}, the embedded
 * store in {@code DATA_DIR/state/}, or {@code redis}, one Redis shared by every host of the site.
 *
 * @param store which store
 * @param maxContacts client networks the contact history holds at most; beyond, the one seen least
 *     recently is forgotten (and counted, and logged)
 * @param redis {@link Store#REDIS}: where the shared store is; null otherwise
 */
public record StateSettings(Store store, int maxContacts, @Nullable Redis redis) {

  public enum Store {
    LOCAL,
    REDIS
  }

  public StateSettings {
    Objects.requireNonNull(store, "store");
    if ((store == Store.REDIS) != (redis != null)) {
      throw new IllegalArgumentException("redis settings go with store redis, and only with it");
    }
  }

  /**
   * One Redis server ({@code state.redis}).
   *
   * @param url {@code redis://HOST:PORT[/DB]} or {@code rediss://} (TLS), no password in it
   * @param passwordFile the file whose first line is the password (never logged), or null
   * @param keyPrefix put before every key, so that several sites can share one Redis
   */
  public record Redis(URI url, @Nullable Path passwordFile, String keyPrefix) {
    public Redis {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
    }

    static final Key<Redis, URI> URL =
        Key.required("url", Type.of(Redis::url, URI::toString), "redis://HOST:PORT", null);
    static final Key<Redis, Path> PASSWORD_FILE =
        Key.of("password_file", Type.readableFile(), null, r -> r.passwordFile());
    static final Key<Redis, String> KEY_PREFIX =
        Key.of("key_prefix", Type.of(Redis::keyPrefix, p -> p), "mxtrap:", Redis::keyPrefix);

    static final Section<Redis> TABLE =
        Section.of("state.redis", List.of(URL, PASSWORD_FILE, KEY_PREFIX), Redis::build)
            .describedAs(Redis::describe)
            .notBuilt(
                Map.of(
                    "sentinel", "Redis Sentinel is not built; give the master's url",
                    "cluster", "Redis Cluster is not built; give one server's url"));

    /**
     * {@code redis://10.0.0.5:6379 key_prefix=mxtrap: password_file=/etc/...}: never the password.
     */
    static String describe(Redis r) {
      return r.url()
          + " key_prefix="
          + r.keyPrefix()
          + (r.passwordFile() == null ? "" : " password_file=" + r.passwordFile());
    }

    private static @Nullable Redis build(Values v) {
      URI url = v.get(URL);
      Path password = v.get(PASSWORD_FILE);
      String prefix = v.get(KEY_PREFIX);
      if (url == null || v.failed()) {
        return null;
      }
      return new Redis(url, password, prefix);
    }

    /** {@code redis://} or {@code rediss://}, a host, a port; no user or password in it. */
    private static @Nullable URI url(Values in, Field f) {
      NodeReader r = in.reader();
      String text = r.text(f);
      if (text == null) {
        return null;
      }
      URI u;
      try {
        u = new URI(text.strip());
      } catch (URISyntaxException e) {
        r.error(f, "not a URL: " + text);
        return null;
      }
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("redis") && !scheme.equals("rediss")) {
        r.error(f, "must start with redis:// or rediss:// (TLS): " + text);
      } else if (u.getHost() == null) {
        r.error(f, "names no host: " + text);
      } else if (u.getUserInfo() != null) {
        r.error(f, "put the password in password_file, not in the URL");
      } else {
        return u;
      }
      return null;
    }

    /** Any text without spaces or control characters, at most 64 characters. */
    private static @Nullable String keyPrefix(Values in, Field f) {
      NodeReader r = in.reader();
      String text = r.text(f);
      if (text == null) {
        return null;
      }
      if (text.length() > 64 || !text.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        r.error(f, "at most 64 printable ASCII characters, no spaces: " + text);
        return null;
      }
      return text;
    }
  }

  static final Key<StateSettings, Store> STORE =
      Key.of(
          "store", Type.choice(Store.class, "local", "redis"), Store.LOCAL, StateSettings::store);
  static final Key<StateSettings, Integer> MAX_CONTACTS =
      Key.of("max_contacts", Type.positiveInteger(), 1_000_000, StateSettings::maxContacts);
  static final Key<StateSettings, Redis> REDIS =
      Key.of("redis", Redis.TABLE.type(), null, StateSettings::redis);

  static final Section<StateSettings> SECTION =
      Section.of("state", List.of(STORE, MAX_CONTACTS, REDIS), StateSettings::build)
          .notBuilt(Map.of("on_outage", "only open is built: a host serves on local knowledge"));

  public static final StateSettings DEFAULTS = SECTION.defaults();

  /** {@code redis} is required with store redis, and read only with it. */
  private static @Nullable StateSettings build(Values v) {
    Store store = v.get(STORE);
    int maxContacts = v.get(MAX_CONTACTS);
    Field fRedis = v.field(REDIS);
    Redis redis = null;
    if (v.valid(STORE) && store == Store.REDIS) {
      if (fRedis == null) {
        v.reader()
            .error(
                NodeReader.line(Objects.requireNonNull(v.field(STORE)).key()),
                "state.redis",
                "required with store: redis (at least { url: redis://HOST:PORT })");
      } else {
        redis = v.get(REDIS);
      }
    } else if (fRedis != null) {
      v.reader().errorAtKey(fRedis, "only read with store: redis; set it or remove the key");
    }
    if (v.failed() || (store == Store.REDIS && redis == null)) {
      return null;
    }
    return new StateSettings(store, maxContacts, redis);
  }
}

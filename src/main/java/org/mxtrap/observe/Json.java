package org.mxtrap.observe;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.TypeAdapterFactory;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.mxtrap.core.Addresses;
import org.mxtrap.core.LayoutEntry;

/**
 * Every JSON the product writes or reads (decision log, admin API, the CLI's {@code --json}),
 * through one configured Gson. Only this class imports Gson; the rest of the product hands it
 * records.
 *
 * <p>The mapping, compact (no spaces) and UTF-8 as it is (no HTML escaping):
 *
 * <ul>
 *   <li>A record is an object of its components in declaration order, named in snake case ({@code
 *       armsAt} is {@code "arms_at"}). A null component is written as {@code null}, unless it is
 *       {@link OmitIfNull}; an {@link Inline} component's members are written into the enclosing
 *       object in its place.
 *   <li>{@link Instant}: ISO-8601 UTC, {@code "2026-11-26T22:00:00.123Z"} ({@link
 *       Instant#toString()}).
 *   <li>{@link InetAddress}: {@code "192.0.2.7"}, IPv6 in RFC 5952 form ({@link Addresses#text}).
 *   <li>{@link LayoutEntry}: {@code {"address":"127.0.0.1:2526","preference":30,
 *       "host":"mx2.example.com","role":"trap"}}.
 *   <li>An enum: its {@code label()} ({@code "mx-skip"}); an enum without one cannot be written.
 *   <li>Strings per RFC 8259, control characters and U+2028/U+2029 escaped.
 * </ul>
 *
 * Reading is strict RFC 8259 (one value, nothing after it). Thread-safe.
 */
public final class Json {
  private Json() {}

  /** On a record component: left out of the object when null, rather than written as null. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface OmitIfNull {}

  /** On a record component of object type: its members are written in its place, unnested. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface Inline {}

  private static final Gson GSON =
      new GsonBuilder()
          .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
          .serializeNulls()
          .disableHtmlEscaping()
          .setStrictness(Strictness.STRICT)
          // The later registration wins: the adapters of single types over the general ones.
          .registerTypeAdapterFactory(new Records())
          .registerTypeAdapterFactory(new Labels())
          .registerTypeAdapter(Instant.class, new InstantAdapter().nullSafe())
          .registerTypeAdapter(LayoutEntry.class, new EntryAdapter().nullSafe())
          .registerTypeHierarchyAdapter(InetAddress.class, new AddressAdapter().nullSafe())
          .create();

  /** {@code value} as one line of JSON, without a line end. */
  public static String write(Object value) {
    return GSON.toJson(value);
  }

  /**
   * Appends {@code s} to {@code out} as a JSON string, escaped as {@link #write} escapes it: the
   * quotation mark, the backslash, the control characters (the short escapes of RFC 8259 where
   * there is one, else six-character ones) and U+2028/U+2029; nothing else. For a line written so
   * often that it is put together by hand ({@link DecisionLog}).
   */
  public static StringBuilder quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\u2028', '\u2029' -> out.append(String.format("\\u%04x", (int) c));
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"');
  }

  /**
   * The value of type {@code type} that {@code json} holds.
   *
   * @throws IllegalArgumentException when {@code json} is not one JSON value of that shape
   */
  public static <T> T read(String json, Class<T> type) {
    T value;
    try {
      value = GSON.fromJson(json, type);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("not a JSON " + type.getSimpleName() + ": " + json, e);
    }
    if (value == null) {
      throw new IllegalArgumentException("not a JSON " + type.getSimpleName() + ": " + json);
    }
    return value;
  }

  private static final class InstantAdapter extends TypeAdapter<Instant> {
    @Override
    public void write(JsonWriter out, Instant t) throws IOException {
      out.value(t.toString());
    }

    @Override
    public Instant read(JsonReader in) throws IOException {
      return Instant.parse(in.nextString());
    }
  }

  private static final class AddressAdapter extends TypeAdapter<InetAddress> {
    @Override
    public void write(JsonWriter out, InetAddress a) throws IOException {
      out.value(Addresses.text(a));
    }

    @Override
    public InetAddress read(JsonReader in) throws IOException {
      String text = in.nextString();
      return Addresses.parse(text)
          .orElseThrow(() -> new JsonParseException("not an IP address: " + text));
    }
  }

  /** Written only: nothing reads a layout entry back. */
  private static final class EntryAdapter extends TypeAdapter<LayoutEntry> {
    @Override
    public void write(JsonWriter out, LayoutEntry e) throws IOException {
      out.beginObject()
          .name("address")
          .value(Addresses.literal(e.address(), e.port()))
          .name("preference")
          .value(e.preference())
          .name("host")
          .value(e.host())
          .name("role")
          .value(e.role().label());
      out.endObject();
    }

    @Override
    public LayoutEntry read(JsonReader in) {
      throw new UnsupportedOperationException("a layout entry is written, never read");
    }
  }

  /** Enums as their {@code label()}, written only. */
  private static final class Labels implements TypeAdapterFactory {
    @Override
    public <T> @Nullable TypeAdapter<T> create(Gson gson, TypeToken<T> type) {
      Class<? super T> raw = type.getRawType();
      if (!Enum.class.isAssignableFrom(raw) || raw == Enum.class) {
        return null;
      }
      Method label;
      try {
        label = raw.getMethod("label");
      } catch (NoSuchMethodException e) {
        throw new IllegalArgumentException(raw.getName() + " has no label() to write", e);
      }
      label.setAccessible(true);
      return new TypeAdapter<T>() {
        @Override
        public void write(JsonWriter out, T value) throws IOException {
          out.value(value == null ? null : (String) invoke(label, value));
        }

        @Override
        public T read(JsonReader in) {
          throw new UnsupportedOperationException("an enum label is written, never read");
        }
      };
    }
  }

  /**
   * Writes records by their components, which {@link Class#getRecordComponents()} gives in
   * declaration order (Gson's own writer follows the fields, whose order the JVM does not promise),
   * with {@link OmitIfNull} and {@link Inline}. Reading is Gson's own.
   */
  private static final class Records implements TypeAdapterFactory {
    private record Component(
        String name, Method accessor, TypeAdapter<Object> adapter, Kind kind) {}

    private enum Kind {
      PLAIN,
      OMIT_IF_NULL,
      INLINE
    }

    @Override
    public <T> @Nullable TypeAdapter<T> create(Gson gson, TypeToken<T> type) {
      Class<? super T> raw = type.getRawType();
      if (!raw.isRecord()) {
        return null;
      }
      List<Component> components = new ArrayList<>();
      for (RecordComponent c : raw.getRecordComponents()) {
        Method accessor = c.getAccessor();
        accessor.setAccessible(true);
        @SuppressWarnings("unchecked")
        TypeAdapter<Object> adapter =
            (TypeAdapter<Object>) gson.getAdapter(TypeToken.get(c.getGenericType()));
        Kind kind =
            c.isAnnotationPresent(Inline.class)
                ? Kind.INLINE
                : c.isAnnotationPresent(OmitIfNull.class) ? Kind.OMIT_IF_NULL : Kind.PLAIN;
        String name;
        try {
          name = gson.fieldNamingStrategy().translateName(raw.getDeclaredField(c.getName()));
        } catch (NoSuchFieldException e) {
          throw new IllegalStateException("a record component without its field: " + c, e);
        }
        components.add(new Component(name, accessor, adapter, kind));
      }
      TypeAdapter<T> reader = gson.getDelegateAdapter(this, type);
      TypeAdapter<JsonElement> trees = gson.getAdapter(JsonElement.class);
      return new TypeAdapter<T>() {
        @Override
        public void write(JsonWriter out, T record) throws IOException {
          if (record == null) {
            out.nullValue();
            return;
          }
          out.beginObject();
          for (Component c : components) {
            Object value = invoke(c.accessor(), record);
            switch (c.kind()) {
              case INLINE -> {
                for (Map.Entry<String, JsonElement> m :
                    c.adapter().toJsonTree(value).getAsJsonObject().entrySet()) {
                  trees.write(out.name(m.getKey()), m.getValue());
                }
              }
              case OMIT_IF_NULL -> {
                if (value != null) {
                  c.adapter().write(out.name(c.name()), value);
                }
              }
              case PLAIN -> c.adapter().write(out.name(c.name()), value);
            }
          }
          out.endObject();
        }

        @Override
        public T read(JsonReader in) throws IOException {
          return reader.read(in);
        }
      };
    }
  }

  private static @Nullable Object invoke(Method accessor, Object target) {
    try {
      return accessor.invoke(target);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(e.getCause());
    }
  }
}

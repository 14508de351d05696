package io.longshort.spec;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** JSON names of our enums: lower case ("long_short"); parsing also takes the Java name. */
public final class Enums {
  private Enums() {}

  public static String jsonName(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  public static <E extends Enum<E>> E fromJson(Class<E> type, String field, String value) {
    for (E e : type.getEnumConstants()) {
      if (jsonName(e).equals(value) || e.name().equals(value)) {
        return e;
      }
    }
    throw new IllegalArgumentException(field + " (\"" + value + "\") is not one of "
        + Arrays.stream(type.getEnumConstants()).map(Enums::jsonName).collect(Collectors.joining(", ")));
  }
}

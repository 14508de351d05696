package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.DatabindContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.jsontype.impl.TypeIdResolverBase;

/**
 * Jackson's type ids of {@link ImageAttentionSpec}: its {@code kind} field, read as every
 * {@link AttentionKind} is (the JSON name or the Java name), so that an unknown or a disallowed kind
 * is refused with the project's messages rather than Jackson's.
 */
final class ImageAttentionKinds extends TypeIdResolverBase {
  @Override
  public String idFromValue(Object value) {
    return ((ImageAttentionSpec) value).kind().jsonName();
  }

  @Override
  public String idFromValueAndType(Object value, Class<?> suggestedType) {
    return idFromValue(value);
  }

  @Override
  public JavaType typeFromId(DatabindContext context, String id) {
    AttentionKind kind = AttentionKind.fromJson(id);
    return context.constructType(switch (kind) {
      case LONG_SHORT -> ImageAttentionSpec.LongShort.class;
      case FULL -> ImageAttentionSpec.Full.class;
      default -> throw new IllegalArgumentException("ImageAttentionSpec: kind (" + kind.jsonName()
          + ") is not allowed; image attention is long_short or full");
    });
  }

  @Override
  public JsonTypeInfo.Id getMechanism() {
    return JsonTypeInfo.Id.CUSTOM;
  }
}

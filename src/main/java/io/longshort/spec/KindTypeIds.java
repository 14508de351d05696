package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.DatabindContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.jsontype.impl.TypeIdResolverBase;

/**
 * Jackson's type ids of the attention specs by kind: their {@code kind} field, read as every
 * {@link AttentionKind} is (the JSON name or the Java name), so that an unknown or a disallowed kind
 * is refused with the project's messages rather than Jackson's. One subclass per spec family,
 * naming its record per kind (Jackson makes resolvers from their classes).
 */
abstract class KindTypeIds extends TypeIdResolverBase {
  abstract AttentionKind kindOf(Object spec);

  /** The record of {@code kind}; refuses a kind the family does not have. */
  abstract Class<?> recordOf(AttentionKind kind);

  @Override
  public String idFromValue(Object value) {
    return kindOf(value).jsonName();
  }

  @Override
  public String idFromValueAndType(Object value, Class<?> suggestedType) {
    return idFromValue(value);
  }

  @Override
  public JavaType typeFromId(DatabindContext context, String id) {
    return context.constructType(recordOf(AttentionKind.fromJson(id)));
  }

  @Override
  public JsonTypeInfo.Id getMechanism() {
    return JsonTypeInfo.Id.CUSTOM;
  }

  /** {@link AttentionSpec}'s kinds: every one. */
  static final class Attention extends KindTypeIds {
    @Override
    AttentionKind kindOf(Object spec) {
      return ((AttentionSpec) spec).kind();
    }

    @Override
    Class<?> recordOf(AttentionKind kind) {
      return switch (kind) {
        case LONG_SHORT -> AttentionSpec.LongShort.class;
        case CAUSAL_LONG_SHORT -> AttentionSpec.CausalLongShort.class;
        case FULL -> AttentionSpec.Full.class;
        case CAUSAL_FULL -> AttentionSpec.CausalFull.class;
        case LINFORMER -> AttentionSpec.Linformer.class;
        case NYSTROM -> AttentionSpec.Nystrom.class;
        case PERFORMER -> AttentionSpec.Performer.class;
        case LONGFORMER -> AttentionSpec.Longformer.class;
        case BIGBIRD -> AttentionSpec.BigBird.class;
      };
    }
  }

  /** {@link ImageAttentionSpec}'s kinds: long_short and full. */
  static final class Image extends KindTypeIds {
    @Override
    AttentionKind kindOf(Object spec) {
      return ((ImageAttentionSpec) spec).kind();
    }

    @Override
    Class<?> recordOf(AttentionKind kind) {
      return switch (kind) {
        case LONG_SHORT -> ImageAttentionSpec.LongShort.class;
        case FULL -> ImageAttentionSpec.Full.class;
        default -> throw new IllegalArgumentException("ImageAttentionSpec: kind (" + kind.jsonName()
            + ") is not allowed; image attention is long_short or full");
      };
    }
  }
}

package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.DatabindContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.jsontype.impl.TypeIdResolverBase;

/**
 * Jackson's type ids of {@link AttentionSpec}: its {@code kind} field, read as every
 * {@link AttentionKind} is (the JSON name or the Java name), so that an unknown kind is refused with
 * the project's message rather than Jackson's.
 */
final class AttentionKinds extends TypeIdResolverBase {
  @Override
  public String idFromValue(Object value) {
    return ((AttentionSpec) value).kind().jsonName();
  }

  @Override
  public String idFromValueAndType(Object value, Class<?> suggestedType) {
    return idFromValue(value);
  }

  @Override
  public JavaType typeFromId(DatabindContext context, String id) {
    AttentionKind kind = AttentionKind.fromJson(id);
    return context.constructType(switch (kind) {
      case LONG_SHORT -> AttentionSpec.LongShort.class;
      case CAUSAL_LONG_SHORT -> AttentionSpec.CausalLongShort.class;
      case FULL -> AttentionSpec.Full.class;
      case CAUSAL_FULL -> AttentionSpec.CausalFull.class;
      case LINFORMER -> AttentionSpec.Linformer.class;
      case NYSTROM -> AttentionSpec.Nystrom.class;
      case PERFORMER -> AttentionSpec.Performer.class;
      case LONGFORMER -> AttentionSpec.Longformer.class;
      case BIGBIRD -> AttentionSpec.BigBird.class;
    });
  }

  @Override
  public JsonTypeInfo.Id getMechanism() {
    return JsonTypeInfo.Id.CUSTOM;
  }
}

package io.longshort.weights;

/** The safetensors element types we read and write. */
public enum Dtype {
  F64(8, true), F32(4, true), F16(2, true), BF16(2, true),
  I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

  private final int bytes;
  private final boolean floating;

  Dtype(int bytes, boolean floating) {
    this.bytes = bytes;
    this.floating = floating;
  }

  public int bytes() {
    return bytes;
  }

  public boolean isFloating() {
    return floating;
  }

  /** The dtype named {@code name} in a safetensors header, or null for a name we do not know. */
  public static Dtype fromName(String name) {
    for (Dtype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    return null;
  }
}

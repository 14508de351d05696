package io.longshort.reference;

import io.longshort.graph.attention.AttentionGraph;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.types.family.TFloating;

/** Shared plumbing of the reference tests: random configs, inputs, parameters, graph I/O. */
public final class ReferenceHarness {
  /** The prefix Attention's parameters get in an AttentionGraph (scope "attention"). */
  public static final String PREFIX = "attention.";

  private ReferenceHarness() {}

  /**
   * One test case.
   *
   * @param n the sequence length (for FIRST_ROW the graph's x has 1 + n rows)
   */
  public record Case(AttentionSpec spec, int batch, int n, long seed) {
    public int rows() {
      return spec.globalToken() == GlobalToken.FIRST_ROW ? n + 1 : n;
    }

    public String name() {
      AttentionKind kind = spec.kind();
      StringBuilder s = new StringBuilder(kind.jsonName());
      if (kind == AttentionKind.LONG_SHORT || kind == AttentionKind.CAUSAL_LONG_SHORT) {
        s.append(" w=").append(spec.window()).append(" r=").append(spec.rank());
      }
      if (kind == AttentionKind.CAUSAL_LONG_SHORT) {
        s.append(" l=").append(spec.segment());
      }
      s.append(" h=").append(spec.heads()).append(" k=").append(spec.headWidth())
          .append(" n=").append(n).append(" b=").append(batch);
      if (spec.globalToken() != GlobalToken.NONE) {
        s.append(" token=").append(spec.globalToken().jsonName());
      }
      return s.append(" seed=").append(seed).toString();
    }
  }

  public static double[] normals(Random rnd, int count) {
    double[] v = new double[count];
    for (int i = 0; i < count; i++) {
      v[i] = rnd.nextGaussian();
    }
    return v;
  }

  /**
   * A random padding mask (B, rows): per batch row all ones, trailing padding or scattered padding,
   * with at least one real token among the sequence rows; when {@code oneTokenRow}, the last batch
   * row keeps exactly one real token. For FIRST_ROW the CLS row's mask value is random (it must be
   * ignored).
   */
  public static double[] mask(Random rnd, Case c, boolean oneTokenRow) {
    int rows = c.rows();
    int first = rows - c.n(); // 1 for FIRST_ROW, else 0
    double[] m = new double[c.batch() * rows];
    for (int b = 0; b < c.batch(); b++) {
      int base = b * rows;
      if (first == 1) {
        m[base] = rnd.nextInt(4) == 0 ? 0 : 1;
      }
      boolean single = oneTokenRow && b == c.batch() - 1;
      if (single) {
        m[base + first + rnd.nextInt(c.n())] = 1;
        continue;
      }
      int pattern = rnd.nextInt(3);
      int real = 0;
      for (int t = 0; t < c.n(); t++) {
        boolean on = switch (pattern) {
          case 0 -> true;
          case 1 -> t < 1 + (c.n() * 2) / 3; // trailing padding
          default -> rnd.nextDouble() < 0.7; // scattered padding
        };
        m[base + first + t] = on ? 1 : 0;
        real += on ? 1 : 0;
      }
      if (real == 0) {
        m[base + first + rnd.nextInt(c.n())] = 1;
      }
    }
    return m;
  }

  /**
   * Sets every parameter of the graph to seeded random values (Linear weights U(-a, a) with
   * a = 1.5/sqrt(in), biases U(-0.5, 0.5), LayerNorm weights 1 + 0.3 N(0,1), biases 0.3 N(0,1)), so
   * that a swapped or wrongly laid out parameter shows up.
   */
  public static <T extends TFloating> void randomizeParameters(AttentionGraph<T> g, Random rnd) {
    Parameters<T> params = g.parameters();
    for (Parameter<T> p : params.list()) {
      int size = Math.toIntExact(p.size());
      double[] v = new double[size];
      boolean layerNorm = p.name().contains("ln");
      boolean weight = p.name().endsWith(".weight");
      for (int i = 0; i < size; i++) {
        if (layerNorm) {
          v[i] = weight ? 1 + 0.3 * rnd.nextGaussian() : 0.3 * rnd.nextGaussian();
        } else if (weight) {
          double a = 1.5 / Math.sqrt(p.shape()[1]);
          v[i] = (2 * rnd.nextDouble() - 1) * a;
        } else {
          v[i] = rnd.nextDouble() - 0.5;
        }
      }
      Parameters.Setter<T> setter = params.setter(p);
      try (Tensor t = HostTensors.of(params.dtype(), p.shape(), v);
          Result r = g.session().runner().feed(setter.value(), t).addTarget(setter.assign()).run()) {
        // assigned
      }
    }
  }

  /** Every parameter's current value, by PyTorch name without the graph's "attention." prefix. */
  public static <T extends TFloating> Map<String, double[]> readParameters(AttentionGraph<T> g) {
    Map<String, double[]> out = new LinkedHashMap<>();
    for (Parameter<T> p : g.parameters().list()) {
      try (Result r = g.session().runner().fetch(p.value()).run()) {
        String name = p.name().startsWith(PREFIX) ? p.name().substring(PREFIX.length()) : p.name();
        out.put(name, HostTensors.toDoubles(r.get(0)));
      }
    }
    return out;
  }

  /** Max |a - b| and where, as a message-ready string prefix; NaN counts as infinite error. */
  public record Diff(double max, int index) {
    public static Diff of(double[] a, double[] b) {
      if (a.length != b.length) {
        throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
      }
      double max = 0;
      int at = 0;
      for (int i = 0; i < a.length; i++) {
        double e = Math.abs(a[i] - b[i]);
        if (!(e <= max)) {
          max = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
          at = i;
        }
      }
      return new Diff(max, at);
    }

    public String where(int rows, int d) {
      int b = index / (rows * d);
      int t = (index / d) % rows;
      int c = index % d;
      return "(b=" + b + ", row=" + t + ", col=" + c + ")";
    }
  }
}

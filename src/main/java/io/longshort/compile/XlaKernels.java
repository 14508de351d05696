package io.longshort.compile;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_DeleteBuffer;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_GetAllRegisteredKernels;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.KernelDef;
import org.tensorflow.proto.KernelList;

/**
 * The XLA compilation kernels of this TensorFlow build, read from its kernel registry
 * ({@code TF_GetAllRegisteredKernels}, a KernelList proto). tf2xla registers one kernel per op and
 * compilation device ("XLA_CPU_JIT", "XLA_GPU_JIT", "XLA_TPU_JIT" where the build has them), with
 * the dtypes it compiles for as constraints, so "op X with attrs A has an XLA kernel" is exact for
 * this build and device.
 *
 * <p>TensorFlow registers those kernels lazily, the first time a session optimises a graph. When
 * none are registered yet, {@link #load()} runs a one-constant graph in a throwaway {@link Session}
 * (default options) to trigger it; if that is the process's first session, its default thread
 * settings become the process's.
 */
final class XlaKernels {
  /** Compilation devices in order of preference: the TPU's when present, else the host's. */
  static final List<String> JIT_DEVICES = List.of("XLA_TPU_JIT", "XLA_CPU_JIT", "XLA_GPU_JIT");

  private static volatile XlaKernels loaded;

  private final String device;
  private final Map<String, List<KernelDef>> byOp;
  private final Set<String> devices;

  private XlaKernels(String device, Map<String, List<KernelDef>> byOp, Set<String> devices) {
    this.device = device;
    this.byOp = byOp;
    this.devices = devices;
  }

  /** The registry's XLA kernels for the preferred compilation device (see {@link #JIT_DEVICES}). */
  public static XlaKernels load() {
    XlaKernels k = loaded;
    if (k == null) {
      synchronized (XlaKernels.class) {
        k = loaded;
        if (k == null) {
          KernelList all = registry();
          if (all.getKernelList().stream().noneMatch(d -> JIT_DEVICES.contains(d.getDeviceType()))) {
            registerCompilationKernels();
            all = registry();
          }
          k = of(all);
          loaded = k;
        }
      }
    }
    return k;
  }

  static XlaKernels of(KernelList all) {
    Set<String> devices = new TreeSet<>();
    all.getKernelList().forEach(d -> devices.add(d.getDeviceType()));
    String device = JIT_DEVICES.stream().filter(devices::contains).findFirst().orElseThrow(() ->
        new IllegalStateException("this TensorFlow build registers no XLA compilation kernels"
            + " (device types " + devices + "); it cannot compile with XLA"));
    Map<String, List<KernelDef>> byOp = new HashMap<>();
    for (KernelDef d : all.getKernelList()) {
      if (d.getDeviceType().equals(device)) {
        byOp.computeIfAbsent(d.getOp(), o -> new ArrayList<>()).add(d);
      }
    }
    return new XlaKernels(device, byOp, Collections.unmodifiableSet(devices));
  }

  /** The compilation device whose kernels these are, e.g. "XLA_CPU_JIT". */
  public String device() {
    return device;
  }

  /** Every device type with a registered kernel in this build. */
  public Set<String> deviceTypes() {
    return devices;
  }

  /** Whether any XLA kernel exists for {@code opType}, whatever its dtypes. */
  public boolean hasKernel(String opType) {
    return byOp.containsKey(opType);
  }

  /** Number of op types with an XLA kernel. */
  public int opCount() {
    return byOp.size();
  }

  /**
   * Why an op of {@code opType} with attributes {@code attrs} cannot compile, or null when one of
   * its XLA kernels accepts it (all type constraints met).
   *
   * @param attrs the op's attribute by name, null when absent
   */
  public String unsupported(String opType, Function<String, AttrValue> attrs) {
    List<KernelDef> defs = byOp.get(opType);
    if (defs == null) {
      return "no " + device + " kernel for op " + opType;
    }
    String why = null;
    for (KernelDef d : defs) {
      why = violation(d, attrs);
      if (why == null) {
        return null;
      }
    }
    return "the " + device + " kernel of " + opType + " does not take " + why;
  }

  private static String violation(KernelDef d, Function<String, AttrValue> attrs) {
    for (KernelDef.AttrConstraint c : d.getConstraintList()) {
      AttrValue allowed = c.getAllowedValues();
      AttrValue actual = attrs.apply(c.getName());
      if (actual == null || !allowed.hasList()) {
        continue;
      }
      List<DataType> types = new ArrayList<>();
      if (actual.getValueCase() == AttrValue.ValueCase.TYPE) {
        types.add(actual.getType());
      } else if (actual.hasList()) {
        types.addAll(actual.getList().getTypeList());
      }
      for (DataType t : types) {
        if (!allowed.getList().getTypeList().contains(t)) {
          return c.getName() + "=" + t;
        }
      }
    }
    return null;
  }

  private static KernelList registry() {
    TensorFlow.version(); // loads the native library
    try (PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      TF_Buffer buffer = TF_GetAllRegisteredKernels(status);
      status.throwExceptionIfNotOK();
      try {
        return KernelList.parseFrom(buffer.data().limit(buffer.length()).asByteBuffer());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("cannot read TensorFlow's kernel registry", e);
      } finally {
        TF_DeleteBuffer(buffer);
      }
    }
  }

  /** Graph optimisation registers the XLA compilation kernels; run the smallest graph there is. */
  private static void registerCompilationKernels() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops.create(g).withName("register_xla_kernels").constant(0f);
      try (Result r = s.runner().fetch("register_xla_kernels").run()) {
        // nothing to read
      }
    }
  }
}

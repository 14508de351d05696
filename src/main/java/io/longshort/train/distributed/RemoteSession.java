package io.longshort.train.distributed;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import org.bytedeco.javacpp.BytePointer;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.internal.c_api.TF_Graph;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.proto.ConfigProto;

/**
 * A {@link Session} on a remote master ({@code grpc://host:port}, a TensorFlow server's address):
 * graph, placement and run go through TensorFlow's distributed runtime.
 *
 * <p>TF Java 1.1.0's public {@code Session} constructors take no target, so the session is made
 * with the C API ({@code TF_SetTarget}, {@code TF_NewSession}) and handed to {@code Session}'s
 * package-private constructor that wraps a native session; the graph's native handle comes from
 * its package-private {@code ref()}. Both are reached by reflection (TF Java is on the class path).
 */
public final class RemoteSession {
  private RemoteSession() {}

  public static Session open(Graph graph, String target, ConfigProto config) {
    TF_SessionOptions opts = tensorflow.TF_NewSessionOptions();
    TF_Status status = tensorflow.TF_NewStatus();
    try (AutoCloseable ref = graphRef(graph)) {
      tensorflow.TF_SetTarget(opts, target);
      byte[] bytes = config.toByteArray();
      try (BytePointer p = new BytePointer(bytes)) {
        tensorflow.TF_SetConfig(opts, p, bytes.length, status);
      }
      check(status, "session config");
      Method nativeHandle = ref.getClass().getMethod("nativeHandle");
      nativeHandle.setAccessible(true);
      TF_Graph handle = (TF_Graph) nativeHandle.invoke(ref);
      TF_Session session = tensorflow.TF_NewSession(handle, opts, status);
      check(status, "session on " + target);
      Constructor<Session> wrap = Session.class.getDeclaredConstructor(Graph.class, TF_Session.class);
      wrap.setAccessible(true);
      return wrap.newInstance(graph, session);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this TF Java version cannot wrap a remote session: " + e, e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      tensorflow.TF_DeleteSessionOptions(opts);
      tensorflow.TF_DeleteStatus(status);
    }
  }

  private static AutoCloseable graphRef(Graph graph) throws ReflectiveOperationException {
    Method ref = Graph.class.getDeclaredMethod("ref");
    ref.setAccessible(true);
    return (AutoCloseable) ref.invoke(graph);
  }

  private static void check(TF_Status status, String what) {
    if (tensorflow.TF_GetCode(status) != tensorflow.TF_OK) {
      throw new IllegalStateException("cannot open a TensorFlow " + what + ": "
          + tensorflow.TF_Message(status).getString());
    }
  }
}

package io.longshort.train.distributed;

import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.io.ReadFile;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TString;

/**
 * What anyone who reaches a worker's port can do, for {@link NetworkPartitionTest}: open a session
 * on the worker's own master (every TensorFlow server is one) and run a graph there, here a
 * {@code ReadFile} of {@code /proc/self/cmdline} placed on the worker's task, which returns the
 * command line of the process that ran it: the worker's. Prints "read: " and the file.
 *
 * <p>{@code OutsideClient grpc://host:port task path}
 */
public final class OutsideClient {
  private OutsideClient() {}

  public static void main(String[] args) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g).withDevice(DeviceSpec.newBuilder().job(ClusterSpec.JOB).replica(0)
          .task(Integer.parseInt(args[1])).build());
      ReadFile read = tf.io.readFile(tf.constant(args[2]));
      // only this task: the master would otherwise wait for every task of its cluster
      ConfigProto config = ConfigProto.newBuilder().setOperationTimeoutInMs(30_000)
          .addDeviceFilters("/job:" + ClusterSpec.JOB + "/task:" + args[1]).build();
      try (Session s = RemoteSession.open(g, args[0], config); Result r = s.runner().fetch(read).run()) {
        System.out.println("read: " + ((TString) r.get(0)).getObject().replace('\0', ' '));
      }
    }
  }
}

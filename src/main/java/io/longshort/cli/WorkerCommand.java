package io.longshort.cli;

import io.longshort.train.distributed.ClusterSpec;
import io.longshort.train.distributed.WorkerServer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.tensorflow.Server;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** Starts one worker task's TensorFlow server and serves the chief until the process is ended. */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Runs one task of a distributed training job: a TensorFlow gRPC server for /job:worker/task:<i>"
        + " that computes its shard's gradients each step for the chief (task 0, which runs `train` with"
        + " the same cluster). It serves until the process is ended. `train` starts worker 0's server"
        + " itself; `worker --task 0` serves task 0 for a training client that runs elsewhere"
        + " (DistributedTrainer). Security: the port is open on every network interface without"
        + " authentication, and TensorFlow runs any graph sent to it (a graph can read and write files):"
        + " firewall it to the cluster's hosts.")
final class WorkerCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Mixin
  ClusterOptions cluster;

  @Override
  public Integer call() throws InterruptedException {
    ClusterSpec spec = cluster.spec();
    Server server = WorkerServer.start(spec);
    PrintWriter o = command.commandLine().getOut();
    o.printf("worker %d of %d serving on %s%n", spec.index(), spec.size(), spec.address());
    o.flush();
    PrintWriter err = command.commandLine().getErr();
    err.println(WorkerServer.exposureWarning(spec));
    err.flush();
    server.join();
    return 0;
  }
}

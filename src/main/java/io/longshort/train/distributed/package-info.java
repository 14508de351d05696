/**
 * Data-parallel training over TF workers: the cluster ({@code ClusterSpec}), one replica per worker
 * ({@code ReplicatedStep}) and {@code DistributedTrainer}.
 *
 * <p><b>Public API</b> ({@code DistributedTrainer}, {@code ClusterSpec}). Imports {@code train} and
 * the packages below it; imported only by {@code cli}.
 */
package io.longshort.train.distributed;

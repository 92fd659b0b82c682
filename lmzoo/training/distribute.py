"""Scale-out through `tf.distribute`: one name per strategy, for `lmzoo train`."""

import json
import os

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def get_strategy(name="default"):
    """The `tf.distribute` strategy a training run builds and fits its model under.

    - `default`: one device (TensorFlow's default strategy);
    - `mirrored`: `MirroredStrategy`, every GPU (or logical device) of this
      host, one replica each, gradients summed across them;
    - `multiworker`: `MultiWorkerMirroredStrategy` across the hosts that
      `TF_CONFIG` lists (run the same command on each);
    - `tpu`: `TPUStrategy` on the TPU that `TPUClusterResolver` finds.

    The global batch (`--batch-size`) is split across the replicas, so the
    learning rate that suits it needs no change.

    Args:
        name: one of `STRATEGIES`. Defaults to `"default"`.

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        ValueError: an unknown name (the message lists the valid ones), or
            `multiworker` without a `TF_CONFIG` that lists workers.

    Example:
    >>> get_strategy("default").num_replicas_in_sync
    1
    >>> get_strategy("horovod")
    Traceback (most recent call last):
    ...
    ValueError: Unknown strategy 'horovod'; use default, mirrored, multiworker or tpu.
    """
    if name not in STRATEGIES:
        raise ValueError(
            f"Unknown strategy {name!r}; use {', '.join(STRATEGIES[:-1])} or "
            f"{STRATEGIES[-1]}."
        )
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        if not config.get("cluster", {}).get("worker"):
            raise ValueError(
                "--strategy multiworker reads its cluster from TF_CONFIG, which "
                'lists no workers (TF_CONFIG=\'{"cluster": {"worker": ['
                '"host1:port", "host2:port"]}, "task": {"type": "worker", '
                '"index": 0}}\').'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy):
    """Whether this process writes the run's files (checkpoints, model, export).

    Under `MultiWorkerMirroredStrategy` every worker trains, but only the
    chief (worker 0) writes into the run folder; the others write their
    checkpoints to a scratch folder of their own.

    Args:
        strategy: a `tf.distribute.Strategy`.

    Returns:
        bool.

    Example:
    >>> is_chief(get_strategy("default"))
    True
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
    if not cluster:
        return True
    if "chief" in cluster:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and resolver.task_id == 0

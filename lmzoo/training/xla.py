"""When lmzoo compiles a model with XLA."""

import tensorflow as tf


def default_jit_compile(model):
    """Whether lmzoo compiles this model's training step with XLA.

    XLA fuses a Transformer's elementwise work, but compiles an LSTM's
    recurrent loop into slower code, and on the CPU it turns bfloat16 matmuls
    into float32 ones, losing oneDNN's bfloat16 kernels. So: XLA for
    Transformers in float32, not for LSTMs or bfloat16; lmzoo's GELU and
    attention softmax stay fused without XLA (see `lmzoo.layers.gelu`). The
    measurements behind this are in `benchmarks/README.md`. Under a
    `tf.distribute` strategy with several replicas on CPUs (no GPU or TPU),
    not either: XLA on the CPU places every replica's step on one device
    and cannot reach the others' variables (TensorFlow's XLA known issue
    "tf.Variable on a different device").

    Args:
        model: a `keras.Model`.

    Returns:
        bool.

    Example:
    >>> import lmzoo
    >>> names = ("lstm-small", "gpt-mini")
    >>> [default_jit_compile(lmzoo.models.get(name, 65)) for name in names]
    [False, True]
    """
    if model.dtype_policy.compute_dtype == "bfloat16":
        return False
    strategy = tf.distribute.get_strategy()
    accelerators = tf.config.list_logical_devices(
        "GPU"
    ) + tf.config.list_logical_devices("TPU")
    if strategy.num_replicas_in_sync > 1 and not accelerators:
        return False
    return bool(getattr(model, "prefers_jit_compile", False))


def xla_reaches_every_replica():
    """False under a strategy with several replicas on CPUs alone.

    XLA on the CPU runs a compiled function on one device, so it cannot
    update the variables another CPU replica holds.

    Returns:
        bool.

    Example:
    >>> xla_reaches_every_replica()
    True
    """
    strategy = tf.distribute.get_strategy()
    if strategy.num_replicas_in_sync == 1:
        return True
    return bool(
        tf.config.list_logical_devices("GPU") + tf.config.list_logical_devices("TPU")
    )

"""When lmzoo compiles a model with XLA."""


def default_jit_compile(model):
    """Whether lmzoo compiles this model's training step with XLA.

    XLA fuses a Transformer's elementwise work, but compiles an LSTM's
    recurrent loop into slower code, and on the CPU it turns bfloat16 matmuls
    into float32 ones, losing oneDNN's bfloat16 kernels. So: XLA for
    Transformers in float32, not for LSTMs or bfloat16; lmzoo's GELU and
    attention softmax stay fused without XLA (see `lmzoo.layers.gelu`). The
    measurements behind this are in `benchmarks/README.md`.

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
    return bool(getattr(model, "prefers_jit_compile", False))

"""When lmzoo compiles a model with XLA."""


def default_jit_compile(model):
    """Whether XLA makes this model train faster, as measured on a 2-core CPU.

    XLA fuses a Transformer's elementwise work (10-20% faster for GPT in
    float32; still 1.15x for `gpt-ptb` over 10,000 words, on par over 33,278,
    where the output projection's matmul dominates), but compiles an LSTM's
    recurrent loop into slower code (0.65x), and on the CPU it turns bfloat16
    matmuls into float32 ones, losing oneDNN's bfloat16 kernels (AVX-512 BF16
    or AMX, 1.8x float32 for a width-512 GPT). So: XLA for Transformers in
    float32, not for LSTMs or bfloat16; lmzoo's GELU and attention softmax
    stay fused without XLA (see `lmzoo.layers.gelu`).

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

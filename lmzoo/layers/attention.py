"""Scaled dot-product attention and a multi-head attention layer with a KV cache."""

import math

import keras
import tensorflow as tf
from keras import ops

from lmzoo.layers.masks import MASKED_LOGIT, merge_attention_masks
from lmzoo.layers.rotary import RotaryEmbedding


@tf.function(jit_compile=True)
def _softmax_forward(scores, mask, scale):
    scores = tf.cast(scores, tf.float32) * scale
    if mask is not None:
        scores = tf.where(mask, scores, MASKED_LOGIT)
    return tf.nn.softmax(scores)


@tf.function(jit_compile=True)
def _softmax_backward(weights, upstream, mask, scale, dtype):
    inner = tf.reduce_sum(upstream * weights, axis=-1, keepdims=True)
    gradient = weights * (upstream - inner) * scale
    if mask is not None:
        gradient = tf.where(mask, gradient, 0.0)
    return tf.cast(gradient, dtype)


def _masked_softmax(scores, mask, scale):
    """float32 `softmax(where(mask, scores * scale, -1e9))`, one XLA kernel each way.

    Without XLA around it (mixed_bfloat16 training on a CPU), the cast, scale,
    mask and softmax and their gradients would be separate passes over the
    `[B, H, Tq, Tk]` scores.
    """

    @tf.custom_gradient
    def fused(scores):
        weights = _softmax_forward(scores, mask, scale)

        def gradient(upstream):
            return _softmax_backward(weights, upstream, mask, scale, scores.dtype)

        return weights, gradient

    return fused(scores)


def attend(query, key, value, mask=None, dropout_rate=0.0, seed=None, training=False):
    """Attention on head-major tensors: the layout lmzoo computes and caches in.

    With heads before positions, both products are batched matrix products
    over `(B, H)` and a cached key/value tensor is used as it is, never
    transposed. With fewer key/value heads than query heads (grouped-query
    attention), each key/value head serves `H / Hkv` consecutive query
    heads, whose rows are stacked into one product: the keys and values are
    never repeated.

    Args:
        query: `[B, H, Tq, D]`.
        key: `[B, Hkv, Tk, D]`, `Hkv` dividing `H`.
        value: `[B, Hkv, Tk, Dv]`.
        mask: optional bool tensor broadcastable to `[B, Tq, Tk]`.
        dropout_rate: float. Dropout on the weights while training.
        seed: optional seed or `keras.random.SeedGenerator` for the dropout.
        training: bool.

    Returns:
        `(output [B, H, Tq, Dv] in value's dtype, weights [B, H, Tq, Tk] float32)`.

    Example:
    >>> q = k = v = keras.random.normal((2, 4, 5, 8))
    >>> attend(q, k, v)[0].shape
    TensorShape([2, 4, 5, 8])
    """
    heads, key_heads = query.shape[1], key.shape[1]
    groups = heads // key_heads
    batch, length = ops.shape(query)[0], ops.shape(query)[2]
    scale = 1.0 / math.sqrt(query.shape[-1])
    if groups > 1:
        query = ops.reshape(query, (batch, key_heads, groups * length, query.shape[-1]))
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2))  # (B, Hkv, G*Tq, Tk)
    if mask is not None:
        mask = ops.expand_dims(ops.cast(mask, "bool"), axis=-3)  # (B, 1, Tq, Tk)
        if groups > 1 and mask.shape[-2] != 1:
            mask = ops.concatenate([mask] * groups, axis=-2)  # (B, 1, G*Tq, Tk)
    weights = _masked_softmax(scores, mask, scale)
    if training and dropout_rate > 0.0:
        weights = keras.random.dropout(weights, dropout_rate, seed=seed)
    output = ops.matmul(ops.cast(weights, value.dtype), value)  # (B, Hkv, G*Tq, Dv)
    if groups > 1:
        output = ops.reshape(output, (batch, heads, length, value.shape[-1]))
        weights = ops.reshape(weights, (batch, heads, length, ops.shape(key)[2]))
    return output, weights


def scaled_dot_product_attention(
    query,
    key,
    value,
    mask=None,
    dropout_rate=0.0,
    seed=None,
    training=False,
    return_weights=False,
):
    """Computes `softmax(Q K^T / sqrt(d_k)) V` per head.

    Scores and the softmax are computed in float32 whatever the input dtype, so
    the mask never overflows float16 and mixed precision keeps its accuracy. A
    row whose keys are all masked attends uniformly: its output stays finite.

    Args:
        query: tensor `[B, Tq, H, D]`.
        key: tensor `[B, Tk, H, D]`.
        value: tensor `[B, Tk, H, Dv]`.
        mask: optional bool tensor broadcastable to `[B, Tq, Tk]`; True where a
            query may attend to a key.
        dropout_rate: float. Dropout on the attention weights while training.
            Defaults to `0.0`.
        seed: optional int or `keras.random.SeedGenerator` for the dropout.
        training: bool. Whether dropout is active. Defaults to `False`.
        return_weights: bool. Whether to also return the `[B, H, Tq, Tk]`
            attention weights. Defaults to `False`.

    Returns:
        The attended values `[B, Tq, H, Dv]` in the dtype of `value`, and the
        weights when `return_weights` is True.

    Example:
    >>> q = k = v = keras.random.normal((2, 5, 4, 8))
    >>> scaled_dot_product_attention(q, k, v).shape
    TensorShape([2, 5, 4, 8])
    """
    head_major = [ops.swapaxes(tensor, 1, 2) for tensor in (query, key, value)]
    output, weights = attend(*head_major, mask, dropout_rate, seed, training)
    output = ops.swapaxes(output, 1, 2)  # (B, Tq, H, Dv)
    return (output, weights) if return_weights else output


@keras.saving.register_keras_serializable(package="lmzoo")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention with padding, causal and explicit masks and a KV cache.

    Args:
        num_heads: int. Number of attention heads.
        head_dim: int. Size of each head's query, key and value.
        num_key_value_heads: optional int dividing `num_heads`: fewer key and
            value heads than query heads (grouped-query attention; 1 is
            multi-query). Defaults to `num_heads`.
        dropout: float. Dropout on the attention weights. Defaults to `0.0`.
        use_bias: bool. Whether the projections have biases. Defaults to `True`.
        output_use_bias: optional bool. Whether the output projection has a
            bias (Qwen2's has none). Defaults to `use_bias`.
        rope_max_wavelength: optional float. Rotate queries and keys by their
            positions (RoPE with this theta) before attending and caching.
            Defaults to `None` (no rotation).
        rope_scaling_factor: float. Linear RoPE scaling. Defaults to `1.0`.
        sliding_window: optional int. With the causal mask, a query sees only
            the last `sliding_window` positions (Mistral). Defaults to `None`.
        fused_qkv: bool. Project query, key and value with one matrix (only for
            self-attention). Defaults to `False`.
        kernel_initializer: initializer for the projection kernels. Defaults to
            `"glorot_uniform"`.
        bias_initializer: initializer for the projection biases. Defaults to
            `"zeros"`.
        **kwargs: other `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `[B, Tq, C]` tensor.
        value: optional `[B, Tk, C]` tensor; defaults to `query` (self-attention).
        key: optional `[B, Tk, C]` tensor; defaults to `value`.
        padding_mask: optional `[B, Tk]` bool tensor, True at real key tokens.
        attention_mask: optional `[B, Tq, Tk]` bool tensor.
        use_causal_mask: bool. Mask future positions. Defaults to `False`.
        cache: optional `(key, value)` pair of `[B, Hkv, S, D]` tensors. With
            `cache_update_index` the new keys and values are written at that
            position and attention runs over the whole cache; without it the
            cache is used as is (cross-attention to a fixed source, see
            `compute_cache`).
        cache_update_index: optional int or scalar tensor.
        return_attention_scores: bool. Also return `[B, H, Tq, Tk]` weights.
        training: bool. Whether dropout is active.

    Returns:
        The output `[B, Tq, C]`; then the attention weights if asked for; then
        the updated cache if one was given (a tuple when more than one).

    Example:
    >>> layer = MultiHeadAttention(num_heads=4, head_dim=8)
    >>> layer(keras.random.normal((2, 5, 32)), use_causal_mask=True).shape
    TensorShape([2, 5, 32])
    """

    def __init__(
        self,
        num_heads,
        head_dim,
        num_key_value_heads=None,
        dropout=0.0,
        use_bias=True,
        output_use_bias=None,
        fused_qkv=False,
        rope_max_wavelength=None,
        rope_scaling_factor=1.0,
        sliding_window=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        num_key_value_heads = num_key_value_heads or num_heads
        if num_heads % num_key_value_heads:
            raise ValueError(
                f"num_key_value_heads={num_key_value_heads} does not divide "
                f"num_heads={num_heads}."
            )
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.num_key_value_heads = num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.output_use_bias = use_bias if output_use_bias is None else output_use_bias
        self.fused_qkv = fused_qkv
        self.rope_max_wavelength = rope_max_wavelength
        self.rope_scaling_factor = rope_scaling_factor
        self.sliding_window = sliding_window
        self.rotary = (
            None
            if rope_max_wavelength is None
            else RotaryEmbedding(
                rope_max_wavelength, rope_scaling_factor, dtype=self.dtype_policy
            )
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed_generator = keras.random.SeedGenerator()

    def _dense(self, units, name, use_bias=None):
        return keras.layers.Dense(
            units,
            use_bias=self.use_bias if use_bias is None else use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = value_shape or query_shape
        key_shape = key_shape or value_shape
        width = self.num_heads * self.head_dim
        key_width = self.num_key_value_heads * self.head_dim
        if self.fused_qkv:
            self.qkv_dense = self._dense(width + 2 * key_width, "qkv")
            self.qkv_dense.build(query_shape)
        else:
            self.query_dense = self._dense(width, "query")
            self.query_dense.build(query_shape)
            self.key_dense = self._dense(key_width, "key")
            self.key_dense.build(key_shape)
            self.value_dense = self._dense(key_width, "value")
            self.value_dense.build(value_shape)
        self.output_dense = self._dense(
            query_shape[-1], "attention_output", self.output_use_bias
        )
        self.output_dense.build(tuple(query_shape[:-1]) + (width,))
        self.built = True

    def _split_heads(self, x, heads=None):
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (batch, length, heads or self.num_heads, self.head_dim))
        return ops.transpose(x, (0, 2, 1, 3))  # (B, H, T, D)

    def _project(self, query, key, value):
        if self.fused_qkv:
            if key is not query or value is not query:
                raise ValueError(
                    "MultiHeadAttention(fused_qkv=True) only does self-attention: "
                    "call it without `key` and `value`."
                )
            width = self.num_heads * self.head_dim
            key_width = self.num_key_value_heads * self.head_dim
            query, key, value = ops.split(
                self.qkv_dense(query), [width, width + key_width], axis=-1
            )
        else:
            query = self.query_dense(query)
            key = self.key_dense(key)
            value = self.value_dense(value)
        heads = self.num_key_value_heads
        return (
            self._split_heads(query),
            self._split_heads(key, heads),
            self._split_heads(value, heads),
        )

    def compute_cache(self, value, key=None):
        """Projects a fixed source once: the cross-attention cache of a decoder.

        Args:
            value: `[B, S, C]` tensor (an encoder's output).
            key: optional `[B, S, C]` tensor; defaults to `value`.

        Returns:
            `(key, value)`, each `[B, H, S, D]`, for `call(..., cache=...)`
            without `cache_update_index`.
        """
        if self.fused_qkv:
            raise ValueError("A fused_qkv layer only does self-attention.")
        key = value if key is None else key
        heads = self.num_key_value_heads
        return (
            self._split_heads(self.key_dense(key), heads),
            self._split_heads(self.value_dense(value), heads),
        )

    def call(
        self,
        query,
        value=None,
        key=None,
        padding_mask=None,
        attention_mask=None,
        use_causal_mask=False,
        cache=None,
        cache_update_index=None,
        return_attention_scores=False,
        training=None,
    ):
        value = query if value is None else value
        key = value if key is None else key
        if cache is not None and cache_update_index is None:
            if self.fused_qkv:
                raise ValueError(
                    "A cache without `cache_update_index` holds fixed cross-attention "
                    "keys and values; a fused_qkv layer only does self-attention."
                )
            query = self._split_heads(self.query_dense(query))
            key, value = cache
        else:
            query, key, value = self._project(query, key, value)
            if self.rotary is not None:
                start = 0 if cache_update_index is None else cache_update_index
                query = self.rotary(query, start_index=start)
                key = self.rotary(key, start_index=start)
            if cache is not None:
                start = (0, 0, cache_update_index, 0)
                key = ops.slice_update(cache[0], start, ops.cast(key, cache[0].dtype))
                value = ops.slice_update(
                    cache[1], start, ops.cast(value, cache[1].dtype)
                )
                cache = (key, value)
        mask = merge_attention_masks(
            ops.shape(query)[2],
            ops.shape(key)[2],
            padding_mask=padding_mask,
            attention_mask=attention_mask,
            use_causal_mask=use_causal_mask,
            cache_update_index=0 if cache_update_index is None else cache_update_index,
            sliding_window=self.sliding_window,
        )
        attended, weights = attend(
            query,
            key,
            value,
            mask=mask,
            dropout_rate=self.dropout,
            seed=self.seed_generator,
            training=bool(training),
        )
        batch, length = ops.shape(attended)[0], ops.shape(attended)[2]
        attended = ops.transpose(attended, (0, 2, 1, 3))  # (B, Tq, H, D)
        output = self.output_dense(
            ops.reshape(attended, (batch, length, self.num_heads * self.head_dim))
        )
        outputs = (output,)
        if return_attention_scores:
            outputs += (weights,)
        if cache is not None:
            outputs += (cache,)
        return outputs[0] if len(outputs) == 1 else outputs

    def get_config(self):
        return super().get_config() | {
            "num_heads": self.num_heads,
            "head_dim": self.head_dim,
            "num_key_value_heads": self.num_key_value_heads,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_use_bias": self.output_use_bias,
            "fused_qkv": self.fused_qkv,
            "rope_max_wavelength": self.rope_max_wavelength,
            "rope_scaling_factor": self.rope_scaling_factor,
            "sliding_window": self.sliding_window,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }

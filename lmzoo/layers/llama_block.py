"""The decoder block of the Llama family (Llama, Mistral, Qwen2, SmolLM)."""

import keras

from lmzoo.layers.attention import MultiHeadAttention
from lmzoo.layers.feedforward import GatedFeedForward
from lmzoo.layers.normalization import RMSNormalization


@keras.saving.register_keras_serializable(package="lmzoo")
class LlamaDecoderBlock(keras.layers.Layer):
    """RMSNorm, causal grouped-query attention with RoPE, RMSNorm, SwiGLU.

    Both sublayers are pre-normalized and residual.

    Args:
        num_heads: int. Query heads.
        intermediate_dim: int. Width of the gated feed-forward network.
        num_key_value_heads: optional int dividing `num_heads`. Defaults to
            `num_heads`.
        head_dim: optional int. Defaults to the width over `num_heads`.
        rope_max_wavelength: float. RoPE's theta. Defaults to `10000.0`.
        rope_scaling_factor: float. Linear RoPE scaling. Defaults to `1.0`.
        layer_norm_epsilon: float. Defaults to `1e-6`.
        attention_bias: bool. Biases on the query, key and value
            projections. Defaults to `False`.
        output_bias: optional bool. Bias on the attention output. Defaults
            to `attention_bias`.
        sliding_window: optional int (Mistral). Defaults to `None`.
        dropout: float. Attention dropout. Defaults to `0.0`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[B, T, C]` tensor.
        padding_mask: optional `[B, T]` bool tensor, True at real tokens.
        cache: optional `(key, value)` pair, each `[B, Hkv, L, D]`.
        cache_update_index: int or scalar tensor, where `inputs` start.
        training: bool.

    Returns:
        `[B, T, C]`, and the updated cache when `cache` was given.

    Example:
    >>> block = LlamaDecoderBlock(num_heads=4, intermediate_dim=64,
    ...                           num_key_value_heads=2)
    >>> block(keras.random.normal((2, 10, 32))).shape
    TensorShape([2, 10, 32])
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        num_key_value_heads=None,
        head_dim=None,
        rope_max_wavelength=10000.0,
        rope_scaling_factor=1.0,
        layer_norm_epsilon=1e-6,
        attention_bias=False,
        output_bias=None,
        sliding_window=None,
        dropout=0.0,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.num_key_value_heads = num_key_value_heads or num_heads
        self.head_dim = head_dim
        self.rope_max_wavelength = rope_max_wavelength
        self.rope_scaling_factor = rope_scaling_factor
        self.layer_norm_epsilon = layer_norm_epsilon
        self.attention_bias = attention_bias
        self.output_bias = attention_bias if output_bias is None else output_bias
        self.sliding_window = sliding_window
        self.dropout = dropout
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, inputs_shape):
        width = inputs_shape[-1]
        if self.head_dim is None and width % self.num_heads:
            raise ValueError(
                f"num_heads={self.num_heads} does not divide the width {width}."
            )
        self.attention_norm = RMSNormalization(
            self.layer_norm_epsilon, dtype=self.dtype_policy, name="attention_norm"
        )
        self.attention_norm.build(inputs_shape)
        self.self_attention = MultiHeadAttention(
            self.num_heads,
            self.head_dim or width // self.num_heads,
            num_key_value_heads=self.num_key_value_heads,
            dropout=self.dropout,
            use_bias=self.attention_bias,
            output_use_bias=self.output_bias,
            rope_max_wavelength=self.rope_max_wavelength,
            rope_scaling_factor=self.rope_scaling_factor,
            sliding_window=self.sliding_window,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="self_attention",
        )
        self.self_attention.build(inputs_shape)
        self.feedforward_norm = RMSNormalization(
            self.layer_norm_epsilon, dtype=self.dtype_policy, name="feedforward_norm"
        )
        self.feedforward_norm.build(inputs_shape)
        self.feedforward = GatedFeedForward(
            self.intermediate_dim,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="feedforward",
        )
        self.feedforward.build(inputs_shape)
        self.built = True

    def call(
        self,
        inputs,
        padding_mask=None,
        cache=None,
        cache_update_index=None,
        training=None,
    ):
        attended = self.self_attention(
            self.attention_norm(inputs),
            padding_mask=padding_mask,
            use_causal_mask=True,
            cache=cache,
            cache_update_index=cache_update_index,
            training=training,
        )
        if cache is not None:
            attended, cache = attended
        x = inputs + attended
        x = x + self.feedforward(self.feedforward_norm(x))
        return x if cache is None else (x, cache)

    def get_config(self):
        return super().get_config() | {
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "num_key_value_heads": self.num_key_value_heads,
            "head_dim": self.head_dim,
            "rope_max_wavelength": self.rope_max_wavelength,
            "rope_scaling_factor": self.rope_scaling_factor,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "attention_bias": self.attention_bias,
            "output_bias": self.output_bias,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }

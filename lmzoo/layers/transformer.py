"""Transformer encoder and decoder blocks (pre- or post-LayerNorm)."""

import keras

from lmzoo.layers.activations import get_activation
from lmzoo.layers.attention import MultiHeadAttention


class _TransformerBlock(keras.layers.Layer):
    """Arguments, sublayers and residual wiring the encoder and decoder share."""

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        normalize_first=True,
        fused_qkv=False,
        kernel_initializer="glorot_uniform",
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.activation = get_activation(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.normalize_first = normalize_first
        self.fused_qkv = fused_qkv
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.use_bias = use_bias

    def _attention(self, hidden_dim, name, fused_qkv):
        if hidden_dim % self.num_heads:
            raise ValueError(
                f"{type(self).__name__}: hidden size {hidden_dim} is not divisible "
                f"by num_heads={self.num_heads}."
            )
        return MultiHeadAttention(
            self.num_heads,
            hidden_dim // self.num_heads,
            dropout=self.dropout,
            fused_qkv=fused_qkv,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def _layer_norm(self, name, shape):
        layer = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon,
            center=self.use_bias,
            dtype=self.dtype_policy,
            name=name,
        )
        layer.build(shape)
        return layer

    def _build_feedforward(self, inputs_shape):
        hidden_dim = inputs_shape[-1]
        self.feedforward_intermediate = keras.layers.Dense(
            self.intermediate_dim,
            activation=self.activation,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="feedforward_intermediate",
        )
        self.feedforward_intermediate.build(inputs_shape)
        self.feedforward_output = keras.layers.Dense(
            hidden_dim,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="feedforward_output",
        )
        self.feedforward_output.build(
            tuple(inputs_shape[:-1]) + (self.intermediate_dim,)
        )
        self.feedforward_layer_norm = self._layer_norm(
            "feedforward_layer_norm", inputs_shape
        )
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)

    def _residual(self, x, layer_norm, sublayer, training):
        """`x + sublayer(norm(x))` (pre-LN) or `norm(x + sublayer(x))` (post-LN)."""
        inner = layer_norm(x) if self.normalize_first else x
        outputs = sublayer(inner)
        extra = ()
        if isinstance(outputs, tuple):
            outputs, *extra = outputs
        x = x + self.dropout_layer(outputs, training=training)
        if not self.normalize_first:
            x = layer_norm(x)
        return (x, *extra) if extra else x

    def _feedforward(self, x, training):
        return self._residual(
            x,
            self.feedforward_layer_norm,
            lambda h: self.feedforward_output(self.feedforward_intermediate(h)),
            training,
        )

    def get_config(self):
        return super().get_config() | {
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "activation": keras.activations.serialize(self.activation),
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "normalize_first": self.normalize_first,
            "fused_qkv": self.fused_qkv,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "use_bias": self.use_bias,
        }


@keras.saving.register_keras_serializable(package="lmzoo")
class TransformerEncoderBlock(_TransformerBlock):
    """Bidirectional self-attention and a feed-forward network, with residuals.

    Args:
        num_heads: int. Number of attention heads; must divide the width.
        intermediate_dim: int. Width of the feed-forward hidden layer.
        dropout: float. Dropout on attention weights and residual branches.
            Defaults to `0.0`.
        activation: feed-forward activation (`"gelu"`, `"relu"`,
            `"gelu_approximate"`, ...). Defaults to `"gelu"`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
        normalize_first: bool. Pre-LayerNorm (GPT-2) when True, post-LayerNorm
            (BERT, the original Transformer) when False. Defaults to `True`.
        fused_qkv: bool. One projection for query, key and value. Defaults to
            `False`.
        kernel_initializer: initializer of the dense kernels. Defaults to
            `"glorot_uniform"`.
        use_bias: bool. Biases in the dense layers and LayerNorms. Defaults
            to `True`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[B, T, C]` tensor.
        padding_mask: optional `[B, T]` bool tensor, True at real tokens.
        attention_mask: optional `[B, T, T]` bool tensor.
        training: bool. Whether dropout is active.

    Returns:
        `[B, T, C]` tensor.

    Example:
    >>> block = TransformerEncoderBlock(num_heads=4, intermediate_dim=64)
    >>> block(keras.random.normal((2, 10, 32))).shape
    TensorShape([2, 10, 32])
    """

    def build(self, inputs_shape):
        self.self_attention = self._attention(
            inputs_shape[-1], "self_attention", self.fused_qkv
        )
        self.self_attention.build(inputs_shape)
        self.self_attention_layer_norm = self._layer_norm(
            "self_attention_layer_norm", inputs_shape
        )
        self._build_feedforward(inputs_shape)
        self.built = True

    def call(self, inputs, padding_mask=None, attention_mask=None, training=None):
        x = self._residual(
            inputs,
            self.self_attention_layer_norm,
            lambda h: self.self_attention(
                h,
                padding_mask=padding_mask,
                attention_mask=attention_mask,
                training=training,
            ),
            training,
        )
        return self._feedforward(x, training)


@keras.saving.register_keras_serializable(package="lmzoo")
class TransformerDecoderBlock(_TransformerBlock):
    """Causal self-attention, optional cross-attention and a feed-forward network.

    Args:
        num_heads: int. Number of attention heads; must divide the width.
        intermediate_dim: int. Width of the feed-forward hidden layer.
        dropout: float. Defaults to `0.0`.
        activation: feed-forward activation. Defaults to `"gelu"`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
        normalize_first: bool. Pre-LayerNorm when True. Defaults to `True`.
        fused_qkv: bool. One projection for the self-attention's query, key and
            value. Defaults to `False`.
        kernel_initializer: initializer of the dense kernels. Defaults to
            `"glorot_uniform"`.
        use_bias: bool. Biases in the dense layers and LayerNorms. Defaults
            to `True`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[B, T, C]` tensor.
        encoder_outputs: optional `[B, S, C]` tensor; when given at the first
            call the block builds a cross-attention sublayer.
        padding_mask: optional `[B, T]` bool tensor for the decoder tokens.
        encoder_padding_mask: optional `[B, S]` bool tensor.
        use_causal_mask: bool. Defaults to `True`.
        cache: optional `(key, value)` self-attention cache, each `[B, H, L, D]`.
        cache_update_index: int or scalar tensor, where `inputs` start in the
            cache.
        cross_attention_cache: optional `(key, value)` pair, each `[B, H, S, D]`,
            from `self.cross_attention.compute_cache(encoder_outputs)`: the
            source projected once per sequence (then `encoder_outputs` is
            ignored).
        return_cross_attention_weights: bool. Also return the
            cross-attention weights `[B, H, T, S]` (float32).
        training: bool. Whether dropout is active.

    Returns:
        `[B, T, C]` tensor; then the cross-attention weights if asked for;
        then the updated cache when `cache` was given.

    Example:
    >>> block = TransformerDecoderBlock(num_heads=4, intermediate_dim=64)
    >>> block(keras.random.normal((2, 10, 32))).shape
    TensorShape([2, 10, 32])
    """

    def build(self, inputs_shape, encoder_outputs_shape=None):
        hidden_dim = inputs_shape[-1]
        self.self_attention = self._attention(
            hidden_dim, "self_attention", self.fused_qkv
        )
        self.self_attention.build(inputs_shape)
        self.self_attention_layer_norm = self._layer_norm(
            "self_attention_layer_norm", inputs_shape
        )
        self.cross_attention = None
        if encoder_outputs_shape is not None:
            self.cross_attention = self._attention(
                hidden_dim, "cross_attention", fused_qkv=False
            )
            self.cross_attention.build(inputs_shape, encoder_outputs_shape)
            self.cross_attention_layer_norm = self._layer_norm(
                "cross_attention_layer_norm", inputs_shape
            )
        self._build_feedforward(inputs_shape)
        self.built = True

    def compute_cross_attention_cache(self, encoder_outputs):
        """Projects the encoder outputs once for cached decoding.

        A translation decoder calls this once per source sentence and passes
        the result as `cross_attention_cache` at every decoding step, instead
        of re-projecting the whole source each step.

        Args:
            encoder_outputs: `[B, S, C]` tensor.

        Returns:
            `(key, value)`, each `[B, H, S, D]`.
        """
        if self.cross_attention is None:
            raise ValueError("This block was built without cross-attention.")
        return self.cross_attention.compute_cache(encoder_outputs)

    def call(
        self,
        inputs,
        encoder_outputs=None,
        padding_mask=None,
        encoder_padding_mask=None,
        use_causal_mask=True,
        cache=None,
        cache_update_index=None,
        cross_attention_cache=None,
        return_cross_attention_weights=False,
        training=None,
    ):
        x = self._residual(
            inputs,
            self.self_attention_layer_norm,
            lambda h: self.self_attention(
                h,
                padding_mask=padding_mask,
                use_causal_mask=use_causal_mask,
                cache=cache,
                cache_update_index=cache_update_index,
                training=training,
            ),
            training,
        )
        if cache is not None:
            x, cache = x
        weights = None
        if self.cross_attention is not None:
            x = self._residual(
                x,
                self.cross_attention_layer_norm,
                lambda h: self.cross_attention(
                    h,
                    encoder_outputs,
                    padding_mask=encoder_padding_mask,
                    cache=cross_attention_cache,
                    return_attention_scores=return_cross_attention_weights,
                    training=training,
                ),
                training,
            )
            if isinstance(x, tuple):
                x, *extra = x
                weights = extra[0] if return_cross_attention_weights else None
        x = self._feedforward(x, training)
        outputs = (x,)
        if return_cross_attention_weights:
            outputs += (weights,)
        if cache is not None:
            outputs += (cache,)
        return outputs[0] if len(outputs) == 1 else outputs

"""GPT: a decoder-only Transformer language model with a tied LM head."""

import keras
from keras import ops

from lmzoo.generation.mixin import GenerationMixin
from lmzoo.layers import TokenAndPositionEmbedding, TransformerDecoderBlock
from lmzoo.models._inputs import (
    attach_tokenizer,
    check_positive_int,
    serialize_tokenizer,
    unpack_token_inputs,
)


@keras.saving.register_keras_serializable(package="lmzoo")
class GPT(GenerationMixin, keras.Model):
    """GPT-2 style language model: pre-LayerNorm causal decoder blocks.

    token + position embedding -> N x (LN, causal self-attention, LN, MLP) ->
    final LayerNorm -> logits through the transposed token embedding. Tying the
    LM head to the input embedding (Press & Wolf, 2017) saves
    `vocabulary_size * hidden_dim` parameters and trains better on small data.

    Args:
        vocabulary_size: int. Number of token ids.
        max_sequence_length: int. Longest input (size of the position table).
            Defaults to `128`.
        num_layers: int. Decoder blocks. Defaults to `4`.
        num_heads: int. Attention heads per block. Defaults to `4`.
        hidden_dim: int. Model width. Defaults to `128`.
        intermediate_dim: int. Feed-forward width. Defaults to `4 * hidden_dim`.
        dropout: float. Defaults to `0.0`.
        activation: feed-forward activation. Defaults to `"gelu"`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
        use_bias: bool. Biases in the dense layers and LayerNorms (nanoGPT
            trains without them). Defaults to `True`.
        tokenizer: optional tokenizer layer saved with the model.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: `[B, T]` int token ids, or a dict with `"token_ids"` and an
            optional `"padding_mask"` (`[B, T]`, True at real tokens).
        training: bool.

    Returns:
        `[B, T, vocabulary_size]` float32 logits.

    `prefers_jit_compile` is True: XLA trains it faster in float32 on CPU
    (see `lmzoo.training.default_jit_compile`).

    Example:
    >>> model = GPT(vocabulary_size=65, num_layers=2, hidden_dim=32, num_heads=4)
    >>> model(keras.ops.ones((2, 16), "int32")).shape
    TensorShape([2, 16, 65])
    """

    prefers_jit_compile = True

    def __init__(
        self,
        vocabulary_size,
        max_sequence_length=128,
        num_layers=4,
        num_heads=4,
        hidden_dim=128,
        intermediate_dim=None,
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        use_bias=True,
        tokenizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int("vocabulary_size", vocabulary_size)
        check_positive_int("max_sequence_length", max_sequence_length)
        check_positive_int("num_layers", num_layers)
        check_positive_int("num_heads", num_heads)
        check_positive_int("hidden_dim", hidden_dim)
        if hidden_dim % num_heads:
            raise ValueError(
                f"num_heads={num_heads} does not divide hidden_dim={hidden_dim}."
            )
        self.vocabulary_size = vocabulary_size
        self.max_sequence_length = max_sequence_length
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim or 4 * hidden_dim
        self.dropout = dropout
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon
        self.use_bias = use_bias
        attach_tokenizer(self, tokenizer)
        initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.embedding = TokenAndPositionEmbedding(
            vocabulary_size,
            max_sequence_length,
            hidden_dim,
            embeddings_initializer=initializer,
            dtype=self.dtype_policy,
            name="embedding",
        )
        self.embedding_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.blocks = [
            TransformerDecoderBlock(
                num_heads,
                self.intermediate_dim,
                dropout=dropout,
                activation=activation,
                layer_norm_epsilon=layer_norm_epsilon,
                normalize_first=True,
                fused_qkv=True,
                kernel_initializer=initializer,
                use_bias=use_bias,
                dtype=self.dtype_policy,
                name=f"block_{index}",
            )
            for index in range(num_layers)
        ]
        self.final_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon,
            center=use_bias,
            dtype=self.dtype_policy,
            name="final_layer_norm",
        )

    def _check_length(self, token_ids):
        length = token_ids.shape[-1]
        if length is not None and length > self.max_sequence_length:
            raise ValueError(
                f"Input has {length} tokens but this GPT's max_sequence_length is "
                f"{self.max_sequence_length}."
            )

    def call(self, inputs, training=None):
        token_ids, padding_mask = unpack_token_inputs(inputs)
        self._check_length(token_ids)
        x = self.embedding(token_ids)  # (B, T, C)
        x = self.embedding_dropout(x, training=training)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        return self.embedding.attend(self.final_layer_norm(x))  # (B, T, V)

    def init_cache(self, batch_size, max_length=None):
        """An empty key/value cache for `decode_step`.

        Args:
            batch_size: int.
            max_length: int. Positions the cache holds. Defaults to
                `max_sequence_length`.

        Returns:
            A tuple with one `(key, value)` pair per layer, each a
            `[batch, heads, max_length, head_dim]` zero tensor in the compute
            dtype. Separate head-major tensors let XLA update each in place
            and feed it to the attention product without a transpose.
        """
        max_length = max_length or self.max_sequence_length
        head_dim = self.hidden_dim // self.num_heads
        shape = (batch_size, self.num_heads, max_length, head_dim)
        return tuple(
            (ops.zeros(shape, self.compute_dtype), ops.zeros(shape, self.compute_dtype))
            for _ in range(self.num_layers)
        )

    def decode_step(self, token_ids, cache, index):
        """Runs new tokens against the key/value cache (a prompt or one step).

        Args:
            token_ids: `[B, T]` int tensor, the tokens at positions
                `index ... index + T - 1`.
            cache: the tuple from `init_cache` or a previous call.
            index: int or scalar tensor.

        Returns:
            `(logits [B, T, V] float32, updated cache)`.
        """
        x = self.embedding(token_ids, start_index=index)
        updated = []
        for block, layer_cache in zip(self.blocks, cache, strict=True):
            x, layer_cache = block(x, cache=layer_cache, cache_update_index=index)
            updated.append(layer_cache)
        return self.embedding.attend(self.final_layer_norm(x)), tuple(updated)

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "max_sequence_length": self.max_sequence_length,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "activation": self.activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "use_bias": self.use_bias,
            "tokenizer": serialize_tokenizer(self.tokenizer),
        }

"""The encoder-decoder Transformer (Vaswani et al., 2017): its backbone."""

import keras
from keras import ops

from lmzoo.layers import (
    TokenAndPositionEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)
from lmzoo.models.inputs import check_positive_int

INPUT_KEYS = (
    "encoder_token_ids",
    "encoder_padding_mask",
    "decoder_token_ids",
    "decoder_padding_mask",
)


@keras.saving.register_keras_serializable(package="lmzoo")
class Seq2SeqBackbone(keras.Model):
    """Encoder blocks over the source; causal decoder blocks that cross-attend to it.

    Both stacks are pre-LayerNorm (they train at a higher learning rate than
    the original post-LN without losing stability) and end in a LayerNorm.

    Args:
        vocabulary_size: int. Source token ids (and target ids, unless
            `target_vocabulary_size` is given).
        target_vocabulary_size: optional int. Target token ids.
        max_sequence_length: int. Longest source and target. Defaults to `64`.
        num_layers: int. Encoder blocks (and decoder blocks, unless
            `num_decoder_layers` is given). Defaults to `3`.
        num_decoder_layers: optional int.
        num_heads: int. Defaults to `4`.
        hidden_dim: int. Defaults to `256`.
        intermediate_dim: int. Feed-forward width. Defaults to `4 * hidden_dim`.
        dropout: float. Defaults to `0.1`.
        activation: feed-forward activation. Defaults to `"gelu"`.
        position_encoding: `"learned"` or `"sinusoidal"`. Defaults to
            `"learned"`.
        share_embeddings: bool. One token table for source and target (one
            vocabulary for both languages). Defaults to `False`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: a dict with `"encoder_token_ids"`, `"decoder_token_ids"` and
            optionally `"encoder_padding_mask"` and `"decoder_padding_mask"`
            (`[B, S]` / `[B, T]`, True at real tokens).
        training: bool.

    Returns:
        `[B, T, hidden_dim]` decoder hidden states.

    Example:
    >>> backbone = Seq2SeqBackbone(20, num_layers=1, hidden_dim=16, num_heads=2)
    >>> backbone({"encoder_token_ids": keras.ops.ones((2, 5), "int32"),
    ...           "decoder_token_ids": keras.ops.ones((2, 3), "int32")}).shape
    TensorShape([2, 3, 16])
    """

    def __init__(
        self,
        vocabulary_size,
        target_vocabulary_size=None,
        max_sequence_length=64,
        num_layers=3,
        num_decoder_layers=None,
        num_heads=4,
        hidden_dim=256,
        intermediate_dim=None,
        dropout=0.1,
        activation="gelu",
        position_encoding="learned",
        share_embeddings=False,
        layer_norm_epsilon=1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        target_vocabulary_size = target_vocabulary_size or vocabulary_size
        num_decoder_layers = num_decoder_layers or num_layers
        for name, value in [
            ("vocabulary_size", vocabulary_size),
            ("target_vocabulary_size", target_vocabulary_size),
            ("max_sequence_length", max_sequence_length),
            ("num_layers", num_layers),
            ("num_decoder_layers", num_decoder_layers),
            ("num_heads", num_heads),
            ("hidden_dim", hidden_dim),
        ]:
            check_positive_int(name, value)
        if hidden_dim % num_heads:
            raise ValueError(
                f"num_heads={num_heads} does not divide hidden_dim={hidden_dim}."
            )
        if share_embeddings and target_vocabulary_size != vocabulary_size:
            raise ValueError(
                f"share_embeddings needs one vocabulary: vocabulary_size="
                f"{vocabulary_size}, target_vocabulary_size={target_vocabulary_size}."
            )
        self.vocabulary_size = vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.max_sequence_length = max_sequence_length
        self.num_layers = num_layers
        self.num_decoder_layers = num_decoder_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim or 4 * hidden_dim
        self.dropout = dropout
        self.activation = activation
        self.position_encoding = position_encoding
        self.share_embeddings = share_embeddings
        self.layer_norm_epsilon = layer_norm_epsilon
        self.encoder_embedding = self._embedding(vocabulary_size, "encoder_embedding")
        self.decoder_embedding = (
            self.encoder_embedding
            if share_embeddings
            else self._embedding(target_vocabulary_size, "decoder_embedding")
        )
        self.embedding_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        block_arguments = {
            "num_heads": num_heads,
            "intermediate_dim": self.intermediate_dim,
            "dropout": dropout,
            "activation": activation,
            "layer_norm_epsilon": layer_norm_epsilon,
            "normalize_first": True,
            "dtype": self.dtype_policy,
        }
        self.encoder_blocks = [
            TransformerEncoderBlock(**block_arguments, name=f"encoder_block_{index}")
            for index in range(num_layers)
        ]
        self.decoder_blocks = [
            TransformerDecoderBlock(**block_arguments, name=f"decoder_block_{index}")
            for index in range(num_decoder_layers)
        ]
        self.encoder_layer_norm = self._layer_norm("encoder_layer_norm")
        self.decoder_layer_norm = self._layer_norm("decoder_layer_norm")

    def _embedding(self, vocabulary_size, name):
        return TokenAndPositionEmbedding(
            vocabulary_size,
            self.max_sequence_length,
            self.hidden_dim,
            position_encoding=self.position_encoding,
            dtype=self.dtype_policy,
            name=name,
        )

    def _layer_norm(self, name):
        return keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name=name
        )

    def build(self, input_shape=None):
        if self.built:
            return
        hidden = (None, None, self.hidden_dim)
        for embedding in {id(e): e for e in self._embeddings()}.values():
            embedding.build((None, None))
        for block in self.encoder_blocks:
            block.build(hidden)
        for block in self.decoder_blocks:
            block.build(hidden, hidden)
        self.encoder_layer_norm.build(hidden)
        self.decoder_layer_norm.build(hidden)
        self.built = True

    def _embeddings(self):
        return (self.encoder_embedding, self.decoder_embedding)

    def _check_length(self, token_ids, side):
        length = token_ids.shape[-1]
        if length is not None and length > self.max_sequence_length:
            raise ValueError(
                f"The {side} has {length} tokens but this model's "
                f"max_sequence_length is {self.max_sequence_length}."
            )

    def encode(self, token_ids, padding_mask=None, training=None):
        """The encoder's output for a batch of sources.

        Args:
            token_ids: `[B, S]` int ids.
            padding_mask: optional `[B, S]` bool, True at real tokens.
            training: bool.

        Returns:
            `[B, S, hidden_dim]` tensor.
        """
        self._check_length(token_ids, "source")
        x = self.embedding_dropout(self.encoder_embedding(token_ids), training=training)
        for block in self.encoder_blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        return self.encoder_layer_norm(x)

    def decode(
        self,
        token_ids,
        encoder_outputs,
        padding_mask=None,
        encoder_padding_mask=None,
        return_cross_attention_weights=False,
        training=None,
    ):
        """The decoder's hidden states for teacher-forced target tokens.

        Args:
            token_ids: `[B, T]` int ids (the target shifted right).
            encoder_outputs: `[B, S, hidden_dim]` from `encode`.
            padding_mask: optional `[B, T]` bool.
            encoder_padding_mask: optional `[B, S]` bool.
            return_cross_attention_weights: bool. Also return each decoder
                block's cross-attention weights, `[B, H, T, S]`.
            training: bool.

        Returns:
            `[B, T, hidden_dim]`, and the list of weights when asked for.
        """
        self._check_length(token_ids, "target")
        x = self.embedding_dropout(self.decoder_embedding(token_ids), training=training)
        weights = []
        for block in self.decoder_blocks:
            x = block(
                x,
                encoder_outputs,
                padding_mask=padding_mask,
                encoder_padding_mask=encoder_padding_mask,
                return_cross_attention_weights=return_cross_attention_weights,
                training=training,
            )
            if return_cross_attention_weights:
                x, block_weights = x
                weights.append(block_weights)
        x = self.decoder_layer_norm(x)
        return (x, weights) if return_cross_attention_weights else x

    def call(self, inputs, training=None):
        keys = sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__
        if not isinstance(inputs, dict) or set(inputs) - set(INPUT_KEYS):
            raise ValueError(
                f"Seq2SeqBackbone takes a dict with keys {list(INPUT_KEYS)} (masks "
                f"optional); got {keys}."
            )
        encoder_mask = inputs.get("encoder_padding_mask")
        encoder_outputs = self.encode(
            inputs["encoder_token_ids"], encoder_mask, training=training
        )
        return self.decode(
            inputs["decoder_token_ids"],
            encoder_outputs,
            padding_mask=inputs.get("decoder_padding_mask"),
            encoder_padding_mask=encoder_mask,
            training=training,
        )

    def init_cache(self, batch_size, max_length, encoder_outputs, encoder_padding_mask):
        """The decoding cache: empty self-attention keys and values, and the
        cross-attention keys and values of the source, projected once.

        Args:
            batch_size: int.
            max_length: int. Target positions the cache holds.
            encoder_outputs: `[batch_size, S, hidden_dim]`.
            encoder_padding_mask: `[batch_size, S]` bool or `None`.

        Returns:
            dict with `"self"` (one `(key, value)` pair of `[B, H, max_length,
            D]` zeros per block), `"cross"` (one `[B, H, S, D]` pair per block)
            and `"encoder_padding_mask"`.
        """
        head_dim = self.hidden_dim // self.num_heads
        shape = (batch_size, self.num_heads, max_length, head_dim)
        if encoder_padding_mask is None:
            encoder_padding_mask = ops.ones(ops.shape(encoder_outputs)[:2], "bool")
        encoder_outputs = ops.cast(encoder_outputs, self.compute_dtype)
        return {
            "self": tuple(
                (
                    ops.zeros(shape, self.compute_dtype),
                    ops.zeros(shape, self.compute_dtype),
                )
                for _ in self.decoder_blocks
            ),
            "cross": tuple(
                block.compute_cross_attention_cache(encoder_outputs)
                for block in self.decoder_blocks
            ),
            "encoder_padding_mask": ops.cast(encoder_padding_mask, "bool"),
        }

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """Runs new target tokens against the cache.

        Args:
            token_ids: `[B, T]` ints at positions `cache_update_index ...`.
            cache: the dict from `init_cache` or a previous call.
            cache_update_index: int or scalar tensor.

        Returns:
            `(hidden [B, T, hidden_dim], updated cache)`.
        """
        x = self.decoder_embedding(token_ids, cache_update_index=cache_update_index)
        updated = []
        for block, layer_cache, cross in zip(
            self.decoder_blocks, cache["self"], cache["cross"], strict=True
        ):
            x, layer_cache = block(
                x,
                encoder_padding_mask=cache["encoder_padding_mask"],
                cache=layer_cache,
                cache_update_index=cache_update_index,
                cross_attention_cache=cross,
            )
            updated.append(layer_cache)
        return self.decoder_layer_norm(x), cache | {"self": tuple(updated)}

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "target_vocabulary_size": self.target_vocabulary_size,
            "max_sequence_length": self.max_sequence_length,
            "num_layers": self.num_layers,
            "num_decoder_layers": self.num_decoder_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "activation": self.activation,
            "position_encoding": self.position_encoding,
            "share_embeddings": self.share_embeddings,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }

"""Token and position embeddings, and the tied output projection."""

import math

import keras
from keras import ops

from lmzoo.layers.heads import tied_logits


@keras.saving.register_keras_serializable(package="lmzoo")
class SinusoidalPositionEncoding(keras.layers.Layer):
    """Fixed sine/cosine position encodings (Vaswani et al., 2017).

    Args:
        max_wavelength: float. The longest wavelength. Defaults to `10000`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[B, T, C]` tensor; only its shape is used.
        cache_update_index: int or scalar tensor. Position of the first row
            (where a cached decoder writes it). Defaults to `0`.

    Returns:
        A `[T, C]` tensor of encodings, which broadcasts against `inputs`.

    Example:
    >>> SinusoidalPositionEncoding()(keras.ops.zeros((2, 10, 16))).shape
    TensorShape([10, 16])
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = max_wavelength

    def call(self, inputs, cache_update_index=0):
        length, width = ops.shape(inputs)[-2], ops.shape(inputs)[-1]
        positions = ops.cast(ops.arange(length) + cache_update_index, "float32")
        channels = ops.arange(width // 2, dtype="float32")
        inverse_frequency = ops.exp(
            -math.log(self.max_wavelength) * 2.0 * channels / ops.cast(width, "float32")
        )
        angles = ops.expand_dims(positions, 1) * ops.expand_dims(inverse_frequency, 0)
        encoding = ops.stack([ops.sin(angles), ops.cos(angles)], axis=-1)
        return ops.cast(ops.reshape(encoding, (length, width)), self.compute_dtype)

    def get_config(self):
        return super().get_config() | {"max_wavelength": self.max_wavelength}


@keras.saving.register_keras_serializable(package="lmzoo")
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token embedding plus a learned or sinusoidal position embedding.

    The token matrix doubles as the output projection (`attend`), so a language
    model can tie its LM head to its input embedding.

    Args:
        vocabulary_size: int. Number of token ids.
        max_sequence_length: int. Longest sequence the position table covers.
        embedding_dim: int. Width of the embeddings.
        position_encoding: `"learned"` or `"sinusoidal"`. Defaults to
            `"learned"`.
        embeddings_initializer: initializer for both tables. Defaults to
            `RandomNormal(stddev=0.02)`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        token_ids: `[B, T]` int tensor.
        cache_update_index: int or scalar tensor. Position of the first token
            (where a cached decoder writes it). Defaults to `0`.

    Returns:
        `[B, T, embedding_dim]` embeddings.

    Example:
    >>> layer = TokenAndPositionEmbedding(65, 128, 32)
    >>> layer(keras.ops.ones((2, 10), "int32")).shape
    TensorShape([2, 10, 32])
    """

    def __init__(
        self,
        vocabulary_size,
        max_sequence_length,
        embedding_dim,
        position_encoding="learned",
        embeddings_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if position_encoding not in ("learned", "sinusoidal"):
            raise ValueError(
                "position_encoding must be 'learned' or 'sinusoidal', "
                f"got {position_encoding!r}."
            )
        self.vocabulary_size = vocabulary_size
        self.max_sequence_length = max_sequence_length
        self.embedding_dim = embedding_dim
        self.position_encoding = position_encoding
        self.embeddings_initializer = keras.initializers.get(
            embeddings_initializer or keras.initializers.RandomNormal(stddev=0.02)
        )
        self.token_embedding = keras.layers.Embedding(
            vocabulary_size,
            embedding_dim,
            embeddings_initializer=self.embeddings_initializer,
            dtype=self.dtype_policy,
            name="token_embedding",
        )
        if position_encoding == "learned":
            self.position_embedding = keras.layers.Embedding(
                max_sequence_length,
                embedding_dim,
                embeddings_initializer=self.embeddings_initializer,
                dtype=self.dtype_policy,
                name="position_embedding",
            )
        else:
            self.position_embedding = SinusoidalPositionEncoding(
                dtype=self.dtype_policy, name="position_embedding"
            )

    def build(self, input_shape):
        self.token_embedding.build(input_shape)
        if self.position_encoding == "learned":
            self.position_embedding.build((None,))
        self.built = True

    def call(self, token_ids, cache_update_index=0):
        tokens = self.token_embedding(token_ids)
        if self.position_encoding == "learned":
            positions = ops.arange(ops.shape(token_ids)[-1]) + cache_update_index
            return tokens + self.position_embedding(positions)
        return tokens + self.position_embedding(
            tokens, cache_update_index=cache_update_index
        )

    def attend(self, hidden):
        """Projects hidden states onto the token embeddings: the tied LM head.

        Args:
            hidden: `[..., embedding_dim]` tensor.

        Returns:
            `[..., vocabulary_size]` float32 logits.
        """
        return tied_logits(hidden, self.token_embedding.embeddings)

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "max_sequence_length": self.max_sequence_length,
            "embedding_dim": self.embedding_dim,
            "position_encoding": self.position_encoding,
            "embeddings_initializer": keras.initializers.serialize(
                self.embeddings_initializer
            ),
        }

"""The LSTM language model: the baseline lmzoo compares Transformers against."""

import contextlib

import keras
from keras import ops

from lmzoo.generation.mixin import GenerationMixin
from lmzoo.models._inputs import (
    attach_tokenizer,
    check_positive_int,
    serialize_tokenizer,
    unpack_token_inputs,
)


@keras.saving.register_keras_serializable(package="lmzoo")
class LSTMLanguageModel(GenerationMixin, keras.Model):
    """Embedding -> stacked LSTM -> Dense (or tied) logits.

    Args:
        vocabulary_size: int. Number of token ids.
        embedding_dim: int. Defaults to `256`.
        hidden_dim: int. Units of every LSTM layer. Defaults to `256`.
        num_layers: int. Defaults to `2`.
        dropout: float. Dropout on the embedding and between layers (Zaremba et
            al., 2014 style: not on the recurrent connections). Defaults to `0.0`.
        tie_embeddings: bool. Use the transposed embedding as output layer;
            needs `embedding_dim == hidden_dim`. Defaults to `False`.
        init_scale: optional float. When set, every weight and bias starts
            uniform in `[-init_scale, init_scale]` (Zaremba et al. use 0.1);
            otherwise Keras' defaults. Defaults to `None`.
        stateful: bool. Carry the LSTM state from one batch to the next
            (truncated BPTT over `lmzoo.data.stateful_streams`); the batch size
            is then fixed by the first call, and `reset_state()` clears the
            state. Defaults to `False`.
        tokenizer: optional tokenizer layer saved with the model.
        **kwargs: other `keras.Model` arguments.

    Call arguments:
        inputs: `[B, T]` int token ids, or a dict with `"token_ids"` and an
            optional `"padding_mask"` (`[B, T]`, True at real tokens). At a
            padded step the state carries over unchanged, so left- and
            right-padded rows give the logits each row gives alone at its real
            tokens.
        initial_state: optional list of `[h, c]` pairs, one per layer.
        return_state: bool. Also return the final `[h, c]` per layer (the
            state a cached generator or a stateful trainer carries on).
        training: bool.

    Returns:
        `[B, T, vocabulary_size]` float32 logits, and the states when
        `return_state` is True.

    Example:
    >>> model = LSTMLanguageModel(vocabulary_size=65, embedding_dim=32, hidden_dim=32)
    >>> model(keras.ops.ones((2, 16), "int32")).shape
    TensorShape([2, 16, 65])
    """

    prefers_jit_compile = False

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=256,
        hidden_dim=256,
        num_layers=2,
        dropout=0.0,
        tie_embeddings=False,
        init_scale=None,
        stateful=False,
        tokenizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int("vocabulary_size", vocabulary_size)
        check_positive_int("embedding_dim", embedding_dim)
        check_positive_int("hidden_dim", hidden_dim)
        check_positive_int("num_layers", num_layers)
        if tie_embeddings and embedding_dim != hidden_dim:
            raise ValueError(
                "tie_embeddings=True needs embedding_dim == hidden_dim, got "
                f"{embedding_dim} and {hidden_dim}."
            )
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.dropout = dropout
        self.tie_embeddings = tie_embeddings
        self.init_scale = init_scale
        self.stateful = stateful
        attach_tokenizer(self, tokenizer)
        self.max_sequence_length = None
        uniform = (
            keras.initializers.RandomUniform(-init_scale, init_scale)
            if init_scale
            else None
        )
        self.embedding = keras.layers.Embedding(
            vocabulary_size,
            embedding_dim,
            embeddings_initializer=uniform or "uniform",
            dtype=self.dtype_policy,
            name="embedding",
        )
        self.lstm_layers = [
            keras.layers.LSTM(
                hidden_dim,
                return_sequences=True,
                return_state=True,
                kernel_initializer=uniform or "glorot_uniform",
                recurrent_initializer=uniform or "orthogonal",
                bias_initializer=uniform or "zeros",
                unit_forget_bias=uniform is None,
                stateful=stateful,
                dtype=self.dtype_policy,
                name=f"lstm_{index}",
            )
            for index in range(num_layers)
        ]
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.output_dense = (
            None
            if tie_embeddings
            else keras.layers.Dense(
                vocabulary_size,
                kernel_initializer=uniform or "glorot_uniform",
                bias_initializer=uniform or "zeros",
                dtype=self.dtype_policy,
                name="logits",
            )
        )

    def call(self, inputs, initial_state=None, return_state=False, training=None):
        token_ids, padding_mask = unpack_token_inputs(inputs)
        x = self.dropout_layer(self.embedding(token_ids), training=training)
        states = []
        for index, lstm in enumerate(self.lstm_layers):
            layer_state = None if initial_state is None else initial_state[index]
            x, hidden, carry = lstm(
                x, initial_state=layer_state, mask=padding_mask, training=training
            )
            x = self.dropout_layer(x, training=training)
            states.append([hidden, carry])
        if self.tie_embeddings:
            embeddings = ops.cast(self.embedding.embeddings, x.dtype)
            logits = ops.matmul(x, ops.transpose(embeddings))
        else:
            logits = self.output_dense(x)
        logits = ops.cast(logits, "float32")
        return (logits, states) if return_state else logits

    def logits_from_zero_state(self, inputs):
        """Logits from a zero state, neither reading nor changing the carried one.

        What a server needs from a stateful model: every request stands alone,
        at any batch size.

        Args:
            inputs: `[B, T]` token ids, or a dict with `"token_ids"` and an
                optional `"padding_mask"`.

        Returns:
            `[B, T, vocabulary_size]` float32 logits.

        Example:
        >>> model = LSTMLanguageModel(20, 8, 8, stateful=True)
        >>> model.logits_from_zero_state(keras.ops.ones((3, 4), "int32")).shape
        TensorShape([3, 4, 20])
        """
        token_ids, _ = unpack_token_inputs(inputs)
        with _stateless(self.lstm_layers):
            return self(inputs, initial_state=self.init_cache(ops.shape(token_ids)[0]))

    def reset_state(self):
        """Zeroes the carried state of a `stateful` model (new epoch or split)."""
        for lstm in self.lstm_layers:
            lstm.reset_state()

    def init_cache(self, batch_size, max_length=None):
        """The zero state, the LSTM's whole "cache" for `decode_step`.

        Args:
            batch_size: int.
            max_length: ignored (an LSTM's state does not grow).

        Returns:
            A list of `[h, c]` pairs, one per layer, each `[batch, hidden_dim]`.
        """
        zeros = ops.zeros((batch_size, self.hidden_dim), dtype=self.compute_dtype)
        return [[zeros, zeros] for _ in range(self.num_layers)]

    def decode_step(self, token_ids, cache, index):
        """Advances the recurrent state over new tokens.

        Args:
            token_ids: `[B, T]` int tensor.
            cache: the state from `init_cache` or a previous call.
            index: position of the first token (unused; part of the decoder
                interface).

        Returns:
            `(logits [B, T, V] float32, new state)`.
        """
        with _stateless(self.lstm_layers):
            return self(token_ids, initial_state=cache, return_state=True)

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "tie_embeddings": self.tie_embeddings,
            "init_scale": self.init_scale,
            "stateful": self.stateful,
            "tokenizer": serialize_tokenizer(self.tokenizer),
        }


@contextlib.contextmanager
def _stateless(layers):
    """Runs stateful LSTM layers as stateless ones: the state is passed in and out.

    Decoding carries its own state at its own batch size, and must neither
    check it against nor overwrite the state a stateful trainer keeps.
    """
    flags = [layer.stateful for layer in layers]
    for layer in layers:
        layer.stateful = False
    try:
        yield
    finally:
        for layer, flag in zip(layers, flags, strict=True):
            layer.stateful = flag

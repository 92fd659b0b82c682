"""The LSTM language model: the baseline lmzoo compares Transformers against."""

import contextlib

import keras

from lmzoo.data.preprocessors import CausalLMPreprocessor
from lmzoo.generation.mixin import GenerationMixin
from lmzoo.layers.heads import tied_logits
from lmzoo.models.inputs import check_positive_int, unpack_inputs
from lmzoo.models.task import Task, backbone_from, refuse_encoder_outputs


def _uniform(init_scale, default):
    if not init_scale:
        return default
    return keras.initializers.RandomUniform(-init_scale, init_scale)


@keras.saving.register_keras_serializable(package="lmzoo")
class LSTMBackbone(keras.Model):
    """Embedding -> stacked LSTM, with dropout between layers.

    Args:
        vocabulary_size: int. Number of token ids.
        embedding_dim: int. Defaults to `256`.
        hidden_dim: int. Units of every LSTM layer. Defaults to `256`.
        num_layers: int. Defaults to `2`.
        dropout: float. Dropout on the embedding and after each layer (Zaremba
            et al., 2014 style: not on the recurrent connections). Defaults to
            `0.0`.
        init_scale: optional float. When set, every weight and bias starts
            uniform in `[-init_scale, init_scale]` (Zaremba et al. use 0.1);
            otherwise Keras' defaults. Defaults to `None`.
        stateful: bool. Carry the LSTM state from one batch to the next
            (truncated BPTT over `lmzoo.data.stateful_streams`); the batch size
            is then fixed by the first call, and `reset_state()` clears the
            state. Defaults to `False`.
        **kwargs: other `keras.Model` arguments.

    Call arguments:
        inputs: token ids or a dict (`lmzoo.models.inputs`). At a padded step
            the state carries over unchanged, so left- and right-padded rows
            give at their real tokens what each row gives alone.
        initial_state: optional list of `[h, c]` pairs, one per layer.
        return_state: bool. Also return the final `[h, c]` per layer.
        training: bool.

    Returns:
        `[B, T, hidden_dim]` hidden states, and the states when `return_state`.

    Example:
    >>> backbone = LSTMBackbone(vocabulary_size=65, embedding_dim=8, hidden_dim=16)
    >>> backbone(keras.ops.ones((2, 5), "int32")).shape
    TensorShape([2, 5, 16])
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=256,
        hidden_dim=256,
        num_layers=2,
        dropout=0.0,
        init_scale=None,
        stateful=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in [
            ("vocabulary_size", vocabulary_size),
            ("embedding_dim", embedding_dim),
            ("hidden_dim", hidden_dim),
            ("num_layers", num_layers),
        ]:
            check_positive_int(name, value)
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.dropout = dropout
        self.init_scale = init_scale
        self.stateful = stateful
        self.embedding = keras.layers.Embedding(
            vocabulary_size,
            embedding_dim,
            embeddings_initializer=_uniform(init_scale, "uniform"),
            dtype=self.dtype_policy,
            name="embedding",
        )
        self.lstm_layers = [
            keras.layers.LSTM(
                hidden_dim,
                return_sequences=True,
                return_state=True,
                kernel_initializer=_uniform(init_scale, "glorot_uniform"),
                recurrent_initializer=_uniform(init_scale, "orthogonal"),
                bias_initializer=_uniform(init_scale, "zeros"),
                unit_forget_bias=not init_scale,
                stateful=stateful,
                dtype=self.dtype_policy,
                name=f"lstm_{index}",
            )
            for index in range(num_layers)
        ]
        self.dropout_layer = keras.layers.Dropout(dropout, dtype=self.dtype_policy)

    def call(self, inputs, initial_state=None, return_state=False, training=None):
        token_ids, padding_mask, _ = unpack_inputs(inputs, "LSTMLanguageModel")
        x = self.dropout_layer(self.embedding(token_ids), training=training)
        states = []
        for index, lstm in enumerate(self.lstm_layers):
            layer_state = None if initial_state is None else initial_state[index]
            x, hidden, carry = lstm(
                x, initial_state=layer_state, mask=padding_mask, training=training
            )
            x = self.dropout_layer(x, training=training)
            states.append([hidden, carry])
        return (x, states) if return_state else x

    def zero_state(self, batch_size):
        """A list of zero `[h, c]` pairs, one per layer, each `[batch, hidden_dim]`.

        Args:
            batch_size: int or scalar tensor.

        Returns:
            The state `call(initial_state=...)` takes.
        """
        zeros = keras.ops.zeros((batch_size, self.hidden_dim), self.compute_dtype)
        return [[zeros, zeros] for _ in range(self.num_layers)]

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "init_scale": self.init_scale,
            "stateful": self.stateful,
        }


@keras.saving.register_keras_serializable(package="lmzoo")
class LSTMLanguageModel(GenerationMixin, Task):
    """LSTM language model: an `LSTMBackbone` and a Dense (or tied) LM head.

    Args:
        vocabulary_size: int. The backbone's, when no `backbone` is given.
        embedding_dim: int. Likewise.
        hidden_dim: int. Likewise.
        backbone: optional `LSTMBackbone`.
        preprocessor: optional `CausalLMPreprocessor`.
        tokenizer: optional tokenizer, a shorthand for
            `preprocessor=CausalLMPreprocessor(tokenizer)`.
        tie_embeddings: bool. Use the transposed embedding as output layer;
            needs `embedding_dim == hidden_dim`. Defaults to `False`.
        name: optional str.
        trainable: bool. Defaults to `True`.
        **backbone_arguments: other `LSTMBackbone` arguments when no
            `backbone` is given.

    Call arguments:
        inputs: token ids or a dict (`lmzoo.models.inputs`).
        initial_state: optional list of `[h, c]` pairs, one per layer.
        return_state: bool. Also return the final `[h, c]` per layer.
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
        vocabulary_size=None,
        embedding_dim=None,
        hidden_dim=None,
        backbone=None,
        preprocessor=None,
        tokenizer=None,
        tie_embeddings=False,
        name=None,
        trainable=True,
        **backbone_arguments,
    ):
        positional = {
            "vocabulary_size": vocabulary_size,
            "embedding_dim": embedding_dim,
            "hidden_dim": hidden_dim,
        }
        backbone_arguments |= {k: v for k, v in positional.items() if v is not None}
        backbone = backbone_from(LSTMBackbone, backbone, backbone_arguments)
        if tie_embeddings and backbone.embedding_dim != backbone.hidden_dim:
            raise ValueError(
                "tie_embeddings=True needs embedding_dim == hidden_dim, got "
                f"{backbone.embedding_dim} and {backbone.hidden_dim}."
            )
        if tokenizer is not None and preprocessor is None:
            preprocessor = CausalLMPreprocessor(tokenizer)
        super().__init__(backbone, preprocessor, name=name, trainable=trainable)
        self.tie_embeddings = tie_embeddings
        self.output_dense = None
        if not tie_embeddings:
            self.output_dense = keras.layers.Dense(
                backbone.vocabulary_size,
                kernel_initializer=_uniform(backbone.init_scale, "glorot_uniform"),
                bias_initializer=_uniform(backbone.init_scale, "zeros"),
                dtype=self.dtype_policy,
                name="logits",
            )

    max_sequence_length = None  # a recurrent model has no longest input

    @property
    def vocabulary_size(self):
        """Number of token ids (the backbone's)."""
        return self.backbone.vocabulary_size

    @property
    def stateful(self):
        """Whether the backbone carries its state from batch to batch."""
        return self.backbone.stateful

    @property
    def carried_state(self):
        """The state variables of a stateful model (empty until it is built)."""
        return [
            variable
            for lstm in self.backbone.lstm_layers
            for variable in (lstm.states or [])
        ]

    def call(self, inputs, initial_state=None, return_state=False, training=None):
        hidden, states = self.backbone(
            inputs, initial_state=initial_state, return_state=True, training=training
        )
        if self.tie_embeddings:
            logits = tied_logits(hidden, self.backbone.embedding.embeddings)
        else:
            logits = keras.ops.cast(self.output_dense(hidden), "float32")
        return (logits, states) if return_state else logits

    def logits_from_zero_state(self, inputs):
        """Logits from a zero state, neither reading nor changing the carried one.

        What a server needs from a stateful model: every request stands alone,
        at any batch size.

        Args:
            inputs: token ids or a dict (`lmzoo.models.inputs`).

        Returns:
            `[B, T, vocabulary_size]` float32 logits.

        Example:
        >>> model = LSTMLanguageModel(20, 8, 8, stateful=True)
        >>> model.logits_from_zero_state(keras.ops.ones((3, 4), "int32")).shape
        TensorShape([3, 4, 20])
        """
        token_ids, _, _ = unpack_inputs(inputs, "LSTMLanguageModel")
        batch_size = keras.ops.shape(token_ids)[0]
        with _stateless(self.backbone.lstm_layers):
            return self(inputs, initial_state=self.backbone.zero_state(batch_size))

    def reset_state(self):
        """Zeroes the carried state of a `stateful` model (new epoch or split)."""
        for lstm in self.backbone.lstm_layers:
            lstm.reset_state()

    def init_cache(
        self,
        batch_size,
        max_length=None,
        encoder_outputs=None,
        encoder_padding_mask=None,
    ):
        """The generation hook: the zero state, the LSTM's whole cache.

        Args:
            batch_size: int.
            max_length: unused (an LSTM's state does not grow).
            encoder_outputs: must be `None`.
            encoder_padding_mask: must be `None`.

        Returns:
            A list of `[h, c]` pairs, one per layer, each `[batch, hidden_dim]`.
        """
        refuse_encoder_outputs(encoder_outputs, encoder_padding_mask)
        return self.backbone.zero_state(batch_size)

    def decode_step(self, token_ids, cache, cache_update_index):
        """The generation hook: advances the recurrent state over new tokens.

        Args:
            token_ids: `[B, T]` int tensor.
            cache: the state from `init_cache` or a previous call.
            cache_update_index: unused (the state knows where it is).

        Returns:
            `(logits [B, T, V] float32, new state)`.
        """
        with _stateless(self.backbone.lstm_layers):
            return self(token_ids, initial_state=cache, return_state=True)

    def get_config(self):
        return super().get_config() | {"tie_embeddings": self.tie_embeddings}


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

"""BERT (Devlin et al., 2019): a bidirectional post-LN encoder, the backbone of
every BERT task."""

import keras
from keras import ops

from lmzoo.interop import huggingface
from lmzoo.layers import TransformerEncoderBlock
from lmzoo.models.inputs import check_positive_int, unpack_inputs


@keras.saving.register_keras_serializable(package="lmzoo")
class BertBackbone(keras.Model):
    """Token, segment and position embeddings, post-LN encoder blocks, a pooler.

    Args:
        vocabulary_size: int. Number of WordPiece ids.
        num_layers: int. Encoder blocks. Defaults to `2`.
        num_heads: int. Attention heads per block. Defaults to `2`.
        hidden_dim: int. Model width. Defaults to `128`.
        intermediate_dim: int. Feed-forward width. Defaults to `4 * hidden_dim`.
        max_sequence_length: int. Size of the position table. Defaults to `512`.
        num_segments: int. Size of the segment table. Defaults to `2`.
        dropout: float. Defaults to `0.1`.
        layer_norm_epsilon: float. Defaults to `1e-12`, as in the original.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: token ids or a dict (`lmzoo.models.inputs`) with optional
            `padding_mask` and `segment_ids` (zeros when absent).
        training: bool.

    Returns:
        A dict: `"sequence_output"` `[B, T, hidden_dim]` and
        `"pooled_output"` `[B, hidden_dim]` (tanh of a dense layer on the
        first token, `[CLS]`).

    Example:
    >>> backbone = BertBackbone(vocabulary_size=100, hidden_dim=16)
    >>> outputs = backbone(keras.ops.ones((2, 8), "int32"))
    >>> outputs["sequence_output"].shape, outputs["pooled_output"].shape
    (TensorShape([2, 8, 16]), TensorShape([2, 16]))
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers=2,
        num_heads=2,
        hidden_dim=128,
        intermediate_dim=None,
        max_sequence_length=512,
        num_segments=2,
        dropout=0.1,
        layer_norm_epsilon=1e-12,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in [
            ("vocabulary_size", vocabulary_size),
            ("num_layers", num_layers),
            ("num_heads", num_heads),
            ("hidden_dim", hidden_dim),
            ("max_sequence_length", max_sequence_length),
            ("num_segments", num_segments),
        ]:
            check_positive_int(name, value)
        if hidden_dim % num_heads:
            raise ValueError(
                f"num_heads={num_heads} does not divide hidden_dim={hidden_dim}."
            )
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim or 4 * hidden_dim
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        initializer = keras.initializers.TruncatedNormal(stddev=0.02)

        def embedding(size, name):
            return keras.layers.Embedding(
                size,
                hidden_dim,
                embeddings_initializer=initializer,
                dtype=self.dtype_policy,
                name=name,
            )

        self.token_embedding = embedding(vocabulary_size, "token_embedding")
        self.segment_embedding = embedding(num_segments, "segment_embedding")
        self.position_embedding = embedding(max_sequence_length, "position_embedding")
        self.embedding_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=self.dtype_policy, name="embedding_norm"
        )
        self.embedding_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.blocks = [
            TransformerEncoderBlock(
                num_heads,
                self.intermediate_dim,
                dropout=dropout,
                activation="gelu",
                layer_norm_epsilon=layer_norm_epsilon,
                normalize_first=False,
                kernel_initializer=initializer,
                dtype=self.dtype_policy,
                name=f"block_{index}",
            )
            for index in range(num_layers)
        ]
        self.pooler = keras.layers.Dense(
            hidden_dim,
            activation="tanh",
            kernel_initializer=initializer,
            dtype=self.dtype_policy,
            name="pooler",
        )

    def call(self, inputs, training=None):
        token_ids, padding_mask, segment_ids = unpack_inputs(
            inputs, "BertBackbone", segments=True
        )
        length = ops.shape(token_ids)[-1]
        if isinstance(length, int) and length > self.max_sequence_length:
            raise ValueError(
                f"Input has {length} tokens but this BERT's max_sequence_length is "
                f"{self.max_sequence_length}."
            )
        if segment_ids is None:
            segment_ids = ops.zeros_like(token_ids)
        x = (
            self.token_embedding(token_ids)
            + self.segment_embedding(segment_ids)
            + self.position_embedding(ops.arange(length))
        )  # (B, T, C)
        x = self.embedding_dropout(self.embedding_layer_norm(x), training=training)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        return {"sequence_output": x, "pooled_output": self.pooler(x[:, 0])}

    @classmethod
    def from_huggingface(cls, path, **kwargs):
        """Builds a backbone holding a Hugging Face BERT checkpoint's weights.

        Reads `config.json` and `model.safetensors` (no PyTorch). Every
        tensor is used: a missing, unknown or mis-shaped one is an error that
        names it. Pre-training head tensors (`cls.*`) are left aside; load
        them with `BertPretrainer.from_huggingface`.

        Args:
            path: a folder written by `save_pretrained`.
            **kwargs: other constructor arguments (`dtype`, `dropout`, `name`).

        Returns:
            A built `BertBackbone`.

        Example:
        >>> backbone = BertBackbone.from_huggingface("tests/fixtures/hf_tiny_bert")
        >>> backbone.num_layers, backbone.hidden_dim, backbone.vocabulary_size
        (2, 32, 101)
        """
        config, tensors = huggingface.read_checkpoint(path, "bert")
        return cls.from_tensors(config, tensors, **kwargs)

    @classmethod
    def from_tensors(cls, config, tensors, **kwargs):
        """A built `BertBackbone` from a checkpoint already read.

        Every encoder tensor is checked and assigned; head tensors (pooler
        aside) are left for the task that reads them.

        Args:
            config: dict, the checkpoint's `config.json`.
            tensors: dict of name -> array (`huggingface.read_checkpoint`).
            **kwargs: other constructor arguments (`dtype`, `dropout`).

        Returns:
            A built `BertBackbone`.

        Example:
        >>> config, tensors = huggingface.read_checkpoint(
        ...     "tests/fixtures/hf_tiny_bert", "bert")
        >>> BertBackbone.from_tensors(config, tensors).num_heads
        4
        """
        backbone = cls(**huggingface.bert_arguments(config), **kwargs)
        backbone(ops.zeros((1, 1), "int32"))
        huggingface.assign(
            huggingface.bert_targets(backbone),
            tensors,
            "bert",
            unused=huggingface.bert_head_names(tensors),
        )
        return backbone

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "max_sequence_length": self.max_sequence_length,
            "num_segments": self.num_segments,
            "dropout": self.dropout,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }

"""Sentence embeddings: a BERT backbone, mean pooling over real tokens, L2 norm."""

import json
import pathlib

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from lmzoo.data.batching import sorted_batches
from lmzoo.models.bert import BertBackbone
from lmzoo.models.task import Task, backbone_from
from lmzoo.training.xla import default_jit_compile


@keras.saving.register_keras_serializable(package="lmzoo")
class SentenceEncoder(Task):
    """Strings in, normalised sentence embeddings out (sentence-transformers' way).

    The embedding is the mean of the backbone's sequence output over the
    real tokens (padding excluded), divided by its L2 norm. `encode` sorts
    sentences by length, pads each batch only to its longest sentence
    rounded up to a multiple of `bucket`, runs one compiled program per
    padded shape (XLA in float32; oneDNN's bfloat16 kernels under
    `mixed_bfloat16`, see `lmzoo.training.default_jit_compile`) and returns
    the embeddings in the input order, so a batch of short sentences does not
    pay for the longest one.

    Args:
        backbone: optional `BertBackbone` (else built from its arguments).
        preprocessor: optional `BertPreprocessor` (needed for strings).
        normalize: bool. Divide by the L2 norm. Defaults to `True`.
        name: optional str.
        trainable: bool.
        **backbone_arguments: `BertBackbone` arguments when no backbone is
            given.

    Call arguments:
        inputs: a dict with `token_ids`, `padding_mask` and optional
            `segment_ids` (`lmzoo.models.inputs`).

    Returns:
        `[B, hidden_dim]` float32 embeddings.

    Example:
    >>> encoder = SentenceEncoder(vocabulary_size=20, hidden_dim=8, num_heads=2)
    >>> ids = keras.ops.ones((2, 5), "int32")
    >>> embeddings = encoder({"token_ids": ids, "padding_mask": ids > 0})
    >>> embeddings.shape, round(float(keras.ops.norm(embeddings[0])), 5)
    (TensorShape([2, 8]), 1.0)
    """

    prefers_jit_compile = True

    def __init__(
        self,
        backbone=None,
        preprocessor=None,
        normalize=True,
        name=None,
        trainable=True,
        **backbone_arguments,
    ):
        backbone = backbone_from(BertBackbone, backbone, backbone_arguments)
        super().__init__(backbone, preprocessor, name=name, trainable=trainable)
        self.normalize = normalize
        self._compiled_encode = None

    @classmethod
    def from_huggingface(cls, path, sequence_length=None, dtype=None):
        """A sentence-transformers (or plain BERT) folder as a `SentenceEncoder`.

        Reads the BERT checkpoint (`BertBackbone.from_huggingface`), its
        `vocab.txt`, `max_seq_length` from `sentence_bert_config.json`, the
        pooling from `1_Pooling/config.json` (mean only) and whether
        `modules.json` normalises.

        Args:
            path: the folder, such as all-MiniLM-L6-v2's.
            sequence_length: int. Longest input; defaults to the folder's
                `max_seq_length`, else 128.
            dtype: optional dtype policy (`"mixed_bfloat16"`).

        Returns:
            A built `SentenceEncoder`.

        Raises:
            ValueError: a pooling other than the mean of the tokens.

        Example:
        >>> encoder = SentenceEncoder.from_huggingface(
        ...     "tests/fixtures/hf_tiny_bert")
        >>> encoder.backbone.hidden_dim, encoder.normalize
        (32, True)
        """
        from lmzoo.data.preprocessors import BertPreprocessor

        path = pathlib.Path(path)
        pooling = _read_json(path / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens"):
            modes = sorted(key for key, value in pooling.items() if value is True)
            raise ValueError(
                f"{path / '1_Pooling' / 'config.json'} pools with {modes}; "
                "SentenceEncoder pools by the mean of the tokens."
            )
        modules = _read_json(path / "modules.json") or []
        normalize = not modules or any(
            module.get("type", "").endswith("Normalize") for module in modules
        )
        sequence_length = sequence_length or (
            _read_json(path / "sentence_bert_config.json") or {}
        ).get("max_seq_length", 128)
        backbone = BertBackbone.from_huggingface(
            path, **({} if dtype is None else {"dtype": dtype})
        )
        preprocessor = None
        if (path / "vocab.txt").is_file():
            preprocessor = BertPreprocessor.from_huggingface(path, sequence_length)
        return cls(backbone, preprocessor, normalize=normalize)

    def call(self, inputs, training=None):
        hidden = self.backbone(inputs, training=training)["sequence_output"]
        hidden = ops.cast(hidden, "float32")
        if isinstance(inputs, dict) and inputs.get("padding_mask") is not None:
            weights = ops.cast(inputs["padding_mask"], "float32")[..., None]
        else:
            weights = ops.ones_like(hidden[..., :1])
        pooled = ops.sum(hidden * weights, axis=1) / ops.maximum(
            ops.sum(weights, axis=1), 1.0
        )
        if not self.normalize:
            return pooled
        return pooled / ops.maximum(ops.norm(pooled, axis=-1, keepdims=True), 1e-12)

    def encode(self, sentences, batch_size=32, bucket=16):
        """Embeds sentences, batched by length.

        Args:
            sentences: a list (or array) of strings.
            batch_size: int. Sentences per batch. Defaults to `32`.
            bucket: int. Each batch is padded to its longest sentence rounded
                up to a multiple of this. Defaults to `16`.

        Returns:
            `[len(sentences), hidden_dim]` float32 NumPy array, in input order.

        Raises:
            ValueError: the encoder has no preprocessor, or `sentences` is a
                single string.

        Example:
        >>> from lmzoo.data import BertPreprocessor, WordPieceTokenizer
        >>> tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])
        >>> encoder = SentenceEncoder(
        ...     BertBackbone(5, hidden_dim=8, num_heads=2),
        ...     BertPreprocessor(tokenizer, sequence_length=16))
        >>> encoder.encode(["a a", "a", "a a a a"]).shape
        (3, 8)
        """
        embeddings = np.zeros((len(sentences), self.backbone.hidden_dim), "float32")
        for rows, batch in self.batches(sentences, batch_size, bucket):
            embeddings[rows] = self._encode_batch(batch).numpy()[: len(rows)]
        return embeddings

    def batches(self, sentences, batch_size=32, bucket=16):
        """The batches `encode` runs: sorted by length, padded to buckets.

        Sentences are packed once, sorted longest first, cut into batches of
        `batch_size`, and each batch is cut to its longest sentence rounded
        up to a multiple of `bucket`; a short last batch is padded with empty
        rows to `batch_size`, so that it has a shape seen before.

        Args:
            sentences: a list (or array) of strings.
            batch_size: int.
            bucket: int.

        Yields:
            `(rows, features)`: the indices of the batch's sentences in
            `sentences`, and a dict of `[batch_size, width]` NumPy arrays.

        Raises:
            ValueError: the encoder has no preprocessor, or `sentences` is a
                single string.
        """
        if self.preprocessor is None:
            raise ValueError(
                "This SentenceEncoder has no preprocessor: give it a "
                "BertPreprocessor, or call it on token ids."
            )
        if isinstance(sentences, str):
            raise ValueError("encode takes a list of strings, not one string.")
        if not len(sentences):
            return
        packed = self.preprocessor(tf.constant(list(sentences), tf.string))
        packed = {key: value.numpy() for key, value in packed.items()}
        yield from sorted_batches(packed, batch_size, bucket, fill_last=True)

    def _encode_batch(self, batch):
        if self._compiled_encode is None:
            # One trace; XLA compiles once per padded shape and keeps each.
            spec = {
                key: tf.TensorSpec([None, None], value.dtype)
                for key, value in batch.items()
            }
            self._compiled_encode = tf.function(
                lambda features: self(features, training=False),
                input_signature=[spec],
                jit_compile=default_jit_compile(self),
            )
        return self._compiled_encode(batch)

    def get_config(self):
        return super().get_config() | {"normalize": self.normalize}


def _read_json(path):
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))

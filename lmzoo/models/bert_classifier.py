"""Sentence (pair) classification and word tagging over a `BertBackbone`."""

import keras
import numpy as np
from keras import ops

from lmzoo.data.tokenizers.word_packing import pack_words
from lmzoo.models.bert_task import BertTask
from lmzoo.models.inputs import check_positive_int
from lmzoo.models.task import is_text


def _is_pair_of_texts(x):
    return isinstance(x, tuple) and len(x) == 2 and is_text(x[0])


@keras.saving.register_keras_serializable(package="lmzoo")
class BertClassifier(BertTask):
    """Sentence (or sentence-pair) classification from the pooled `[CLS]` output.

    Called on token ids it returns logits, as `predict` does on ids; with a
    preprocessor, `predict` on raw strings returns the labels themselves.

    Args:
        backbone: optional `BertBackbone` (else built from `**backbone_arguments`).
        num_classes: int. Defaults to `2`.
        dropout: float. Before the output layer. Defaults to `0.1`.
        label_names: optional list of `num_classes` names that `predict`
            returns for strings (else class ids).
        **kwargs: `preprocessor`, `name`, `trainable`, or backbone arguments.

    Returns:
        `[B, num_classes]` float32 logits.

    Example:
    >>> model = BertClassifier(vocabulary_size=100, hidden_dim=16, num_classes=3)
    >>> model(keras.ops.ones((2, 8), "int32")).shape
    TensorShape([2, 3])
    """

    def __init__(
        self, backbone=None, num_classes=2, dropout=0.1, label_names=None, **kwargs
    ):
        super().__init__(backbone, **kwargs)
        check_positive_int("num_classes", num_classes)
        if label_names is not None and len(label_names) != num_classes:
            raise ValueError(
                f"label_names has {len(label_names)} names for {num_classes} classes."
            )
        self.num_classes = num_classes
        self.dropout = dropout
        self.label_names = None if label_names is None else list(label_names)
        self.output_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.output_dense = self._dense(num_classes, "logits")

    def call(self, inputs, training=None):
        pooled = self.backbone(inputs, training=training)["pooled_output"]
        logits = self.output_dense(self.output_dropout(pooled, training=training))
        return ops.cast(logits, "float32")

    def _names(self, ids):
        if self.label_names is None:
            return ids
        return [self.label_names[i] for i in ids]

    def predict(self, x, batch_size=None, **kwargs):
        """Labels for raw strings (or pairs of them); logits for token ids.

        Args:
            x: a list or array of strings, a tuple of two such lists (sentence
                pairs), or what `keras.Model.predict` takes.
            batch_size: optional int.
            **kwargs: `keras.Model.predict` arguments.

        Returns:
            For strings, a NumPy array of labels (`label_names`, else ids);
            otherwise `[N, num_classes]` logits.
        """
        if not (_is_pair_of_texts(x) or is_text(x)):
            return super().predict(x, batch_size=batch_size, **kwargs)
        probabilities = self.predict_probabilities(x, batch_size)
        return np.asarray(self._names(probabilities.argmax(-1).tolist()))

    def predict_probabilities(self, x, batch_size=None):
        """Class probabilities for raw strings (or pairs of them).

        Args:
            x: a list or array of strings, or a tuple of two such lists.
            batch_size: optional int. Defaults to 32.

        Returns:
            `[N, num_classes]` float32 NumPy array whose rows sum to 1.

        Example:
        >>> from lmzoo.data import BertPreprocessor, WordPieceTokenizer
        >>> tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "ok"])
        >>> model = BertClassifier(
        ...     vocabulary_size=5, hidden_dim=8, num_heads=2, num_layers=1,
        ...     preprocessor=BertPreprocessor(tokenizer, sequence_length=8))
        >>> model.predict_probabilities(["ok", "ok ok"]).sum(-1).round(4)
        array([1., 1.], dtype=float32)
        """
        self._require_preprocessor()
        pair = _is_pair_of_texts(x)
        texts = tuple(np.asarray(part, object) for part in x) if pair else np.asarray(x)
        features = {k: v.numpy() for k, v in self.preprocessor(texts).items()}
        logits = self._predict_packed(features, batch_size)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits, -1))

    def get_config(self):
        return super().get_config() | {
            "num_classes": self.num_classes,
            "dropout": self.dropout,
            "label_names": self.label_names,
        }


@keras.saving.register_keras_serializable(package="lmzoo")
class BertTokenClassifier(BertClassifier):
    """A label per token (named entities) from the sequence output.

    Trained on word pieces whose words' labels sit on their first piece
    (`lmzoo.data.pack_words`); `predict` on raw strings splits them at
    whitespace and returns one label per word, read at its first piece.

    Args:
        backbone: optional `BertBackbone`.
        num_classes: int. Defaults to `2`.
        dropout: float. Defaults to `0.1`.
        label_names: optional list of tag names (`"O"`, `"B-PER"`, ...).
        **kwargs: `preprocessor`, `name`, `trainable`, or backbone arguments.

    Returns:
        `[B, T, num_classes]` float32 logits.

    Example:
    >>> model = BertTokenClassifier(vocabulary_size=100, hidden_dim=16, num_classes=9)
    >>> model(keras.ops.ones((2, 8), "int32")).shape
    TensorShape([2, 8, 9])
    """

    def call(self, inputs, training=None):
        hidden = self.backbone(inputs, training=training)["sequence_output"]
        logits = self.output_dense(self.output_dropout(hidden, training=training))
        return ops.cast(logits, "float32")

    def predict_words(self, sentences, batch_size=None):
        """Label ids per word for sentences already split into words.

        A word cut off by the preprocessor's `sequence_length` gets label 0.

        Args:
            sentences: a list of rows, each a list of words.
            batch_size: optional int.

        Returns:
            A list of lists of int label ids, one per word.
        """
        self._require_preprocessor()
        packed = pack_words(
            self.tokenizer, sentences, self.preprocessor.sequence_length
        )
        logits = self._predict_packed(packed.features, batch_size, per_position=True)
        labels = []
        for row, first in enumerate(packed.first_piece):
            ids = logits[row, np.maximum(first, 0)].argmax(-1)
            labels.append(np.where(first >= 0, ids, 0).tolist())
        return labels

    def predict(self, x, batch_size=None, **kwargs):
        """Labels per whitespace word for raw strings; logits for token ids.

        Args:
            x: a list or array of strings, or what `keras.Model.predict` takes.
            batch_size: optional int.
            **kwargs: `keras.Model.predict` arguments.

        Returns:
            For strings, a list with a list of labels (`label_names`, else
            ids) per string, one per whitespace-separated word; otherwise
            `[N, T, num_classes]` logits.
        """
        if not is_text(x):
            return super(BertClassifier, self).predict(
                x, batch_size=batch_size, **kwargs
            )
        words = [str(text).split() for text in x]
        return [self._names(ids) for ids in self.predict_words(words, batch_size)]

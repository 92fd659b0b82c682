"""BERT (Devlin et al., 2019): a bidirectional post-LN encoder and its task heads."""

import pathlib

import keras
import numpy as np
from keras import ops

from lmzoo.data.batching import sorted_batches
from lmzoo.data.word_pieces import pack_words
from lmzoo.interop import huggingface
from lmzoo.layers import TransformerEncoderBlock
from lmzoo.layers.heads import MaskedLMHead
from lmzoo.models.inputs import check_positive_int, unpack_inputs
from lmzoo.models.task import Task, backbone_from, is_text


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
        return _backbone_from_checkpoint(cls, config, tensors, kwargs)

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


def _backbone_from_checkpoint(backbone_class, config, tensors, kwargs):
    backbone = backbone_class(**huggingface.bert_arguments(config), **kwargs)
    backbone(ops.zeros((1, 1), "int32"))
    huggingface.assign(
        huggingface.bert_targets(backbone),
        tensors,
        "bert",
        unused=huggingface.bert_head_names(tensors),
    )
    return backbone


class _BertTask(Task):
    """A task over a `BertBackbone`: built from one, or from its arguments."""

    prefers_jit_compile = True

    def __init__(
        self,
        backbone=None,
        preprocessor=None,
        name=None,
        trainable=True,
        **backbone_arguments,
    ):
        backbone = backbone_from(BertBackbone, backbone, backbone_arguments)
        super().__init__(backbone, preprocessor, name=name, trainable=trainable)

    @classmethod
    def from_huggingface(cls, path, sequence_length=128, dtype=None, **kwargs):
        """This task over a Hugging Face BERT checkpoint's backbone.

        The backbone's weights come from the checkpoint
        (`BertBackbone.from_huggingface`); the task's own head starts new.
        With a `vocab.txt` in the folder, the task also gets a
        `BertPreprocessor`, so it takes strings.

        Args:
            path: a folder written by `save_pretrained`.
            sequence_length: int. The preprocessor's packed length.
            dtype: optional dtype policy (`"mixed_bfloat16"`).
            **kwargs: the task's own arguments (`num_classes`, `name`).

        Returns:
            The task model, built.

        Example:
        >>> model = BertClassifier.from_huggingface(
        ...     "tests/fixtures/hf_tiny_bert", num_classes=3)
        >>> model(keras.ops.ones((1, 4), "int32")).shape
        TensorShape([1, 3])
        """
        from lmzoo.data.preprocessors import BertPreprocessor

        config, tensors = huggingface.read_checkpoint(path, "bert")
        backbone_kwargs = {} if dtype is None else {"dtype": dtype}
        backbone = _backbone_from_checkpoint(
            BertBackbone, config, tensors, backbone_kwargs
        )
        preprocessor = None
        if (pathlib.Path(path) / "vocab.txt").is_file():
            preprocessor = BertPreprocessor.from_huggingface(path, sequence_length)
        model = cls(backbone=backbone, preprocessor=preprocessor, **kwargs)
        model(ops.zeros((1, 1), "int32"))
        model._load_head_weights(tensors)
        return model

    def _load_head_weights(self, tensors):
        """Takes the checkpoint's weights for this task's head, if it has any."""

    def _predict_packed(self, features, batch_size=None, per_position=False):
        """Outputs for packed rows, run longest first, returned in row order.

        Per-position outputs are padded back to the rows' full width.
        """
        count, width = features["padding_mask"].shape
        outputs = {}
        for rows, batch in sorted_batches(features, batch_size or 32):
            result = self.predict_on_batch(batch)
            for key, value in (
                result if isinstance(result, dict) else {"": result}
            ).items():
                if key not in outputs:
                    shape = value.shape[2:] if per_position else value.shape[1:]
                    outputs[key] = np.zeros(
                        (count, *([width] if per_position else []), *shape), "float32"
                    )
                if per_position:
                    outputs[key][rows, : value.shape[1]] = value
                else:
                    outputs[key][rows] = value
        return outputs.get("", outputs)

    def _require_preprocessor(self):
        if self.preprocessor is None:
            raise ValueError(
                f"This {type(self).__name__} has no preprocessor: give it a "
                "BertPreprocessor to predict from strings."
            )

    def _dense(self, units, name, activation=None):
        return keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype=self.dtype_policy,
            name=name,
        )


def _is_pair_of_texts(x):
    return isinstance(x, tuple) and len(x) == 2 and is_text(x[0])


@keras.saving.register_keras_serializable(package="lmzoo")
class BertClassifier(_BertTask):
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


@keras.saving.register_keras_serializable(package="lmzoo")
class BertSpanQA(_BertTask):
    """Extractive question answering: start and end logits per token.

    Packed as `[CLS] question [SEP] context [SEP]`; trained on the first
    piece of the answer's first word and the last piece of its last word
    (`lmzoo.data.pack_words`). `predict` on `(questions, contexts)` strings
    returns the answer text: the span of context words with the best
    start + end score.

    Args:
        backbone: optional `BertBackbone`.
        max_answer_words: int. Longest answer `predict` returns. Defaults to `30`.
        **kwargs: `preprocessor`, `name`, `trainable`, or backbone arguments.

    Returns:
        A dict of `"start_logits"` and `"end_logits"`, each `[B, T]` float32.

    Example:
    >>> model = BertSpanQA(vocabulary_size=100, hidden_dim=16)
    >>> model(keras.ops.ones((2, 8), "int32"))["end_logits"].shape
    TensorShape([2, 8])
    """

    def __init__(self, backbone=None, max_answer_words=30, **kwargs):
        super().__init__(backbone, **kwargs)
        check_positive_int("max_answer_words", max_answer_words)
        self.max_answer_words = max_answer_words
        self.span_dense = self._dense(2, "span_logits")

    def call(self, inputs, training=None):
        hidden = self.backbone(inputs, training=training)["sequence_output"]
        start, end = ops.unstack(ops.cast(self.span_dense(hidden), "float32"), axis=-1)
        return {"start_logits": start, "end_logits": end}

    def predict_spans(self, questions, contexts, batch_size=None):
        """The best answer span of each context, in words.

        Args:
            questions: a list of strings.
            contexts: a list of rows, each the context's words.
            batch_size: optional int.

        Returns:
            A list of `(start_word, end_word)` pairs (inclusive); `(-1, -1)`
            where no context word fits the preprocessor's `sequence_length`.
        """
        self._require_preprocessor()
        packed = pack_words(
            self.tokenizer,
            contexts,
            self.preprocessor.sequence_length,
            questions=list(questions),
        )
        logits = self._predict_packed(packed.features, batch_size, per_position=True)
        spans = []
        for row, (first, last) in enumerate(
            zip(packed.first_piece, packed.last_piece, strict=True)
        ):
            kept = np.flatnonzero(first >= 0)
            if not len(kept):
                spans.append((-1, -1))
                continue
            start = logits["start_logits"][row, first[kept]]
            end = logits["end_logits"][row, last[kept]]
            scores = start[:, None] + end[None, :]
            gap = kept[None, :] - kept[:, None]
            scores[(gap < 0) | (gap >= self.max_answer_words)] = -np.inf
            i, j = np.unravel_index(np.argmax(scores), scores.shape)
            spans.append((int(kept[i]), int(kept[j])))
        return spans

    def predict(self, x, batch_size=None, **kwargs):
        """Answer texts for `(questions, contexts)` strings; logits for token ids.

        Args:
            x: a tuple `(questions, contexts)` of two lists of strings, or
                what `keras.Model.predict` takes.
            batch_size: optional int.
            **kwargs: `keras.Model.predict` arguments.

        Returns:
            For strings, a list of answers (context words joined by spaces);
            otherwise the dict of logits.
        """
        if not (isinstance(x, tuple) and len(x) == 2 and is_text(x[0])):
            return super().predict(x, batch_size=batch_size, **kwargs)
        questions, contexts = x
        words = [str(context).split() for context in contexts]
        spans = self.predict_spans(list(questions), words, batch_size)
        return [
            " ".join(row[start : end + 1]) if start >= 0 else ""
            for row, (start, end) in zip(words, spans, strict=True)
        ]

    def get_config(self):
        return super().get_config() | {"max_answer_words": self.max_answer_words}


@keras.saving.register_keras_serializable(package="lmzoo")
class BertPretrainer(_BertTask):
    """Masked-LM logits (head tied to the token embedding) and next-sentence logits.

    Args:
        backbone: optional `BertBackbone`.
        **kwargs: `preprocessor`, `name`, `trainable`, or backbone arguments.

    Returns:
        A dict: `"mlm_logits"` `[B, T, vocabulary_size]` and `"nsp_logits"`
        `[B, 2]`, float32.

    Example:
    >>> model = BertPretrainer(vocabulary_size=100, hidden_dim=16)
    >>> outputs = model(keras.ops.ones((2, 8), "int32"))
    >>> outputs["mlm_logits"].shape, outputs["nsp_logits"].shape
    (TensorShape([2, 8, 100]), TensorShape([2, 2]))
    """

    def __init__(self, backbone=None, **kwargs):
        super().__init__(backbone, **kwargs)
        self.masked_lm_head = MaskedLMHead(
            self.backbone.vocabulary_size,
            layer_norm_epsilon=self.backbone.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="masked_lm_head",
        )
        self.next_sentence_dense = self._dense(2, "next_sentence_logits")

    def _load_head_weights(self, tensors):
        """Copies the masked-LM head, and the next-sentence head if present.

        Raises:
            ValueError: the checkpoint has no masked-LM head (a `BertModel`).
        """
        heads = {name: tensors[name] for name in huggingface.bert_head_names(tensors)}
        if "cls.predictions.bias" not in heads:
            raise ValueError(
                "This checkpoint has no masked-LM head (cls.predictions.*); load "
                "its backbone with BertBackbone.from_huggingface."
            )
        next_sentence = (
            self.next_sentence_dense if "cls.seq_relationship.weight" in heads else None
        )
        huggingface.assign(
            huggingface.bert_pretraining_targets(self.masked_lm_head, next_sentence),
            heads,
            "bert",
        )

    def call(self, inputs, training=None):
        outputs = self.backbone(inputs, training=training)
        embeddings = self.backbone.token_embedding.embeddings
        return {
            "mlm_logits": self.masked_lm_head(outputs["sequence_output"], embeddings),
            "nsp_logits": ops.cast(
                self.next_sentence_dense(outputs["pooled_output"]), "float32"
            ),
        }

"""Span answers (SQuAD) over a `BertBackbone`."""

import keras
import numpy as np
from keras import ops

from lmzoo.data.tokenizers.word_packing import pack_words
from lmzoo.models.bert_task import BertTask
from lmzoo.models.inputs import check_positive_int
from lmzoo.models.task import is_text


@keras.saving.register_keras_serializable(package="lmzoo")
class BertSpanQA(BertTask):
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

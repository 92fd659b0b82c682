"""BERT inputs from text already split into words, with each word's piece positions.

Tagging and span answering label words, but BERT reads word pieces: a
word's label goes on its first piece (the other pieces are ignored by the
loss), and a prediction is read back at the same position.
"""

import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass
class WordPacking:
    """Packed rows and where each word landed.

    Attributes:
        features: dict of `"token_ids"`, `"padding_mask"`, `"segment_ids"`,
            each a `[N, sequence_length]` NumPy array.
        labels: `[N, sequence_length]` int32: a word's label on its first
            piece, 0 elsewhere.
        sample_weight: `[N, sequence_length]` float32: 1 on labelled first
            pieces, 0 elsewhere (other pieces, specials, padding).
        first_piece: per row, an int array: each word's first piece position,
            -1 for a word that was cut off or has no pieces.
        last_piece: per row, each word's last piece position (-1 likewise).
    """

    features: dict
    labels: np.ndarray
    sample_weight: np.ndarray
    first_piece: list
    last_piece: list


def _pieces(tokenizer, texts):
    """Word pieces of each text, as a list of int arrays (one TF call)."""
    if not texts:
        return []
    ragged = tokenizer(tf.constant(texts, tf.string))
    flat, splits = ragged.flat_values.numpy(), ragged.row_splits.numpy()
    return [flat[start:end] for start, end in zip(splits[:-1], splits[1:], strict=True)]


def pack_words(tokenizer, sentences, sequence_length, labels=None, questions=None):
    """Packs words as `[CLS] words [SEP]` or `[CLS] question [SEP] words [SEP]`.

    Args:
        tokenizer: a `WordPieceTokenizer`.
        sentences: a list of rows, each a list of words.
        sequence_length: int. Rows are cut (the words' end) and padded to it.
        labels: optional list of per-word label lists (same shape as
            `sentences`).
        questions: optional list of strings, one per row, packed first as
            segment 0 (at most half of the room); the words are segment 1.

    Returns:
        A `WordPacking`.

    Raises:
        ValueError: `labels` or `questions` do not match `sentences` in length.

    Example:
    >>> from lmzoo.data import WordPieceTokenizer
    >>> tokenizer = WordPieceTokenizer(
    ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "new", "york", "##er", "is"])
    >>> packed = pack_words(tokenizer, [["New", "Yorker", "is"]], 8, [[3, 4, 0]])
    >>> packed.features["token_ids"].tolist(), packed.labels.tolist()
    ([[2, 4, 5, 6, 7, 3, 0, 0]], [[0, 3, 4, 0, 0, 0, 0, 0]])
    >>> packed.first_piece[0].tolist(), packed.last_piece[0].tolist()
    ([1, 2, 4], [1, 3, 4])
    """
    for name, values in [("labels", labels), ("questions", questions)]:
        if values is not None and len(values) != len(sentences):
            raise ValueError(
                f"{len(sentences)} rows of words but {len(values)} {name}."
            )
    count = len(sentences)
    words = _pieces(tokenizer, [word for row in sentences for word in row])
    prefixes = _pieces(tokenizer, list(questions)) if questions is not None else None
    cls, sep = tokenizer.token_id("[CLS]"), tokenizer.token_id("[SEP]")
    token_ids = np.full((count, sequence_length), tokenizer.token_id("[PAD]"), "int32")
    segment_ids = np.zeros((count, sequence_length), "int32")
    padding_mask = np.zeros((count, sequence_length), bool)
    label_ids = np.zeros((count, sequence_length), "int32")
    weights = np.zeros((count, sequence_length), "float32")
    first_pieces, last_pieces = [], []
    cursor = 0
    for row, sentence in enumerate(sentences):
        ids = [cls]
        if prefixes is not None:
            room = (sequence_length - 3) // 2
            ids += [*prefixes[row][:room].tolist(), sep]
        start = len(ids)
        room = sequence_length - 1 - start
        first = np.full(len(sentence), -1)
        last = np.full(len(sentence), -1)
        body = []
        for index in range(len(sentence)):
            pieces = words[cursor + index]
            if len(pieces) and len(body) + len(pieces) <= room:
                first[index] = start + len(body)
                last[index] = start + len(body) + len(pieces) - 1
                body += pieces.tolist()
            elif len(pieces):
                room = len(body)  # the words after a cut one are cut too
        cursor += len(sentence)
        ids += [*body, sep]
        token_ids[row, : len(ids)] = ids
        padding_mask[row, : len(ids)] = True
        if prefixes is not None:
            segment_ids[row, start : len(ids)] = 1
        if labels is not None:
            kept = first >= 0
            label_ids[row, first[kept]] = np.asarray(labels[row])[kept]
            weights[row, first[kept]] = 1.0
        first_pieces.append(first)
        last_pieces.append(last)
    features = {
        "token_ids": token_ids,
        "padding_mask": padding_mask,
        "segment_ids": segment_ids,
    }
    return WordPacking(features, label_ids, weights, first_pieces, last_pieces)


def pack_text_words(tokenizer, text, sequence_length):
    """`pack_words` in the graph, for strings split into words at whitespace.

    What an exported tagger runs: the same rows and word positions as
    `pack_words(tokenizer, [t.split() for t in text], sequence_length)`,
    each batch cut to its longest row.

    Args:
        tokenizer: a `WordPieceTokenizer`.
        text: string tensor `[B]`.
        sequence_length: int. Rows hold at most this many pieces, `[CLS]`
            and `[SEP]` included; the words that do not fit are cut.

    Returns:
        `(features, words, first_piece)`: the dict of `token_ids`,
        `padding_mask` and `segment_ids` (`[B, T]`), the words (ragged
        string `[B, (W)]`) and each word's first piece position (int32
        `[B, max W]`, -1 for a cut word and for padding).

    Example:
    >>> from lmzoo.data import WordPieceTokenizer
    >>> tokenizer = WordPieceTokenizer(
    ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "new", "york", "##er", "is"])
    >>> features, words, first = pack_text_words(
    ...     tokenizer, tf.constant(["New Yorker is", "is"]), 8)
    >>> features["token_ids"].numpy().tolist()
    [[2, 4, 5, 6, 7, 3], [2, 7, 3, 0, 0, 0]]
    >>> first.numpy().tolist()
    [[1, 2, 4], [1, -1, -1]]
    """
    words = tf.strings.split(text)
    pieces = tokenizer(words.flat_values)
    counts = words.with_flat_values(tf.cast(pieces.row_lengths(), tf.int32))
    counts = counts.to_tensor(0)
    ends = tf.cumsum(counts, axis=1)
    room = sequence_length - 2
    kept = (ends <= room) & (counts > 0)
    first_piece = tf.where(kept, 1 + ends - counts, -1)
    body = words.with_flat_values(pieces).merge_dims(1, 2)
    body_lengths = tf.reduce_max(tf.where(ends <= room, ends, 0), axis=1)
    positions = tf.range(tf.shape(body.to_tensor(0))[1])[None, :]
    body = tf.ragged.boolean_mask(body.to_tensor(0), positions < body_lengths[:, None])
    row = tf.concat(
        [
            tf.fill([body.nrows(), 1], tokenizer.token_id("[CLS]")),
            body,
            tf.fill([body.nrows(), 1], tokenizer.token_id("[SEP]")),
        ],
        axis=1,
    )
    token_ids = row.to_tensor(tokenizer.token_id("[PAD]"))
    padding_mask = tf.sequence_mask(row.row_lengths(), tf.shape(token_ids)[1])
    features = {
        "token_ids": token_ids,
        "padding_mask": padding_mask,
        "segment_ids": tf.zeros_like(token_ids),
    }
    return features, words, first_piece

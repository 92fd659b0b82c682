"""Character and word tokenizers over a fixed vocabulary.

They are Keras layers, so they run inside `tf.data.Dataset.map`, travel inside a
model's config (`.keras` files) and inside an exported SavedModel. The lookup is
a `tf.lookup.StaticHashTable` rather than Keras' `StringLookup`: a model that
holds a `StringLookup` anywhere among its layers is refused `jit_compile=True`
as a whole, although its tokenizer only ever runs in the input pipeline.
"""

import collections

import keras
import numpy as np
import tensorflow as tf

OOV_TOKEN = "<unk>"
END_OF_LINE = "<eos>"


class _VocabularyTokenizer(keras.layers.Layer):
    """Splits text into pieces and looks each piece up in a fixed vocabulary."""

    def __init__(self, vocabulary, oov_token=OOV_TOKEN, **kwargs):
        kwargs.setdefault("trainable", False)
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        vocabulary = [str(piece) for piece in vocabulary]
        if oov_token in vocabulary:
            raise ValueError(
                f"The vocabulary must not contain the OOV token {oov_token!r}: "
                "it always gets id 0."
            )
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("The vocabulary has repeated entries.")
        self.vocabulary = vocabulary
        self.oov_token = oov_token
        self._table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(vocabulary, tf.string),
                tf.range(1, len(vocabulary) + 1, dtype=tf.int32),
            ),
            default_value=0,
        )
        self._pieces = tf.constant([oov_token, *vocabulary], tf.string)
        self.built = True

    @property
    def oov_id(self):
        """The id of unknown pieces: always 0."""
        return 0

    @property
    def vocabulary_size(self):
        """Number of ids, the OOV id 0 included."""
        return len(self.vocabulary) + 1

    def call(self, text):
        pieces = self._split(tf.convert_to_tensor(text))
        if isinstance(pieces, tf.RaggedTensor):
            return pieces.with_flat_values(self._table.lookup(pieces.flat_values))
        return self._table.lookup(pieces)

    def unknown(self, text):
        """The pieces of `text` that are not in the vocabulary.

        The OOV token itself (`<unk>` in PTB's text) counts as known.

        Args:
            text: str.

        Returns:
            list of str, in order of first appearance, each once.
        """
        pieces = self._split(tf.constant(text)).numpy().tolist()
        known = set(self.vocabulary) | {self.oov_token}
        return list(
            dict.fromkeys(p.decode() for p in pieces if p.decode() not in known)
        )

    def detokenize(self, token_ids):
        """Turns ids back into text.

        Args:
            token_ids: `[T]` or `[B, T]` int tensor (or a ragged batch).

        Returns:
            A scalar string tensor, or `[B]` strings for a batch.
        """
        token_ids = tf.cast(token_ids, tf.int32)
        if isinstance(token_ids, tf.RaggedTensor):
            return self._join(
                token_ids.with_flat_values(self._piece(token_ids.flat_values))
            )
        return self._join(self._piece(token_ids))

    def _piece(self, token_ids):
        known = (token_ids >= 0) & (token_ids < self.vocabulary_size)
        return tf.gather(self._pieces, tf.where(known, token_ids, 0))

    def encode(self, text):
        """Tokenizes a whole Python string into a NumPy array of int32 ids.

        Args:
            text: str.

        Returns:
            `np.ndarray` of shape `[num_tokens]`.
        """
        return self(tf.constant(text)).numpy().astype(np.int32)

    def decode(self, token_ids):
        """Turns a sequence of ids into a Python string.

        Args:
            token_ids: 1-D sequence of ints.

        Returns:
            str.
        """
        return self.detokenize(tf.constant(token_ids)).numpy().decode("utf-8")

    def get_config(self):
        return super().get_config() | {
            "vocabulary": self.vocabulary,
            "oov_token": self.oov_token,
        }


@keras.saving.register_keras_serializable(package="lmzoo")
class CharTokenizer(_VocabularyTokenizer):
    """One id per Unicode character; unseen characters map to id 0 (`<unk>`).

    Args:
        vocabulary: list of single-character strings (ids 1, 2, ...).
        oov_token: str. Stands for unknown characters. Defaults to `"<unk>"`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        text: scalar string tensor (or a Python str), or `[B]` strings.

    Returns:
        `[T]` int32 ids, or a ragged `[B, None]` batch.

    Example:
    >>> tokenizer = CharTokenizer.from_text("hello")
    >>> tokenizer.encode("hole").tolist()
    [2, 4, 3, 1]
    >>> tokenizer.decode([2, 1, 3, 3, 4])
    'hello'
    """

    @classmethod
    def from_text(cls, text, **kwargs):
        """Builds the vocabulary from the characters of `text`, sorted.

        Args:
            text: str, usually the training split.
            **kwargs: passed to the constructor.

        Returns:
            A `CharTokenizer`.
        """
        return cls(sorted(set(text) - {kwargs.get("oov_token", OOV_TOKEN)}), **kwargs)

    def _split(self, text):
        return tf.strings.unicode_split(text, "UTF-8")

    def _join(self, pieces):
        return tf.strings.reduce_join(pieces, axis=-1)


@keras.saving.register_keras_serializable(package="lmzoo")
class WordTokenizer(_VocabularyTokenizer):
    """Whitespace-separated words; every line ends with an `<eos>` token.

    This is the convention of word-level language modelling corpora such as
    PTB and WikiText: the end of a line is a token the model predicts.

    Args:
        vocabulary: list of words (ids 1, 2, ...), usually `<eos>` among them.
        oov_token: str. Stands for unknown words. Defaults to `"<unk>"`.
        end_of_line: str. The token a newline becomes. Defaults to `"<eos>"`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        text: scalar string tensor (or a Python str), or `[B]` strings.

    Returns:
        `[T]` int32 ids, or a ragged `[B, None]` batch.

    Example:
    >>> tokenizer = WordTokenizer.from_text("the cat\\nthe dog\\n")
    >>> tokenizer.encode("the cow\\n").tolist()
    [2, 0, 1]
    """

    def __init__(
        self, vocabulary, oov_token=OOV_TOKEN, end_of_line=END_OF_LINE, **kwargs
    ):
        super().__init__(vocabulary, oov_token=oov_token, **kwargs)
        self.end_of_line = end_of_line

    @classmethod
    def from_text(cls, text, max_vocabulary_size=None, **kwargs):
        """Builds the vocabulary from `text`, most frequent words first.

        Args:
            text: str, usually the training split.
            max_vocabulary_size: optional int. Keep at most this many ids (the
                OOV id included); rarer words become `<unk>`.
            **kwargs: passed to the constructor.

        Returns:
            A `WordTokenizer`.
        """
        oov_token = kwargs.get("oov_token", OOV_TOKEN)
        end_of_line = kwargs.get("end_of_line", END_OF_LINE)
        counts = collections.Counter(text.split())
        counts[end_of_line] += text.count("\n")
        counts.pop(oov_token, None)
        words = sorted(counts, key=lambda word: (-counts[word], word))
        if max_vocabulary_size is not None:
            words = words[: max_vocabulary_size - 1]
        return cls(words, **kwargs)

    @property
    def end_of_line_id(self):
        """The id of the end-of-line token (`<eos>`)."""
        return self.vocabulary.index(self.end_of_line) + 1

    def _split(self, text):
        text = tf.strings.regex_replace(text, "\n", f" {self.end_of_line} ")
        return tf.strings.split(text)

    def _join(self, pieces):
        text = tf.strings.reduce_join(pieces, axis=-1, separator=" ")
        return tf.strings.regex_replace(text, f" ?{self.end_of_line} ?", "\n")

    def get_config(self):
        return super().get_config() | {"end_of_line": self.end_of_line}


def tokenizer_for_level(level, text, **kwargs):
    """Builds the tokenizer a corpus level calls for from `text`.

    Args:
        level: `"char"` or `"word"`.
        text: str, the text to build the vocabulary from.
        **kwargs: passed to `from_text`.

    Returns:
        A `CharTokenizer` or `WordTokenizer`.

    Example:
    >>> tokenizer_for_level("char", "abc").vocabulary_size
    4
    """
    tokenizers = {"char": CharTokenizer, "word": WordTokenizer}
    if level not in tokenizers:
        raise ValueError(
            f"Unknown level {level!r}; expected one of {sorted(tokenizers)}."
        )
    return tokenizers[level].from_text(text, **kwargs)

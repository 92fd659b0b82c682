"""Preprocessors: Keras layers that turn raw strings into a model's inputs."""

import keras
import tensorflow as tf


def _checked_length(value, minimum, why=""):
    """`value` if it is an int of at least `minimum`, else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"sequence_length must be an int, got {value!r}.")
    if value < minimum:
        raise ValueError(f"sequence_length must be >= {minimum}{why}, got {value}.")
    return value


@keras.saving.register_keras_serializable(package="lmzoo")
class CausalLMPreprocessor(keras.layers.Layer):
    """Tokenizes text and packs it into next-token training examples.

    Each text is tokenized, cut to its first `sequence_length + 1` tokens and
    padded with id 0; the first `sequence_length` positions are the inputs,
    the last `sequence_length` the labels, and padding gets weight 0. It runs
    inside `tf.data.Dataset.map` and inside an exported SavedModel.

    Args:
        tokenizer: a tokenizer layer (`CharTokenizer`, `WordTokenizer`).
        sequence_length: int. Length of the packed inputs. Defaults to `128`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        x: a string or `[B]` strings.
        y: must be `None`: a language model learns from the text itself.
        sample_weight: must be `None`.

    Returns:
        `(features, labels, sample_weight)`: `features` is a dict with
        `"token_ids"` (`[B, sequence_length]` int32) and `"padding_mask"`
        (bool, True at real tokens); `labels` are the next tokens and
        `sample_weight` float32 (0 at padding). Without a batch dimension for
        a single string.

    Example:
    >>> from lmzoo.data import CharTokenizer
    >>> preprocessor = CausalLMPreprocessor(CharTokenizer.from_text("abc"), 4)
    >>> features, labels, weights = preprocessor(["abcab", "ab"])
    >>> features["token_ids"].numpy().tolist(), labels.numpy().tolist()
    ([[1, 2, 3, 1], [1, 2, 0, 0]], [[2, 3, 1, 2], [2, 0, 0, 0]])
    >>> weights.numpy().tolist()
    [[1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0]]
    """

    def __init__(self, tokenizer, sequence_length=128, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        self.tokenizer = tokenizer
        self.sequence_length = _checked_length(sequence_length, 1)
        # Python strings and lists of them are inputs too (keras-hub does the same).
        self._allow_non_tensor_positional_args = True
        self.built = True

    def pack(self, x, length):
        """Tokenizes `x` and pads or truncates every row to `length` ids.

        Args:
            x: a string or `[B]` strings.
            length: int.

        Returns:
            `(token_ids [B, length] int32, padding_mask [B, length] bool)`,
            without the batch dimension for a single string.
        """
        text = tf.convert_to_tensor(x)
        if text.dtype != tf.string:
            raise ValueError(f"A preprocessor takes strings, got {text.dtype.name}.")
        single = text.shape.rank == 0
        ids = self.tokenizer(text[None] if single else text)
        token_ids = ids.to_tensor(0, shape=[None, length])
        padding_mask = tf.ones_like(ids, tf.bool).to_tensor(False, shape=[None, length])
        if single:
            return token_ids[0], padding_mask[0]
        return token_ids, padding_mask

    def call(self, x, y=None, sample_weight=None):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "A causal LM preprocessor takes only text: the labels are the text's "
                "next tokens."
            )
        token_ids, padding_mask = self.pack(x, self.sequence_length + 1)
        features = {
            "token_ids": token_ids[..., :-1],
            "padding_mask": padding_mask[..., :-1],
        }
        return features, token_ids[..., 1:], tf.cast(padding_mask[..., 1:], tf.float32)

    def get_config(self):
        return super().get_config() | {
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "sequence_length": self.sequence_length,
        }


@keras.saving.register_keras_serializable(package="lmzoo")
class BertPreprocessor(keras.layers.Layer):
    """Packs one or two text segments as BERT reads them.

    `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`, cut to `sequence_length` by
    shortening the longer segment first (Hugging Face's `longest_first`),
    then padded with `[PAD]`. It runs inside `tf.data.Dataset.map` and inside
    an exported SavedModel; labels and sample weights pass through.

    Args:
        tokenizer: a `WordPieceTokenizer` whose vocabulary has `[CLS]`,
            `[SEP]` and `[PAD]`.
        sequence_length: int. Length of the packed inputs. Defaults to `128`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        x: a string or `[B]` strings, or a tuple of two of them (pairs).
        y: optional labels, passed through.
        sample_weight: optional weights, passed through.

    Returns:
        A dict of `"token_ids"` (int32), `"padding_mask"` (bool, True at real
        tokens) and `"segment_ids"` (int32, 0 for the first segment and 1 for
        the second), each `[B, sequence_length]` (no batch dimension for a
        single string); with `y`, the tuple `(features, y)` or
        `(features, y, sample_weight)`.

    Example:
    >>> from lmzoo.data import WordPieceTokenizer
    >>> vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "c"]
    >>> preprocessor = BertPreprocessor(WordPieceTokenizer(vocabulary), 7)
    >>> features = preprocessor((["a b c", "a"], ["b b b", "c"]))
    >>> features["token_ids"].numpy().tolist()
    [[2, 4, 5, 3, 5, 5, 3], [2, 4, 3, 6, 3, 0, 0]]
    >>> features["segment_ids"].numpy().tolist()
    [[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 0, 0]]
    """

    def __init__(self, tokenizer, sequence_length=128, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        _checked_length(sequence_length, 3, " ([CLS] a [SEP])")
        missing = [
            token
            for token in ("[CLS]", "[SEP]", "[PAD]")
            if token not in tokenizer.vocabulary
        ]
        if missing:
            raise ValueError(f"The tokenizer's vocabulary has no {', '.join(missing)}.")
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        self._allow_non_tensor_positional_args = True
        self.built = True

    @classmethod
    def from_huggingface(cls, path, sequence_length=128):
        """The preprocessor of a Hugging Face BERT folder (`vocab.txt`).

        Args:
            path: the folder.
            sequence_length: int. Defaults to `128`.

        Returns:
            A `BertPreprocessor` over `WordPieceTokenizer.from_huggingface(path)`.
        """
        from lmzoo.data.tokenizers.wordpiece import WordPieceTokenizer

        return cls(WordPieceTokenizer.from_huggingface(path), sequence_length)

    def call(self, x, y=None, sample_weight=None):
        import tensorflow_text as tf_text

        segments = x if isinstance(x, tuple) else (x,)
        if len(segments) not in (1, 2):
            raise ValueError(
                f"BERT packs one or two segments; got a tuple of {len(segments)}."
            )
        texts = [tf.convert_to_tensor(segment) for segment in segments]
        for text in texts:
            if text.dtype != tf.string:
                raise ValueError(
                    f"A preprocessor takes strings, got {text.dtype.name}."
                )
        single = texts[0].shape.rank == 0
        pieces = [self.tokenizer(text[None] if single else text) for text in texts]
        budget = self.sequence_length - len(pieces) - 1
        if len(pieces) == 1:
            pieces = [pieces[0][:, :budget]]
        else:
            pieces = tf_text.ShrinkLongestTrimmer(budget).trim(pieces)
        vocabulary = self.tokenizer
        token_ids, segment_ids = tf_text.combine_segments(
            pieces, vocabulary.token_id("[CLS]"), vocabulary.token_id("[SEP]")
        )
        token_ids, padding_mask = tf_text.pad_model_inputs(
            token_ids, self.sequence_length, vocabulary.token_id("[PAD]")
        )
        segment_ids, _ = tf_text.pad_model_inputs(segment_ids, self.sequence_length)
        features = {
            "token_ids": tf.cast(token_ids, tf.int32),
            "padding_mask": tf.cast(padding_mask, tf.bool),
            "segment_ids": tf.cast(segment_ids, tf.int32),
        }
        if single:
            features = {key: value[0] for key, value in features.items()}
        return keras.utils.pack_x_y_sample_weight(features, y, sample_weight)

    def get_config(self):
        return super().get_config() | {
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "sequence_length": self.sequence_length,
        }

"""Translation examples: source and target strings -> teacher-forced batches."""

import keras
import tensorflow as tf

from lmzoo.data.batching import length_bucketed


@keras.saving.register_keras_serializable(package="lmzoo")
class TranslationPreprocessor(keras.layers.Layer):
    """Tokenizes sentence pairs into an encoder-decoder's teacher-forced inputs.

    The source gets its tokenizer's end token (`</s>`); the decoder input is
    the target shifted right after the start token (`<s>`), and the labels
    are the target followed by `</s>`, so position `i` learns the token after
    the first `i` target tokens. Everything is cut to `sequence_length` and
    padded with id 0; the labels' padding gets weight 0.

    Args:
        source_tokenizer: a `SentencePieceTokenizer` for the source language.
        target_tokenizer: a `SentencePieceTokenizer` for the target language.
        sequence_length: int. Longest source and target, in pieces. Defaults
            to `64`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        x: source string(s), a string or `[B]`.
        y: optional target string(s), as `x`.
        sample_weight: must be `None`.

    Returns:
        Without `y`, a dict with `"encoder_token_ids"` and
        `"encoder_padding_mask"`. With `y`, `(features, labels,
        sample_weight)`: the dict also holds `"decoder_token_ids"` and
        `"decoder_padding_mask"`, `labels` are int32 and `sample_weight`
        float32, each `[B, sequence_length]` (or `[sequence_length]`).

    Example:
    >>> from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
    >>> tokenizer = SentencePieceTokenizer.train(["a b", "b a", "a a"] * 9, 12)
    >>> preprocessor = TranslationPreprocessor(tokenizer, tokenizer, 6)
    >>> features, labels, weights = preprocessor("a b", "b")
    >>> tokenizer.pieces(features["decoder_token_ids"][:2])
    ['<s>', '▁b']
    >>> tokenizer.pieces(labels[:2])
    ['▁b', '</s>']
    >>> weights.numpy().tolist()
    [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(
        self, source_tokenizer, target_tokenizer, sequence_length=64, **kwargs
    ):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        if isinstance(source_tokenizer, dict):
            source_tokenizer = keras.saving.deserialize_keras_object(source_tokenizer)
        if isinstance(target_tokenizer, dict):
            target_tokenizer = keras.saving.deserialize_keras_object(target_tokenizer)
        if isinstance(sequence_length, bool) or not isinstance(sequence_length, int):
            raise ValueError(
                f"sequence_length must be an int, got {sequence_length!r}."
            )
        if sequence_length < 2:
            raise ValueError(f"sequence_length must be >= 2, got {sequence_length}.")
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.sequence_length = sequence_length
        self._allow_non_tensor_positional_args = True
        self.built = True

    def _tokenize(self, tokenizer, text):
        """`(ragged ids [B, None] cut to leave room for one special token, single)`."""
        text = tf.convert_to_tensor(text)
        if text.dtype != tf.string:
            raise ValueError(f"A preprocessor takes strings, got {text.dtype.name}.")
        single = text.shape.rank == 0
        ids = tokenizer(text[None] if single else text)
        return ids[:, : self.sequence_length - 1], single

    def _pack(self, ids, single, before=(), after=()):
        """Adds special tokens around each row, pads to `sequence_length`."""
        rows = ids.nrows()
        pieces = [tf.fill([rows, 1], token) for token in before]
        pieces += [ids] + [tf.fill([rows, 1], token) for token in after]
        ids = tf.concat(pieces, axis=1)
        dense = ids.to_tensor(0, shape=[None, self.sequence_length])
        mask = tf.ones_like(ids, tf.bool).to_tensor(
            False, shape=[None, self.sequence_length]
        )
        return (dense[0], mask[0]) if single else (dense, mask)

    def encode_source(self, x):
        """Source strings -> the encoder's dict (`encoder_token_ids`, mask)."""
        source = self.source_tokenizer
        ids, mask = self._pack(*self._tokenize(source, x), after=(source.end_id,))
        return {"encoder_token_ids": ids, "encoder_padding_mask": mask}

    def call(self, x, y=None, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("TranslationPreprocessor takes no sample_weight.")
        features = self.encode_source(x)
        if y is None:
            return features
        target = self.target_tokenizer
        ids, single = self._tokenize(target, y)
        decoder_ids, decoder_mask = self._pack(ids, single, before=(target.start_id,))
        labels, label_mask = self._pack(ids, single, after=(target.end_id,))
        features["decoder_token_ids"] = decoder_ids
        features["decoder_padding_mask"] = decoder_mask
        return features, labels, tf.cast(label_mask, tf.float32)

    def get_config(self):
        return super().get_config() | {
            "source_tokenizer": keras.saving.serialize_keras_object(
                self.source_tokenizer
            ),
            "target_tokenizer": keras.saving.serialize_keras_object(
                self.target_tokenizer
            ),
            "sequence_length": self.sequence_length,
        }


def translation_dataset(pairs, preprocessor, batch_size, multiple=8, shuffle_seed=None):
    """Teacher-forced, length-bucketed batches from `(source, target)` pairs.

    Pairs are tokenized once and cached; batches group pairs of similar
    length (the longer of source and target) and are cut to their longest
    row rounded up to `multiple`, so they carry little padding and an XLA
    step sees few shapes. The dataset knows its number of batches (one pass
    counts them; a bucket's count does not depend on the shuffle), so
    `fit` and `evaluate` know an epoch's length.

    Args:
        pairs: list of `(source, target)` strings.
        preprocessor: a `TranslationPreprocessor`.
        batch_size: int.
        multiple: int. Batch widths are multiples of it. Defaults to `8`.
        shuffle_seed: optional int: shuffle anew on every pass (training).

    Returns:
        A `tf.data.Dataset` of `(features, labels, sample_weight)` batches.

    Example:
    >>> from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
    >>> tokenizer = SentencePieceTokenizer.train(["a b", "b a", "a a"] * 9, 12)
    >>> preprocessor = TranslationPreprocessor(tokenizer, tokenizer, 32)
    >>> batches = translation_dataset([("a b", "b a")] * 3, preprocessor, 2)
    >>> [labels.shape for _, labels, _ in batches]
    [TensorShape([2, 8]), TensorShape([1, 8])]
    >>> int(batches.cardinality())
    2
    """
    sources, targets = zip(*pairs, strict=True)
    examples = (
        tf.data.Dataset.from_tensor_slices((list(sources), list(targets)))
        .batch(1024)
        .map(preprocessor, num_parallel_calls=tf.data.AUTOTUNE)
        .unbatch()
        .cache()
    )
    batches = length_bucketed(examples, batch_size, multiple, shuffle_seed)
    count = int(batches.reduce(0, lambda count, _: count + 1))
    return batches.apply(tf.data.experimental.assert_cardinality(count)).prefetch(
        tf.data.AUTOTUNE
    )

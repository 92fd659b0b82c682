"""SentencePiece subwords, trained with `sentencepiece`, run by tensorflow-text.

SentencePiece treats the space as a piece of its own, so detokenizing gives
back the text (after NFKC normalization): "¿Dónde está?" comes back as it
was, not as "¿ Dónde está ?", which matters to BLEU and to serving.
"""

import base64
import functools
import hashlib
import io

import keras
import tensorflow as tf

PAD_ID, UNKNOWN_ID, START_ID, END_ID = 0, 1, 2, 3


@functools.cache
def _shared_resource_class():
    """tensorflow-text's SentencePiece model resource, under a shared name.

    tensorflow-text creates the model as a resource private to its kernel,
    and `tf.random.set_seed` (so `keras.utils.set_random_seed`) clears the
    kernel cache in eager mode, which deletes it: every tokenizer made before
    the call then fails with "Resource ... does not exist" (tensorflow-text's
    own TODO b/318839908). Under a shared name (the proto's hash) the
    resource lives in the resource manager instead, and a cleared kernel
    finds it again.
    """
    from tensorflow_text.python.ops import sentencepiece_tokenizer as text_ops

    class SharedModelResource(text_ops._SentencepieceModelResource):
        def __init__(self, model):
            digest = hashlib.sha256(model).hexdigest()[:24]
            self._shared_name = f"lmzoo_sentencepiece_{digest}"
            super().__init__(model, "SharedSentencepieceModel")

        def _create_resource(self):
            return text_ops.gen_sentencepiece_tokenizer.sentencepiece_op(
                model=self._model, shared_name=self._shared_name
            )

    return SharedModelResource


@keras.saving.register_keras_serializable(package="lmzoo")
class SentencePieceTokenizer(keras.layers.Layer):
    """Text -> SentencePiece ids and back, in the graph (tensorflow-text).

    Ids 0-3 are `<pad>`, `<unk>`, `<s>` (start) and `</s>` (end). A Keras
    layer: it runs in `tf.data.Dataset.map`, travels in a model's config (the
    model proto as base64) and inside an exported SavedModel.

    Args:
        proto: the serialized SentencePiece model, `bytes` or base64 `str`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        text: a string or `[B]` strings.

    Returns:
        `[T]` int32 ids, or a ragged `[B, None]` batch.

    Example:
    >>> tokenizer = SentencePieceTokenizer.train(
    ...     ["where is the station", "the station is here"] * 20,
    ...     vocabulary_size=30)
    >>> ids = tokenizer.encode("the station")
    >>> tokenizer.decode(ids)
    'the station'
    """

    def __init__(self, proto, **kwargs):
        kwargs.setdefault("trainable", False)
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        import tensorflow_text as tf_text

        if isinstance(proto, str):
            proto = base64.b64decode(proto)
        self.proto = bytes(proto)
        self._tokenizer = tf_text.SentencepieceTokenizer(self.proto, out_type=tf.int32)
        self._tokenizer._model_resource = _shared_resource_class()(self.proto)
        self._allow_non_tensor_positional_args = True
        self.built = True

    @classmethod
    def train(cls, texts, vocabulary_size, model_type="unigram", seed_size=1_000_000):
        """Learns a vocabulary with the `sentencepiece` trainer.

        Args:
            texts: an iterable of strings (a language's training sentences).
            vocabulary_size: int. Pieces, the four special ones included; at
                most this many (fewer when the text has fewer).
            model_type: `"unigram"` or `"bpe"`. Defaults to `"unigram"`.
            seed_size: int. The trainer's initial piece candidates.

        Returns:
            A `SentencePieceTokenizer`.

        Raises:
            ValueError: the text is too small for `vocabulary_size` (the
                trainer's message says how large it may be).
        """
        import sentencepiece

        model = io.BytesIO()
        try:
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter(texts),
                model_writer=model,
                vocab_size=vocabulary_size,
                model_type=model_type,
                character_coverage=1.0,
                pad_id=PAD_ID,
                unk_id=UNKNOWN_ID,
                bos_id=START_ID,
                eos_id=END_ID,
                seed_sentencepiece_size=seed_size,
                hard_vocab_limit=False,
                num_threads=1,
                minloglevel=2,
            )
        except RuntimeError as error:
            raise ValueError(f"SentencePiece training failed: {error}") from None
        return cls(model.getvalue())

    @property
    def vocabulary_size(self):
        """Number of ids."""
        return int(self._tokenizer.vocab_size())

    @property
    def oov_id(self):
        """The id of `<unk>`."""
        return UNKNOWN_ID

    @property
    def start_id(self):
        """The id of `<s>`, which starts every decoder input."""
        return START_ID

    @property
    def end_id(self):
        """The id of `</s>`, which ends every target."""
        return END_ID

    def call(self, text):
        text = tf.convert_to_tensor(text)
        single = text.shape.rank == 0
        ids = self._tokenizer.tokenize(text[None] if single else text)
        return ids[0] if single else ids

    def detokenize(self, token_ids):
        """Ids back to text, in the graph; `<pad>`, `<s>` and `</s>` vanish.

        Args:
            token_ids: `[T]` or `[B, T]` ints (dense or ragged).

        Returns:
            A string tensor (`[]` or `[B]`).
        """
        return self._tokenizer.detokenize(token_ids)

    def encode(self, text):
        """One string to a list of ids.

        Args:
            text: str.

        Returns:
            list of int.
        """
        return self(text).numpy().tolist()

    def decode(self, token_ids):
        """A list of ids to a string, special ids dropped.

        Args:
            token_ids: list of int.

        Returns:
            str.
        """
        ids = tf.constant([int(token) for token in token_ids], tf.int32)
        return self.detokenize(ids).numpy().decode("utf-8")

    def pieces(self, token_ids):
        """The pieces of ids, as strings (`▁` marks a word start).

        Args:
            token_ids: a list or `[T]` tensor of ids.

        Returns:
            list of str.
        """
        pieces = self._tokenizer.id_to_string(tf.constant(token_ids, tf.int32))
        return [piece.decode("utf-8") for piece in pieces.numpy()]

    def unknown(self, text):
        """Characters of `text` the vocabulary cannot spell (they become `<unk>`).

        Args:
            text: str.

        Returns:
            list of str, in order of first appearance, each once.
        """
        pieces = self._tokenizer.tokenize_with_offsets(tf.constant([text]))
        ids, starts, ends = (part[0].numpy() for part in pieces)
        raw = text.encode("utf-8")
        found = [
            raw[start:end].decode("utf-8", "replace").strip()
            for token, start, end in zip(ids, starts, ends, strict=True)
            if token == UNKNOWN_ID
        ]
        return list(dict.fromkeys(found))

    def get_config(self):
        return super().get_config() | {
            "proto": base64.b64encode(self.proto).decode("ascii")
        }

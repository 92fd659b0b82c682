"""WordPiece tokenization (BERT's), on tensorflow-text's `BertTokenizer`."""

import json
import pathlib

import keras
import tensorflow as tf

from lmzoo.atomic import write_text

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@keras.saving.register_keras_serializable(package="lmzoo")
class WordPieceTokenizer(keras.layers.Layer):
    """Text -> WordPiece ids, as Hugging Face's `BertTokenizer` splits it.

    Lower-cases and strips accents when `lowercase` (the uncased models),
    splits punctuation and CJK characters into words of their own, then cuts
    each word into the longest vocabulary pieces (`##` marks a continuation);
    a word it cannot cut becomes `[UNK]`. A Keras layer: it runs in
    `tf.data.Dataset.map` and travels in a model's config.

    Args:
        vocabulary: list of pieces, in id order (the lines of a `vocab.txt`).
        lowercase: bool. Defaults to `True`.
        unknown_token: str. Defaults to `"[UNK]"`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        text: a string or `[B]` strings.

    Returns:
        `[T]` int32 ids, or a ragged `[B, None]` batch.

    Example:
    >>> vocabulary = ["[PAD]", "[UNK]", "hello", "world", "wor", "##ld", "."]
    >>> tokenizer = WordPieceTokenizer(vocabulary)
    >>> tokenizer(["Hello wörld.", "Hi"]).to_list()
    [[2, 3, 6], [1]]
    """

    def __init__(self, vocabulary, lowercase=True, unknown_token="[UNK]", **kwargs):
        kwargs.setdefault("trainable", False)
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        import tensorflow_text as tf_text

        vocabulary = [str(piece) for piece in vocabulary]
        if unknown_token not in vocabulary:
            raise ValueError(f"The vocabulary has no unknown token {unknown_token!r}.")
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        self.unknown_token = unknown_token
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(vocabulary), tf.range(len(vocabulary), dtype=tf.int64)
            ),
            default_value=vocabulary.index(unknown_token),
        )
        self._tokenizer = tf_text.BertTokenizer(
            table,
            lower_case=lowercase,
            token_out_type=tf.int64,
            unknown_token=unknown_token,
        )
        self._allow_non_tensor_positional_args = True  # Python strings too
        self.built = True

    @classmethod
    def from_vocabulary_file(cls, path, **kwargs):
        """Reads a `vocab.txt` (one piece per line, in id order).

        Args:
            path: str or path.
            **kwargs: passed to the constructor.

        Returns:
            A `WordPieceTokenizer`.
        """
        with open(path, encoding="utf-8") as file:
            return cls(file.read().splitlines(), **kwargs)

    @classmethod
    def from_huggingface(cls, path):
        """The tokenizer of a Hugging Face BERT folder.

        Reads `vocab.txt`, and `do_lower_case` from `tokenizer_config.json`
        when there is one (uncased when absent, as `BertTokenizer`).

        Args:
            path: the folder.

        Returns:
            A `WordPieceTokenizer`.
        """
        path = pathlib.Path(path)
        config_path = path / "tokenizer_config.json"
        config = {}
        if config_path.is_file():
            config = json.loads(config_path.read_text(encoding="utf-8"))
        if not (path / "vocab.txt").is_file():
            raise FileNotFoundError(f"{path / 'vocab.txt'} not found.")
        return cls.from_vocabulary_file(
            path / "vocab.txt",
            lowercase=config.get("do_lower_case", True),
            unknown_token=config.get("unk_token", "[UNK]"),
        )

    @classmethod
    def train(
        cls,
        texts,
        vocabulary_size,
        lowercase=True,
        special_tokens=SPECIAL_TOKENS,
    ):
        """Learns a WordPiece vocabulary from text with tensorflow-text's builder.

        Args:
            texts: a `tf.data.Dataset` of strings, or a list of strings.
            vocabulary_size: int. Target size; the builder may return a few
                pieces fewer.
            lowercase: bool. Lower-case and strip accents first.
            special_tokens: tokens placed first, in order (`[PAD]` gets 0).

        Returns:
            A `WordPieceTokenizer` over the learned vocabulary.

        Example:
        >>> tokenizer = WordPieceTokenizer.train(
        ...     ["the cat sat", "the hat", "a cat"] * 10, vocabulary_size=40)
        >>> tokenizer.vocabulary[:3], "cat" in tokenizer.vocabulary
        (['[PAD]', '[UNK]', '[CLS]'], True)
        """
        from tensorflow_text.tools.wordpiece_vocab import bert_vocab_from_dataset

        if not isinstance(texts, tf.data.Dataset):
            texts = tf.data.Dataset.from_tensor_slices(tf.constant(list(texts)))
        special_tokens = list(special_tokens)
        if "[UNK]" not in special_tokens:
            raise ValueError("special_tokens must include [UNK].")
        vocabulary = bert_vocab_from_dataset.bert_vocab_from_dataset(
            texts.batch(1024).prefetch(2),
            vocab_size=vocabulary_size,
            reserved_tokens=special_tokens,
            bert_tokenizer_params={"lower_case": lowercase},
        )
        return cls(vocabulary, lowercase=lowercase)

    def save_vocabulary(self, path):
        """Writes the vocabulary as a `vocab.txt` (one piece per line).

        Args:
            path: the file to write.

        Returns:
            The path.
        """
        write_text(path, "\n".join(self.vocabulary) + "\n")
        return pathlib.Path(path)

    @property
    def vocabulary_size(self):
        """Number of ids."""
        return len(self.vocabulary)

    def token_id(self, token):
        """The id of a special token such as `"[CLS]"`."""
        return self.vocabulary.index(token)

    def call(self, text):
        text = tf.convert_to_tensor(text)
        single = text.shape.rank == 0
        pieces = self._tokenizer.tokenize(text[None] if single else text)
        ids = tf.cast(pieces.merge_dims(-2, -1), tf.int32)
        return ids[0] if single else ids

    def get_config(self):
        return super().get_config() | {
            "vocabulary": self.vocabulary,
            "lowercase": self.lowercase,
            "unknown_token": self.unknown_token,
        }

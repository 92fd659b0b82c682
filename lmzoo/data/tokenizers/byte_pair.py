"""Byte-level BPE (GPT-2's, and every model that reuses it), in the TensorFlow graph.

Text is split into pre-tokens by the model's pre-tokenizer, each pre-token's
UTF-8 bytes become printable characters (GPT-2's byte-to-unicode table),
and the merges are applied in rank order until none applies. Every step is
a TensorFlow op (tensorflow-text's `regex_split` for the splits), so the
tokenizer runs in `tf.data`, inside an exported SavedModel, and in a
process without lmzoo.

RE2, which TensorFlow's regular expressions use, has no look-ahead. The
pre-tokenizer's `\\s+(?!\\S)` (a run of whitespace gives its last character
to the word after it) is done by cutting the text before that character
first, which is where Hugging Face's `tokenizers` always cuts.
"""

import json
import pathlib
import re

import keras
import numpy as np
import tensorflow as tf

# Oniguruma's `\s` (Hugging Face's regex engine); RE2's `\s` is ASCII only.
_SPACE = r"\t\n\x0B\f\r\x{85}\p{Z}"
_BYTE_LEVEL = (
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+"
    rf"| ?[^{_SPACE}\p{{L}}\p{{N}}]+|[{_SPACE}]+"
)
PRE_TOKENIZERS = {
    "gpt2": "byte-level regex (GPT-2)",
    "smollm": "each digit apart, then the byte-level regex (SmolLM, StarCoder)",
}
_NO_MERGE = np.iinfo(np.int32).max


def bytes_to_unicode():
    """GPT-2's table from each byte to a printable character.

    Returns:
        dict of int (0..255) -> str of one character.

    Example:
    >>> table = bytes_to_unicode()
    >>> table[ord("a")], table[ord(" ")], table[ord("\\n")]
    ('a', 'Ġ', 'Ċ')
    """
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    table = {byte: chr(byte) for byte in printable}
    shifted = 0
    for byte in range(256):
        if byte not in table:
            table[byte] = chr(256 + shifted)
            shifted += 1
    return table


def _regex_split(text, pattern):
    import tensorflow_text as tf_text

    return tf_text.regex_split(text, pattern, pattern)


def _merge_inner(ragged):
    while ragged.shape.rank > 2:
        ragged = ragged.merge_dims(1, 2)
    return ragged


def _give_last_space(pieces):
    """Moves the last character of a whitespace run to the piece after it.

    Args:
        pieces: ragged `[N, None]` strings alternating whitespace runs and
            other text.

    Returns:
        Ragged `[N, None]` strings, empty pieces dropped.
    """
    flat = pieces.flat_values
    rows = pieces.value_rowids()
    count = tf.shape(flat)[0]
    following = tf.concat([rows[1:], [-1]], axis=0)
    is_space = tf.strings.regex_full_match(flat, f"[{_SPACE}]+")
    gives = is_space & tf.equal(rows, following)
    length = tf.strings.length(flat, unit="UTF8_CHAR")
    kept = tf.strings.substr(
        flat, tf.zeros_like(length), length - tf.cast(gives, tf.int32), "UTF8_CHAR"
    )
    last = tf.where(
        gives,
        tf.strings.substr(flat, length - 1, tf.ones_like(length), "UTF8_CHAR"),
        "",
    )
    received = tf.concat([[""], last[:-1]], axis=0)[:count]
    joined = tf.strings.join([received, kept])
    return tf.ragged.boolean_mask(
        pieces.with_flat_values(joined), pieces.with_flat_values(joined != "")
    )


@keras.saving.register_keras_serializable(package="lmzoo")
class BytePairTokenizer(keras.layers.Layer):
    """Byte-level BPE with special tokens, as Hugging Face's `tokenizers` cuts text.

    Special tokens (such as `<|im_start|>`) are matched first and stay
    whole; the text between them goes through the pre-tokenizer and the
    merges. Byte-level BPE has no unknown token: every byte has an id.

    Args:
        vocabulary: list of tokens in id order (byte-level strings, `Ġ` for
            a space).
        merges: list of `"left right"` strings (or pairs), by rank.
        special_tokens: tokens that are matched in the text as they are
            and never split. Defaults to none.
        pre_tokenizer: `"gpt2"` or `"smollm"` (see `PRE_TOKENIZERS`).
            Defaults to `"gpt2"`.
        add_prefix_space: bool. Put a space before the text (some GPT-2
            setups). Defaults to `False`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        text: a string or `[B]` strings.

    Returns:
        `[T]` int32 ids, or a ragged `[B, None]` batch.

    Example:
    >>> tokenizer = BytePairTokenizer(
    ...     ["a", "b", "Ġ", "ab", "Ġab", "<s>"], ["a b", "Ġ ab"],
    ...     special_tokens=["<s>"])
    >>> tokenizer.encode("<s>ab ab").tolist()
    [5, 3, 4]
    >>> tokenizer.decode([5, 3, 4])
    '<s>ab ab'
    """

    def __init__(
        self,
        vocabulary,
        merges,
        special_tokens=(),
        pre_tokenizer="gpt2",
        add_prefix_space=False,
        **kwargs,
    ):
        kwargs.setdefault("trainable", False)
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        if pre_tokenizer not in PRE_TOKENIZERS:
            raise ValueError(
                f"Unsupported pre-tokenizer {pre_tokenizer!r}; lmzoo's byte-level "
                f"BPE has {', '.join(PRE_TOKENIZERS)}."
            )
        self.vocabulary = [str(token) for token in vocabulary]
        self.merges = [
            merge if isinstance(merge, str) else " ".join(merge) for merge in merges
        ]
        self.special_tokens = [str(token) for token in special_tokens]
        self.pre_tokenizer = pre_tokenizer
        self.add_prefix_space = add_prefix_space
        ids = {token: index for index, token in enumerate(self.vocabulary)}
        missing = [token for token in self.special_tokens if token not in ids]
        if missing:
            raise ValueError(f"Special tokens not in the vocabulary: {missing}.")
        for rank, merge in enumerate(self.merges):
            left, _, right = merge.partition(" ")
            if not right or left + right not in ids:
                raise ValueError(
                    f"Merge {rank} ({merge!r}) does not make a vocabulary token."
                )
        self._ids = ids
        self._token_table = self._table(self.vocabulary, range(len(self.vocabulary)))
        # A table needs a key: without merges, one that no pair can match.
        self._merge_table = self._table(
            self.merges or [""], range(len(self.merges)) or [_NO_MERGE]
        )
        table = bytes_to_unicode()
        self._byte_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant([bytes([byte]) for byte in range(256)]),
                tf.constant([table[byte] for byte in range(256)]),
            ),
            default_value="",
        )
        to_byte = {char: byte for byte, char in table.items()}
        special = set(self.special_tokens)
        self._token_bytes = tf.constant(
            [
                token.encode("utf-8")
                if token in special
                else bytes(to_byte[char] for char in token if char in to_byte)
                for token in self.vocabulary
            ]
        )
        self._special_pattern = "|".join(
            re.escape(token) for token in sorted(special, key=len, reverse=True)
        )
        self._compiled = _Compiled(
            tf.function(
                self._tokenize, input_signature=[tf.TensorSpec([None], tf.string)]
            )
        )
        self._allow_non_tensor_positional_args = True
        self.built = True

    @staticmethod
    def _table(keys, values):
        return tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(list(keys), tf.string),
                tf.constant(list(values), tf.int32),
            ),
            default_value=_NO_MERGE,
        )

    @classmethod
    def from_huggingface(cls, path):
        """The tokenizer of a Hugging Face folder.

        Reads `tokenizer.json` when there is one, otherwise GPT-2's
        `vocab.json` and `merges.txt` (special tokens from
        `tokenizer_config.json`'s `added_tokens_decoder`, else the
        vocabulary's `<|...|>` entries).

        Args:
            path: the folder.

        Returns:
            A `BytePairTokenizer`.

        Raises:
            FileNotFoundError: the folder has neither layout.
            ValueError: a model other than byte-level BPE, or a
                pre-tokenizer lmzoo does not have.
        """
        path = pathlib.Path(path)
        if (path / "tokenizer.json").is_file():
            return cls(**_tokenizer_json_arguments(path / "tokenizer.json"))
        if not (path / "vocab.json").is_file() or not (path / "merges.txt").is_file():
            raise FileNotFoundError(
                f"{path} has no tokenizer.json, nor vocab.json and merges.txt."
            )
        vocabulary = _in_id_order(
            json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        )
        merges = [
            line
            for line in (path / "merges.txt").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#version")
        ]
        config_path = path / "tokenizer_config.json"
        config = (
            json.loads(config_path.read_text(encoding="utf-8"))
            if config_path.is_file()
            else {}
        )
        added = config.get("added_tokens_decoder")
        special = (
            [entry["content"] for entry in added.values()]
            if added
            else [token for token in vocabulary if re.fullmatch(r"<\|.+\|>", token)]
        )
        return cls(
            vocabulary,
            merges,
            special_tokens=special,
            add_prefix_space=config.get("add_prefix_space", False),
        )

    @property
    def vocabulary_size(self):
        """Number of ids."""
        return len(self.vocabulary)

    @property
    def oov_id(self):
        """`None`: byte-level BPE has no unknown token."""
        return None

    def token_to_id(self, token):
        """The id of one vocabulary token.

        Args:
            token: str, such as `"<|im_end|>"`.

        Returns:
            int.

        Raises:
            KeyError: the token is not in the vocabulary.
        """
        if token not in self._ids:
            raise KeyError(f"{token!r} is not in the vocabulary.")
        return self._ids[token]

    def call(self, text):
        text = tf.convert_to_tensor(text, tf.string)
        single = text.shape.rank == 0
        texts = tf.reshape(text, [-1])
        if tf.executing_eagerly():
            ids = self._compiled.tokenize(texts)
        else:
            ids = self._tokenize(texts)
        return ids.flat_values if single else ids

    def _tokenize(self, texts):
        if self.add_prefix_space:
            texts = tf.strings.join([" ", texts])
        if not self.special_tokens:
            return self._tokenize_plain(texts)
        parts = _regex_split(texts, self._special_pattern)  # (N, P)
        flat = parts.flat_values
        special = tf.strings.regex_full_match(flat, self._special_pattern)
        plain = self._tokenize_plain(tf.boolean_mask(flat, ~special))
        lengths = tf.tensor_scatter_nd_update(
            tf.ones_like(flat, tf.int64),
            tf.where(~special),
            plain.row_lengths(),
        )
        starts = tf.cumsum(lengths, exclusive=True)
        plain_positions = tf.gather(
            tf.boolean_mask(starts, ~special), plain.value_rowids()
        ) + (
            tf.range(tf.size(plain.flat_values, tf.int64))
            - tf.gather(plain.row_starts(), plain.value_rowids())
        )
        total = tf.reduce_sum(lengths)
        values = tf.scatter_nd(
            plain_positions[:, None], plain.flat_values, [total]
        ) + tf.scatter_nd(
            tf.boolean_mask(starts, special)[:, None],
            self._token_table.lookup(tf.boolean_mask(flat, special)),
            [total],
        )
        by_part = tf.RaggedTensor.from_row_lengths(values, lengths)
        return _merge_inner(parts.with_flat_values(by_part))

    def _pre_tokenize(self, texts):
        """`[N]` strings -> ragged `[N, None]` pre-tokens."""
        digits = (
            _regex_split(texts, r"\p{N}") if self.pre_tokenizer == "smollm" else None
        )
        units = texts if digits is None else digits.flat_values
        runs = _regex_split(units, f"[{_SPACE}]+")
        words = _merge_inner(_regex_split(_give_last_space(runs), _BYTE_LEVEL))
        if digits is not None:
            words = _merge_inner(digits.with_flat_values(words))
        return words

    def _tokenize_plain(self, texts):
        """`[N]` strings without special tokens -> ragged `[N, None]` ids."""
        words = self._pre_tokenize(texts)
        unique, index = tf.unique(words.flat_values)
        pieces = tf.strings.split(self._merge(unique), " ")
        ids = self._token_table.lookup(pieces)
        by_word = tf.gather(ids, index)
        return _merge_inner(words.with_flat_values(by_word))

    def _merge(self, words):
        """`[U]` distinct pre-tokens -> `[U]` strings of BPE tokens, space-separated.

        All words are merged at once: each round finds, in every word, the
        lowest-ranked adjacent pair and merges its first occurrence (which is
        how `tokenizers` orders equal ranks), then drops finished words.
        """
        symbols = self._byte_table.lookup(tf.strings.bytes_split(words))
        done = tf.fill(tf.shape(words), "")

        def step(values, lengths, active, done):
            ragged = tf.RaggedTensor.from_row_lengths(values, lengths)
            left, right = ragged[:, :-1], ragged[:, 1:]
            ranks = left.with_flat_values(
                self._merge_table.lookup(
                    tf.strings.join([left.flat_values, right.flat_values], " ")
                )
            )
            best = tf.reduce_min(ranks, axis=1)
            finished = tf.equal(best, _NO_MERGE)
            done = tf.tensor_scatter_nd_update(
                done,
                tf.boolean_mask(active, finished)[:, None],
                tf.strings.reduce_join(
                    tf.ragged.boolean_mask(ragged, finished), axis=1, separator=" "
                ),
            )
            ragged = tf.ragged.boolean_mask(ragged, ~finished)
            ranks = tf.ragged.boolean_mask(ranks, ~finished)
            best = tf.boolean_mask(best, ~finished)
            rows = ragged.value_rowids()
            local = tf.range(tf.size(ragged.flat_values, tf.int64)) - tf.gather(
                ragged.row_starts(), rows
            )
            pair_rows = ranks.value_rowids()
            pair_local = tf.range(tf.size(ranks.flat_values, tf.int64)) - tf.gather(
                ranks.row_starts(), pair_rows
            )
            at_best = tf.equal(ranks.flat_values, tf.gather(best, pair_rows))
            first = tf.math.unsorted_segment_min(
                tf.where(at_best, pair_local, tf.int64.max),
                pair_rows,
                tf.shape(best, tf.int64)[0],
            )
            position = tf.gather(first, rows)
            flat = ragged.flat_values
            following = tf.concat([flat, [""]], axis=0)[1:]
            merged = tf.where(
                tf.equal(local, position), tf.strings.join([flat, following]), flat
            )
            keep = tf.not_equal(local, position + 1)
            return (
                tf.boolean_mask(merged, keep),
                ragged.row_lengths() - 1,
                tf.boolean_mask(active, ~finished),
                done,
            )

        _, _, _, done = tf.while_loop(
            lambda values, lengths, active, done: tf.size(active) > 0,
            step,
            (
                symbols.flat_values,
                symbols.row_lengths(),
                tf.range(tf.shape(words, tf.int64)[0]),
                done,
            ),
            shape_invariants=(
                tf.TensorShape([None]),
                tf.TensorShape([None]),
                tf.TensorShape([None]),
                tf.TensorShape([None]),
            ),
        )
        return done

    def detokenize(self, token_ids):
        """Turns ids back into text (special tokens as they are written).

        Args:
            token_ids: `[T]` or `[B, T]` int tensor (or a ragged batch). Ids
                outside the vocabulary give nothing.

        Returns:
            A scalar string tensor, or `[B]` strings: UTF-8 bytes, which may
            end inside a character when the ids stop there.
        """
        token_ids = tf.cast(token_ids, tf.int32)
        if isinstance(token_ids, tf.RaggedTensor):
            pieces = token_ids.with_flat_values(self._bytes_of(token_ids.flat_values))
        else:
            pieces = self._bytes_of(token_ids)
        return tf.strings.reduce_join(pieces, axis=-1)

    def _bytes_of(self, ids):
        known = (ids >= 0) & (ids < self.vocabulary_size)
        return tf.where(
            known, tf.gather(self._token_bytes, tf.where(known, ids, 0)), ""
        )

    def encode(self, text):
        """Tokenizes one Python string into a NumPy array of int32 ids.

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
            str; a character cut by the end of the ids becomes `�`.
        """
        ids = tf.constant(np.asarray(token_ids, np.int32).reshape(-1))
        return self.detokenize(ids).numpy().decode("utf-8", errors="replace")

    def unknown(self, text):
        """The pieces of `text` outside the vocabulary: none, in byte-level BPE.

        Args:
            text: str.

        Returns:
            `[]`.
        """
        return []

    def get_config(self):
        return super().get_config() | {
            "vocabulary": self.vocabulary,
            "merges": self.merges,
            "special_tokens": self.special_tokens,
            "pre_tokenizer": self.pre_tokenizer,
            "add_prefix_space": self.add_prefix_space,
        }


class _Compiled:
    """The traced tokenizer for eager calls, out of Keras' and SavedModel's sight."""

    def __init__(self, tokenize):
        self.tokenize = tokenize


def _in_id_order(vocabulary):
    ordered = sorted(vocabulary.items(), key=lambda item: item[1])
    ids = [index for _, index in ordered]
    if ids != list(range(len(ids))):
        raise ValueError("The vocabulary's ids are not 0, 1, ..., n - 1.")
    return [token for token, _ in ordered]


def pre_tokenizer_name(spec):
    """lmzoo's name for a `tokenizer.json` pre-tokenizer.

    Args:
        spec: the `pre_tokenizer` object of a `tokenizer.json`.

    Returns:
        `"gpt2"` or `"smollm"`.

    Raises:
        ValueError: any other pre-tokenizer, named.

    Example:
    >>> pre_tokenizer_name({"type": "ByteLevel", "use_regex": True})
    'gpt2'
    """
    steps = spec.get("pretokenizers", [spec]) if spec else []
    kinds = [
        (step.get("type"), step.get("individual_digits"), step.get("use_regex", True))
        for step in steps
    ]
    if kinds == [("ByteLevel", None, True)]:
        return "gpt2"
    if kinds == [("Digits", True, True), ("ByteLevel", None, True)]:
        return "smollm"
    raise ValueError(
        f"Unsupported pre-tokenizer {json.dumps(spec)}; lmzoo reads "
        f"{'; '.join(PRE_TOKENIZERS.values())}."
    )


def _tokenizer_json_arguments(path):
    spec = json.loads(path.read_text(encoding="utf-8"))
    model = spec.get("model", {})
    if (
        model.get("type") != "BPE"
        or (spec.get("decoder") or {}).get("type") != "ByteLevel"
    ):
        raise ValueError(
            f"{path}: lmzoo reads byte-level BPE tokenizers; this one is a "
            f"{model.get('type')} model with a "
            f"{(spec.get('decoder') or {}).get('type')} decoder."
        )
    vocabulary = dict(model["vocab"])
    for token in spec.get("added_tokens", []):
        vocabulary.setdefault(token["content"], token["id"])
    byte_level = [
        step
        for step in (
            spec["pre_tokenizer"].get("pretokenizers") or [spec["pre_tokenizer"]]
        )
        if step.get("type") == "ByteLevel"
    ]
    return {
        "vocabulary": _in_id_order(vocabulary),
        "merges": model["merges"],
        "special_tokens": [token["content"] for token in spec.get("added_tokens", [])],
        "pre_tokenizer": pre_tokenizer_name(spec["pre_tokenizer"]),
        "add_prefix_space": bool(byte_level and byte_level[0].get("add_prefix_space")),
    }

"""What a training run starts from: the corpus, its tokenizer, batch sizes."""

import dataclasses

from lmzoo.data import Corpus, load_corpus

PREFIXES = {"validation": "val"}


def evaluation_batch_size(sequence_length, vocabulary_size, batch_size):
    """A large evaluation batch whose float32 logits stay under 256 MB.

    Args:
        sequence_length: int.
        vocabulary_size: int.
        batch_size: int. The training batch, the smallest size used.

    Returns:
        int, between `batch_size` and 256.

    Example:
    >>> evaluation_batch_size(128, 66, 32), evaluation_batch_size(128, 33_278, 16)
    (256, 16)
    """
    fits = (1 << 26) // (sequence_length * vocabulary_size)
    return max(batch_size, min(fits, 256))


def default_eval_tokens(vocabulary_size):
    """Validation tokens behind each learning-curve point, by vocabulary size.

    32,768 tokens, fewer for a large vocabulary (whose softmax makes each
    token dearer): `2**28 / vocabulary_size`, at least 4,096.

    Args:
        vocabulary_size: int.

    Returns:
        int.

    Example:
    >>> [default_eval_tokens(size) for size in (66, 10_000, 33_278)]
    [32768, 26843, 8066]
    """
    return max(4096, min(32_768, (1 << 28) // vocabulary_size))


def prepare_corpus(corpus, data_dir=None, level=None, split=None):
    """A `Corpus` from what `train_preset` and `compare` accept.

    Args:
        corpus: a `Corpus` or anything `load_corpus` takes.
        data_dir: optional data folder for `load_corpus`.
        level: optional `"char"` or `"word"`, replacing the corpus default.
        split: optional split kind for a single text file (`load_corpus`).

    Returns:
        A `Corpus`.

    Example:
    >>> prepare_corpus(Corpus("toy", "char", {"train": "a b", "validation": "b"}),
    ...                level="word").level
    'word'
    """
    if not isinstance(corpus, Corpus):
        return load_corpus(corpus, data_dir=data_dir, level=level, split=split)
    return corpus if level is None else dataclasses.replace(corpus, level=level)


def build_tokenizer(corpus, max_vocabulary=None):
    """The corpus' tokenizer, its vocabulary capped for word level.

    Args:
        corpus: a `Corpus`.
        max_vocabulary: optional int. Word level: keep the most frequent
            words, this many ids in all; the rest become `<unk>`.

    Returns:
        A tokenizer.

    Example:
    >>> corpus = Corpus("toy", "word", {"train": "a a b c\\n", "validation": "a"})
    >>> build_tokenizer(corpus, max_vocabulary=3).vocabulary
    ['a', '<eos>']
    """
    if max_vocabulary is None:
        return corpus.build_tokenizer()
    if corpus.level != "word":
        raise ValueError(
            f"max_vocabulary caps a word vocabulary; corpus {corpus.name!r} is "
            f"{corpus.level} level (pass level='word')."
        )
    return corpus.build_tokenizer(max_vocabulary_size=max_vocabulary)


def unknown_shares(tokenizer, split_ids):
    """Share of `<unk>` ids in each split, keyed like the other results.

    Args:
        tokenizer: the tokenizer the ids came from.
        split_ids: dict of split name -> 1-D ids.

    Returns:
        dict such as `{"train_unknown_share": 0.0, "val_unknown_share": 0.02}`.
    """
    return {
        f"{PREFIXES.get(split, split)}_unknown_share": float(
            (ids == tokenizer.oov_id).mean()
        )
        for split, ids in split_ids.items()
    }

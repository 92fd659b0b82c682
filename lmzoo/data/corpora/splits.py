"""How a corpus comes in splits: files named for them, or one text cut in two."""

import pathlib
import re

import numpy as np

SPLIT_NAMES = {
    "train": ("train",),
    "validation": ("valid", "validation"),
    "test": ("test",),
}
SUFFIXES = (".txt", ".tokens")
SPLIT_KINDS = ("tail", "lines")


def _split_of(path):
    name = path.name.removesuffix(".gz")
    stem, suffix = (name.rsplit(".", 1) + [""])[:2] if "." in name else (name, "")
    if f".{suffix}" not in SUFFIXES and suffix:
        return None
    words = set(re.split(r"[._\-]", stem))
    for split, aliases in SPLIT_NAMES.items():
        if words & set(aliases):
            return split
    return None


def find_split_files(folder):
    """The split files in a folder: `train`, `valid`/`validation` and `test`.

    A file belongs to a split when a dot-, dash- or underscore-separated part
    of its name is the split's name and it ends in `.txt`, `.tokens` or no
    suffix, optionally followed by `.gz`: `train.txt`, `valid.tokens.gz`,
    `wiki.test.tokens`, `ptb.train.txt`.

    Args:
        folder: path of the folder.

    Returns:
        dict of split name -> `pathlib.Path`.

    Raises:
        ValueError: there is no training file, or two files claim one split.

    Example:
    >>> import tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("wiki.train.tokens", "wiki.valid.tokens", "notes.md"):
    ...     _ = (folder / name).write_text("text")
    >>> sorted((split, path.name) for split, path in find_split_files(folder).items())
    [('train', 'wiki.train.tokens'), ('validation', 'wiki.valid.tokens')]
    """
    folder = pathlib.Path(folder)
    found = {}
    for path in sorted(folder.iterdir()):
        split = _split_of(path) if path.is_file() else None
        if split is None:
            continue
        if split in found:
            raise ValueError(
                f"{folder} has two {split} files: {found[split].name} and "
                f"{path.name}; keep one, or pass train=, validation=, test=."
            )
        found[split] = path
    if "train" not in found:
        raise ValueError(
            f"{folder} has no training file: expected a name such as train.txt, "
            "train.tokens or wiki.train.tokens (optionally .gz)."
        )
    return found


def looks_like_lines(text):
    """Whether a text is a file of independent lines rather than a running text.

    Independent lines: most lines hold a tab (sentence pairs, records), or the
    lines are sorted by length (the last tenth is on average half again as
    long as the rest), as Tatoeba's files are. A running text (a play, an
    article) is neither.

    Args:
        text: str.

    Returns:
        bool.

    Example:
    >>> looks_like_lines("".join(f"{'w ' * (n // 10 + 1)}\\n" for n in range(200)))
    True
    >>> looks_like_lines("To be, or not to be:\\nthat is the question.\\n" * 100)
    False
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 20:
        return False
    if sum("\t" in line for line in lines) >= 0.9 * len(lines):
        return True
    lengths = np.array([len(line) for line in lines], np.float64)
    tail = max(len(lines) // 10, 1)
    return bool(lengths[-tail:].mean() > 1.5 * lengths[:-tail].mean())


def split_text(text, kind=None, validation_fraction=0.1, seed=0):
    """Cuts one text into train and validation.

    Args:
        text: str.
        kind: `"tail"`: the last `validation_fraction` of the text (right for
            a running text, and nanoGPT's split of tiny Shakespeare);
            `"lines"`: a seeded shuffle of the lines, the last fraction of
            them for validation (right for independent lines, which may be
            sorted); `None`: `"lines"` when `looks_like_lines(text)`, else
            `"tail"`.
        validation_fraction: float in (0, 1). Defaults to `0.1`.
        seed: int. Seeds the shuffle of lines. Defaults to `0`.

    Returns:
        dict with `"train"` and `"validation"` texts.

    Example:
    >>> split_text("abcdefghij", kind="tail", validation_fraction=0.2)
    {'train': 'abcdefgh', 'validation': 'ij'}
    """
    if not 0 < validation_fraction < 1:
        raise ValueError(
            f"validation_fraction must be in (0, 1), got {validation_fraction}."
        )
    kind = kind or ("lines" if looks_like_lines(text) else "tail")
    if kind not in SPLIT_KINDS:
        raise ValueError(f"Unknown split {kind!r}; use one of {SPLIT_KINDS}.")
    if kind == "tail":
        boundary = int(len(text) * (1.0 - validation_fraction))
        return {"train": text[:boundary], "validation": text[boundary:]}
    lines = text.splitlines(keepends=True)
    order = np.random.default_rng(seed).permutation(len(lines))
    boundary = int(len(lines) * (1.0 - validation_fraction))
    return {
        "train": "".join(lines[i] for i in order[:boundary]),
        "validation": "".join(lines[i] for i in order[boundary:]),
    }

"""Sentence pairs for translation: a `source<TAB>target` file and its split."""

import gzip
import hashlib
import pathlib

SPLITS = ("train", "validation", "test")


def read_pairs(path, direction="forward"):
    """Reads a two-column `first<TAB>second` file, gzipped or not.

    Tatoeba's files (manythings.org/anki) have English first; newer releases
    add a third column with the attribution, which is ignored.

    Args:
        path: str or path; a name ending in `.gz` is read through gzip.
        direction: `"forward"` (first column is the source) or `"reverse"`.

    Returns:
        list of `(source, target)` string pairs, in file order.

    Raises:
        ValueError: the file is empty, not UTF-8, or a line has no tab or an
            empty side; the message names the file and the line.

    Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pairs.txt"
    >>> _ = path.write_text("Hi.\\tHola.\\nGo.\\tVete.\\n", encoding="utf-8")
    >>> read_pairs(path, "reverse")
    [('Hola.', 'Hi.'), ('Vete.', 'Go.')]
    """
    if direction not in ("forward", "reverse"):
        raise ValueError(
            f"direction must be 'forward' or 'reverse', got {direction!r}."
        )
    path = pathlib.Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    pairs = []
    with opener(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise ValueError(
                    f"{path}, line {number}: not UTF-8 ({error.reason} at byte "
                    f"{error.start} of the line)."
                ) from None
            if not line.strip():
                continue
            columns = line.split("\t")
            if len(columns) < 2 or not columns[0].strip() or not columns[1].strip():
                raise ValueError(
                    f"{path}, line {number}: expected 'source<TAB>target', got "
                    f"{line[:60]!r}."
                )
            first, second = columns[0].strip(), columns[1].strip()
            pairs.append((first, second) if direction == "forward" else (second, first))
    if not pairs:
        raise ValueError(f"{path} holds no sentence pairs.")
    return pairs


def split_of(source, validation_share=0.05, test_share=0.05):
    """The split a source sentence belongs to, from a stable hash of its text.

    The same sentence always lands in the same split, on any machine and in
    any Python process, so a source that appears with several translations
    never sits in two splits.

    Args:
        source: str.
        validation_share: float. Defaults to `0.05`.
        test_share: float. Defaults to `0.05`.

    Returns:
        `"train"`, `"validation"` or `"test"`.

    Example:
    >>> split_of("Where is the station?") == split_of("Where is the station?")
    True
    """
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    if fraction < test_share:
        return "test"
    if fraction < test_share + validation_share:
        return "validation"
    return "train"


def split_pairs(pairs, validation_share=0.05, test_share=0.05):
    """Splits pairs by `split_of` their source sentence.

    Args:
        pairs: list of `(source, target)` pairs.
        validation_share: float. Defaults to `0.05`.
        test_share: float. Defaults to `0.05`.

    Returns:
        dict `split name -> list of pairs`, each in the input order.

    Example:
    >>> splits = split_pairs([("Hi.", "Hola."), ("Hi.", "Buenas."), ("Go.", "Ve.")])
    >>> sorted(len(pairs) for pairs in splits.values())
    [0, 1, 2]
    """
    if min(validation_share, test_share) < 0 or validation_share + test_share >= 1:
        raise ValueError("validation_share and test_share must be >= 0, sum < 1.")
    splits = {name: [] for name in SPLITS}
    for pair in pairs:
        splits[split_of(pair[0], validation_share, test_share)].append(pair)
    return splits


def references_by_source(pairs):
    """Groups pairs by source: each source once, with all of its translations.

    Tatoeba gives many sentences several translations ("Go." -> "Vete.",
    "Vaya.", "Váyase."); BLEU scores a system's one output against all of
    them.

    Args:
        pairs: list of `(source, target)` pairs.

    Returns:
        `(sources, references)`: the distinct sources in first-seen order,
        and for each the list of its targets.

    Example:
    >>> references_by_source([("Go.", "Vete."), ("Hi.", "Hola."), ("Go.", "Vaya.")])
    (['Go.', 'Hi.'], [['Vete.', 'Vaya.'], ['Hola.']])
    """
    grouped = {}
    for source, target in pairs:
        grouped.setdefault(source, []).append(target)
    return list(grouped), list(grouped.values())

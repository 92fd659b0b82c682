"""Tagged sentences in the CoNLL-2003 layout: one word per line, its tag last."""

from lmzoo.data.corpora.files import read_text

CONLL2003_TAGS = (
    "O",
    "B-PER",
    "I-PER",
    "B-ORG",
    "I-ORG",
    "B-LOC",
    "I-LOC",
    "B-MISC",
    "I-MISC",
)


def read_conll(path, tags=CONLL2003_TAGS):
    """Reads sentences and their tags, naming the line of any bad row.

    A line holds a word, optional columns (part of speech, chunk) and the
    tag, separated by spaces; a blank line ends a sentence and
    `-DOCSTART-` lines are skipped.

    Args:
        path: the file (a `.gz` copy is read too).
        tags: the allowed tags, in id order. Defaults to CoNLL-2003's IOB2
            tags (`"O"` first).

    Returns:
        A list of `(words, tag_ids)` pairs, one per sentence, each a list.

    Raises:
        ValueError: a line with a single field, or a tag outside `tags`; the
            message names the file and the line.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "train.txt"
    >>> _ = path.write_text("-DOCSTART- -X- -X- O\\n\\nEU NNP B-NP B-ORG\\n"
    ...                     "rejects VBZ B-VP O\\n\\nPeter NNP B-NP B-PER\\n")
    >>> read_conll(path)
    [(['EU', 'rejects'], [3, 0]), (['Peter'], [1])]
    >>> _ = path.write_text("EU NNP B-NP B-CORP\\n")
    >>> read_conll(path)
    Traceback (most recent call last):
    ...
    ValueError: ...train.txt, line 1: the tag 'B-CORP' is not one of O, B-PER, ...
    """
    tag_ids = {tag: index for index, tag in enumerate(tags)}
    sentences, words, labels = [], [], []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if words:
                sentences.append((words, labels))
            words, labels = [], []
            continue
        if len(fields) < 2:
            raise ValueError(
                f"{path}, line {number}: expected a word and its tag separated by "
                f"a space, got {line.strip()!r}."
            )
        if fields[-1] not in tag_ids:
            raise ValueError(
                f"{path}, line {number}: the tag {fields[-1]!r} is not one of "
                f"{', '.join(tags)}."
            )
        words.append(fields[0])
        labels.append(tag_ids[fields[-1]])
    if words:
        sentences.append((words, labels))
    return sentences

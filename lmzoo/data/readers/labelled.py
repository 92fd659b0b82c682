"""Labelled sentences from a tab-separated file with a header (GLUE's layout)."""

import numpy as np

from lmzoo.data.corpora.files import read_text


def read_labelled_tsv(path, text_column="sentence", label_column="label", labels=None):
    """Reads sentences and integer labels, naming the line of any bad row.

    The first line is the header; it must name `text_column` and
    `label_column`. Each other line has as many tab-separated fields as the
    header. GLUE's SST-2 (`sentence<TAB>label`) is read as it is.

    Args:
        path: the `.tsv` file (a `.gz` copy is read too).
        text_column: str. Defaults to `"sentence"`.
        label_column: str. Defaults to `"label"`.
        labels: optional collection of the allowed integer labels.

    Returns:
        `(sentences, labels)`: a list of str and an int64 NumPy array.

    Raises:
        ValueError: a missing column, a line with the wrong number of fields,
            an empty sentence, or a label that is not an allowed integer;
            the message names the file and the line.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "train.tsv"
    >>> _ = path.write_text("sentence\\tlabel\\ngood fun\\t1\\ndull\\t0\\n")
    >>> read_labelled_tsv(path)
    (['good fun', 'dull'], array([1, 0]))
    >>> _ = path.write_text("sentence\\tlabel\\ngood fun\\t1\\ndull\\n")
    >>> read_labelled_tsv(path)
    Traceback (most recent call last):
    ...
    ValueError: ...train.tsv, line 3: expected 2 tab-separated fields (sentence, ...
    """
    lines = read_text(path).splitlines()
    if not lines:
        raise ValueError(f"{path} is empty; expected a header line.")
    header = lines[0].split("\t")
    for column in (text_column, label_column):
        if column not in header:
            raise ValueError(
                f"{path}, line 1: the header {header} has no column {column!r}."
            )
    text_index, label_index = header.index(text_column), header.index(label_column)
    allowed = None if labels is None else {int(label) for label in labels}
    sentences, values = [], []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise ValueError(
                f"{path}, line {number}: expected {len(header)} tab-separated "
                f"fields ({', '.join(header)}), got {len(fields)}."
            )
        text, label = fields[text_index].strip(), fields[label_index].strip()
        if not text:
            raise ValueError(f"{path}, line {number}: the {text_column} is empty.")
        try:
            value = int(label)
        except ValueError:
            raise ValueError(
                f"{path}, line {number}: the label {label!r} is not an integer."
            ) from None
        if allowed is not None and value not in allowed:
            raise ValueError(
                f"{path}, line {number}: the label {value} is not one of "
                f"{sorted(allowed)}."
            )
        sentences.append(text)
        values.append(value)
    return sentences, np.asarray(values, "int64")

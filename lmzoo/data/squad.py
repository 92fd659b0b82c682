"""Question-answering records in SQuAD's JSON layout, answers as word spans."""

import dataclasses
import json

from lmzoo.data.files import read_text


@dataclasses.dataclass(frozen=True)
class SpanRecord:
    """One question over a context, its answer a span of whitespace words.

    Attributes:
        id: the question's id.
        question: str.
        words: the context's whitespace-separated words.
        start_word: index of the answer's first word.
        end_word: index of the answer's last word.
        answer: the answer text as given.
    """

    id: str
    question: str
    words: list
    start_word: int
    end_word: int
    answer: str


def _word_span(context, start, text):
    """Indices of the whitespace words that hold `context[start:start+len(text)]`."""
    end = start + len(text)
    words, first, last, offset = context.split(), None, None, 0
    for index, word in enumerate(words):
        offset = context.index(word, offset)
        if first is None and offset + len(word) > start:
            first = index
        if offset < end:
            last = index
        offset += len(word)
    return words, first, last


def read_squad(path):
    """Reads SQuAD-layout records, each answer as a span of context words.

    The layout: `{"data": [{"paragraphs": [{"context": str, "qas": [{"id",
    "question", "answers": [{"text", "answer_start"}]}]}]}]}`. The first
    answer of each question is used; `answer_start` is a character offset
    into the context.

    Args:
        path: the `.json` file.

    Returns:
        A list of `SpanRecord`.

    Raises:
        ValueError: the file is not JSON in this layout, or an answer's
            text is not at its `answer_start`; the message names the
            question.

    Example:
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "qa.json"
    >>> _ = path.write_text(json.dumps({"data": [{"paragraphs": [{
    ...     "context": "Bob lives in Rome .", "qas": [{"id": "q1",
    ...     "question": "Where does Bob live?",
    ...     "answers": [{"text": "Rome", "answer_start": 13}]}]}]}]}))
    >>> record = read_squad(path)[0]
    >>> record.words[record.start_word : record.end_word + 1]
    ['Rome']
    """
    try:
        data = json.loads(read_text(path))["data"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not SQuAD-layout JSON ({error}).") from None
    records = []
    for article in data:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                if not qa.get("answers"):
                    raise ValueError(f"{path}: question {qa['id']!r} has no answer.")
                answer = qa["answers"][0]
                start, text = int(answer["answer_start"]), answer["text"]
                if context[start : start + len(text)] != text:
                    raise ValueError(
                        f"{path}: question {qa['id']!r}: the answer {text!r} is not "
                        f"at character {start} of its context."
                    )
                words, first, last = _word_span(context, start, text)
                records.append(
                    SpanRecord(qa["id"], qa["question"], words, first, last, text)
                )
    return records

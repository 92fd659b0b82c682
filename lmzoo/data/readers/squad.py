"""Question-answering records in SQuAD's JSON layout, answers as word spans."""

import dataclasses
import json

import numpy as np

from lmzoo.data.corpora.files import read_text


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


def pack_span_records(tokenizer, records, sequence_length):
    """Packs records for `BertSpanQA.fit`: inputs and answer piece positions.

    Args:
        tokenizer: a `WordPieceTokenizer`.
        records: a list of `SpanRecord`.
        sequence_length: int.

    Returns:
        `(features, targets)`: the packed `[N, sequence_length]` features,
        and `{"start_logits", "end_logits"}` int32 `[N]` positions (the
        first piece of the answer's first word, the last piece of its last
        word).

    Raises:
        ValueError: an answer falls past `sequence_length`; the message
            names the question.
    """
    from lmzoo.data.tokenizers.word_packing import pack_words

    packed = pack_words(
        tokenizer,
        [record.words for record in records],
        sequence_length,
        questions=[record.question for record in records],
    )
    starts, ends = [], []
    for record, first, last in zip(
        records, packed.first_piece, packed.last_piece, strict=True
    ):
        start, end = first[record.start_word], last[record.end_word]
        if start < 0 or end < 0:
            raise ValueError(
                f"The answer of question {record.id!r} lies past "
                f"sequence_length={sequence_length}."
            )
        starts.append(start)
        ends.append(end)
    targets = {
        "start_logits": np.asarray(starts, "int32"),
        "end_logits": np.asarray(ends, "int32"),
    }
    return packed.features, targets

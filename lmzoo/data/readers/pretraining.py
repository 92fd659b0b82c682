"""BERT pre-training examples: documents, sentence pairs, masked batches."""

import re

import numpy as np
import tensorflow as tf

from lmzoo.data.batching import length_bucketed
from lmzoo.data.masking import masked_lm_dataset

_HEADING = re.compile(r"^ = [^=].* = $")
_JOINERS = {" @-@ ": "-", " @,@ ": ",", " @.@ ": "."}
_SENTENCE_END = re.compile(r"(?<= [.!?]) ")

IS_NEXT, IS_RANDOM = 0, 1


def wikitext_documents(text):
    """Splits WikiText at its ` = Title = ` headings into documents of sentences.

    WikiText's tokenisation is undone where it split words (`@-@`, `@,@`,
    `@.@`), `<unk>` is dropped, section headings (`= = Section = =`) are
    skipped, and paragraphs are cut into sentences after ` . `, ` ! ` and
    ` ? `.

    Args:
        text: str, a WikiText file.

    Returns:
        A list of documents, each a list of sentences (str).

    Example:
    >>> text = (" = Apollo = \\n \\n He flew @-@ far . He came back . \\n"
    ...         " = = Later = = \\n It rained . \\n = Zeus = \\n Thunder <unk> . \\n")
    >>> wikitext_documents(text)
    [['He flew-far .', 'He came back .', 'It rained .'], ['Thunder .']]
    """
    documents, sentences = [], []
    for line in text.splitlines():
        if _HEADING.match(line):
            if sentences:
                documents.append(sentences)
            sentences = []
            continue
        line = line.strip()
        if not line or line.startswith("= "):
            continue
        line = " " + " ".join(word for word in line.split() if word != "<unk>") + " "
        for joiner, joined in _JOINERS.items():
            line = line.replace(joiner, joined).replace(joiner.strip(), joined)
        line = line.strip()
        sentences += [part for part in _SENTENCE_END.split(line) if part.strip()]
    if sentences:
        documents.append(sentences)
    return documents


def sentence_pairs(documents, seed=0, random_rate=0.5):
    """Next-sentence pairs: each sentence with its successor or a random one.

    For every sentence that has a successor in its document, the second
    segment is, with probability `random_rate`, a sentence drawn from
    another document (label `IS_RANDOM`, 1), else the true next sentence
    (label `IS_NEXT`, 0): BERT's and Hugging Face's convention.

    Args:
        documents: a list of documents, each a list of sentences (at least
            two documents).
        seed: int.
        random_rate: float. Defaults to `0.5`.

    Returns:
        `(first, second, labels)`: two lists of str and an int32 array.

    Raises:
        ValueError: fewer than two documents.

    Example:
    >>> docs = [["a1", "a2", "a3"], ["b1", "b2"]]
    >>> first, second, labels = sentence_pairs(docs, seed=1)
    >>> first, labels.tolist()
    (['a1', 'a2', 'b1'], [0, 0, 1])
    >>> second[:2], second[2] in ("a1", "a2", "a3")
    (['a2', 'a3'], True)
    """
    if len(documents) < 2:
        raise ValueError(
            f"Next-sentence pairs need at least two documents, got {len(documents)}."
        )
    rng = np.random.default_rng(seed)
    first, second, labels = [], [], []
    for index, sentences in enumerate(documents):
        for position in range(len(sentences) - 1):
            first.append(sentences[position])
            if rng.random() < random_rate:
                other = int(rng.integers(len(documents) - 1))
                other += other >= index
                choices = documents[other]
                second.append(choices[int(rng.integers(len(choices)))])
                labels.append(IS_RANDOM)
            else:
                second.append(sentences[position + 1])
                labels.append(IS_NEXT)
    return first, second, np.asarray(labels, "int32")


def pretraining_dataset(pairs, preprocessor, masker, batch_size, seed=0, shuffle=True):
    """Masked, length-grouped batches of sentence pairs for `BertPretrainer.fit`.

    Pairs are packed (`[CLS] a [SEP] b [SEP]`), grouped by length and cut
    (`length_bucketed`), then masked anew on every pass (`masked_lm_dataset`).

    Args:
        pairs: `(first, second, labels)` as `sentence_pairs` returns them.
        preprocessor: a `BertPreprocessor`.
        masker: a `MaskedLMMasker`.
        batch_size: int.
        seed: int. Seeds the shuffling and the masks.
        shuffle: bool. Shuffle the pairs on every pass. Defaults to `True`.

    Returns:
        A `tf.data.Dataset` of `(features, labels, sample_weight)`, the
        labels and weights dicts keyed `"mlm_logits"` and `"nsp_logits"`.
    """
    first, second, labels = pairs
    examples = tf.data.Dataset.from_tensor_slices(
        (tf.constant(first), tf.constant(second), labels)
    )
    examples = examples.batch(1024).map(
        lambda a, b, y: preprocessor((a, b), y), num_parallel_calls=tf.data.AUTOTUNE
    )
    batches = length_bucketed(
        examples.unbatch(), batch_size, shuffle_seed=seed if shuffle else None
    )
    return masked_lm_dataset(batches, masker, seed)

"""Corpus BLEU with sacreBLEU, against one or several references per sentence."""


def corpus_bleu(hypotheses, references):
    """sacreBLEU's corpus BLEU (13a tokenization, case-sensitive), 0 to 100.

    Args:
        hypotheses: list of N output strings.
        references: list of N lists of reference strings; sentences may have
            different numbers of references (Tatoeba gives some sources
            several translations).

    Returns:
        float.

    Example:
    >>> corpus_bleu(["the cat sat on the mat"], [["the cat sat on the mat"]])
    100.0
    >>> round(corpus_bleu(["the cat sat on a mat"],
    ...                   [["a cat sat on the mat", "the cat sat on a mat"]]), 1)
    100.0
    """
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(
            f"{len(hypotheses)} hypotheses for {len(references)} reference lists."
        )
    if any(not refs for refs in references):
        raise ValueError("Every hypothesis needs at least one reference.")
    most = max(len(refs) for refs in references)
    streams = [
        [refs[index] if index < len(refs) else None for refs in references]
        for index in range(most)
    ]
    return round(float(sacrebleu.corpus_bleu(hypotheses, streams).score), 10)

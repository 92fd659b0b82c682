"""Entity-level precision, recall and F1 of tag sequences, scored by seqeval."""


def entity_scores(true_tags, predicted_tags):
    """Scores predicted IOB2 tags by whole entities, as CoNLL-2003 is scored.

    An entity counts as found only when its type and both its ends match
    (seqeval's strict IOB2 mode).

    Args:
        true_tags: a list of sentences, each a list of tags (`"B-PER"`, `"O"`).
        predicted_tags: the same shape.

    Returns:
        A dict: `"f1"`, `"precision"`, `"recall"` (micro, in percent) and
        `"per_type"`, a dict `type -> {"precision", "recall", "f1",
        "support"}`.

    Raises:
        ValueError: the two do not have the same number of tags per sentence.

    Example:
    >>> true = [["B-PER", "I-PER", "O", "B-LOC"]]
    >>> scores = entity_scores(true, [["B-PER", "I-PER", "O", "O"]])
    >>> scores["precision"], scores["recall"], round(scores["f1"], 2)
    (100.0, 50.0, 66.67)
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    for row, (true, predicted) in enumerate(
        zip(true_tags, predicted_tags, strict=True)
    ):
        if len(true) != len(predicted):
            raise ValueError(
                f"Sentence {row} has {len(true)} true tags but {len(predicted)} "
                "predicted."
            )
    report = classification_report(
        true_tags,
        predicted_tags,
        mode="strict",
        scheme=IOB2,
        output_dict=True,
        zero_division=0,
    )
    micro = report.pop("micro avg")
    per_type = {
        kind: {
            "precision": _percent(values["precision"]),
            "recall": _percent(values["recall"]),
            "f1": _percent(values["f1-score"]),
            "support": int(values["support"]),
        }
        for kind, values in report.items()
        if not kind.endswith(" avg")
    }
    return {
        "f1": _percent(micro["f1-score"]),
        "precision": _percent(micro["precision"]),
        "recall": _percent(micro["recall"]),
        "per_type": per_type,
    }


def _percent(share):
    return 100.0 * float(share)

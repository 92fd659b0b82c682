"""BLEU: sacreBLEU wired to hand-computed cases and to grouped references."""

import pytest

from lmzoo.experiments.translation import bleu_scores
from lmzoo.training.bleu import corpus_bleu


def test_corpus_bleu_matches_a_hand_computed_score():
    # 1- to 4-gram precisions 5/6, 3/5, 2/4, 1/3; same length, so no brevity penalty.
    expected = 100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    score = corpus_bleu(["the cat sat on the mat"], [["the cat sat on a mat"]])
    assert score == pytest.approx(expected, abs=1e-6)


def test_a_second_reference_can_only_raise_the_score():
    hypothesis = ["the cat sat on the mat"]
    one = corpus_bleu(hypothesis, [["the cat sat on a mat"]])
    both = corpus_bleu(hypothesis, [["the cat sat on a mat", "the cat sat on the mat"]])
    assert both == 100.0 > one


def test_brevity_penalty_applies():
    # Hypothesis of 4 words against a reference of 8: BP = exp(1 - 8 / 4).
    score = corpus_bleu(["a b c d"], [["a b c d e f g h"]])
    assert score == pytest.approx(100 * 2.718281828 ** (1 - 2), rel=1e-6)


def test_mismatched_lengths_and_missing_references_are_refused():
    with pytest.raises(ValueError, match="2 hypotheses for 1 reference lists"):
        corpus_bleu(["a", "b"], [["a"]])
    with pytest.raises(ValueError, match="at least one reference"):
        corpus_bleu(["a"], [[]])


class _EchoModel:
    """Translates each source into a fixed string, recording what it was given."""

    def __init__(self, outputs):
        self.outputs = outputs
        self.calls = []

    def translate(self, sources, strategy, num_beams, batch_size):
        self.calls.append((list(sources), strategy, num_beams))
        return [self.outputs[source] for source in sources]


def test_bleu_scores_decodes_each_source_once_against_all_its_references():
    pairs = [
        ("Go now.", "the cat sat on a mat"),
        ("Hi there.", "one two three four five"),
        ("Go now.", "the cat sat on the mat"),
    ]
    model = _EchoModel(
        {"Go now.": "the cat sat on the mat", "Hi there.": "one two three four five"}
    )
    scores = bleu_scores(model, pairs)
    assert scores["bleu_greedy"] == scores["bleu_beam4"] == 100.0
    assert [call[1:] for call in model.calls] == [("greedy", 1), ("beam", 4)]
    assert model.calls[0][0] == ["Go now.", "Hi there."]
    assert scores["examples"][0] == (
        "Go now.",
        "the cat sat on the mat",
        ["the cat sat on a mat", "the cat sat on the mat"],
    )

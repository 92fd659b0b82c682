import numpy as np
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from lmzoo.data.masking import MaskedLMMasker, masked_lm_dataset

CLS, SEP, MASK, VOCABULARY = 2, 3, 4, 50


def _masker(**overrides):
    return MaskedLMMasker(
        VOCABULARY, mask_token_id=MASK, unselectable_ids=[CLS, SEP], **overrides
    )


def _batch(lengths, width=40, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.zeros((len(lengths), width), "int32")
    for row, length in enumerate(lengths):
        ids[row, :length] = [CLS, *rng.integers(5, VOCABULARY, length - 2), SEP]
    return {"token_ids": tf.constant(ids), "padding_mask": tf.constant(ids > 0)}


@settings(max_examples=25, deadline=None)
@given(
    lengths=st.lists(st.integers(2, 40), min_size=1, max_size=6),
    seed=st.tuples(st.integers(0, 2**30), st.integers(0, 2**30)),
)
def test_the_quota_of_real_pieces_is_chosen_and_never_cls_sep_or_padding(lengths, seed):
    batch = _batch(lengths)
    features, labels, weights = _masker()(batch, seed=tf.constant(seed))
    ids = batch["token_ids"].numpy()
    chosen = weights.numpy() > 0
    assert not chosen[(ids == CLS) | (ids == SEP) | (ids == 0)].any()
    for row, length in enumerate(lengths):
        selectable = length - 2
        expected = 0 if selectable == 0 else max(1, round(0.15 * selectable))
        assert chosen[row].sum() == expected
    np.testing.assert_array_equal(labels.numpy(), ids)
    hidden = features["token_ids"].numpy()
    np.testing.assert_array_equal(hidden[~chosen], ids[~chosen])
    assert features["padding_mask"] is batch["padding_mask"]


def test_the_80_10_10_rule_holds_over_many_choices():
    batch = _batch([40] * 64)
    ids = batch["token_ids"].numpy()
    masked = replaced = kept = 0
    for step in range(20):
        features, _, weights = _masker()(batch, seed=tf.constant([step, 1]))
        hidden = features["token_ids"].numpy()[weights.numpy() > 0]
        original = ids[weights.numpy() > 0]
        masked += (hidden == MASK).sum()
        kept += (hidden == original).sum()
        replaced += ((hidden != MASK) & (hidden != original)).sum()
        assert not np.isin(hidden[hidden != MASK], [CLS, SEP]).any()
    total = masked + replaced + kept
    assert total == 20 * 64 * round(0.15 * 38)
    # A random replacement equals the original 1 time in 45: "kept" absorbs it.
    assert abs(masked / total - 0.8) < 0.02
    assert abs(replaced / total - 0.1 * 44 / 45) < 0.015
    assert abs(kept / total - (0.1 + 0.1 / 45)) < 0.015


def test_each_pass_masks_differently_and_the_seed_reproduces_the_passes():
    batches = tf.data.Dataset.from_tensors(_batch([30, 20, 12])).repeat(2)

    def passes(seed):
        dataset = masked_lm_dataset(batches, _masker(), seed=seed)
        return [[w.numpy() for _, _, w in dataset] for _ in range(2)]

    first, again = passes(11), passes(11)
    for epoch in range(2):
        for a, b in zip(first[epoch], again[epoch], strict=True):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0][0], first[1][0])
    assert not np.array_equal(first[0][0], first[0][1])


def test_bad_rates_are_named():
    import pytest

    with pytest.raises(ValueError, match="rate must be in \\(0, 1\\], got 0"):
        _masker(rate=0)
    with pytest.raises(
        ValueError, match="random_rate must be in \\[0, 1 - mask_rate\\]"
    ):
        _masker(mask_rate=0.9, random_rate=0.2)

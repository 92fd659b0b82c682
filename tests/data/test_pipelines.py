import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lmzoo.data import language_model_dataset


def _batches(dataset):
    return [tuple(t.numpy() for t in batch) for batch in dataset]


def test_training_targets_are_inputs_shifted_by_one(shakespeare_ids):
    dataset = language_model_dataset(
        shakespeare_ids["train"], 64, 8, shuffle=True, seed=0
    )
    inputs, targets = next(iter(dataset))
    np.testing.assert_array_equal(inputs.numpy()[:, 1:], targets.numpy()[:, :-1])
    assert inputs.shape == (8, 64) and inputs.dtype == "int32"


def test_training_windows_are_contiguous_slices_of_the_split():
    positions = np.arange(1000)  # a token's id is its position in the split
    dataset = language_model_dataset(positions, 16, 4, shuffle=True, seed=3)
    for inputs, targets in _batches(dataset):
        windows = np.concatenate([inputs, targets[:, -1:]], axis=1)
        assert (np.diff(windows, axis=1) == 1).all()
        assert windows.min() >= 0 and windows.max() < 1000


def test_training_batches_are_reproducible_per_seed():
    ids = np.arange(5000)
    first = _batches(language_model_dataset(ids, 8, 4, shuffle=True, seed=7))
    again = _batches(language_model_dataset(ids, 8, 4, shuffle=True, seed=7))
    other = _batches(language_model_dataset(ids, 8, 4, shuffle=True, seed=8))
    np.testing.assert_array_equal(first[0][0], again[0][0])
    assert not np.array_equal(first[0][0], other[0][0])
    assert len(first) == (5000 - 1) // 8 // 4


@settings(max_examples=25, deadline=None)
@given(
    length=st.integers(min_value=2, max_value=300),
    sequence_length=st.integers(min_value=1, max_value=40),
    batch_size=st.integers(min_value=1, max_value=7),
)
def test_validation_predicts_every_token_exactly_once(
    length, sequence_length, batch_size
):
    assume(length >= sequence_length + 1)
    ids = np.arange(1, length + 1)
    batches = _batches(language_model_dataset(ids, sequence_length, batch_size))
    inputs = np.concatenate([b[0] for b in batches]).ravel()
    targets = np.concatenate([b[1] for b in batches]).ravel()
    weights = np.concatenate([b[2] for b in batches]).ravel()
    assert weights.sum() == length - 1
    np.testing.assert_array_equal(targets[weights == 1], ids[1:])
    np.testing.assert_array_equal(inputs[weights == 1], ids[:-1])


def test_window_longer_than_model_is_refused_when_built():
    with pytest.raises(ValueError, match="max_sequence_length=128"):
        language_model_dataset(np.arange(1000), 256, 4, max_sequence_length=128)


def test_split_too_short_for_one_window():
    with pytest.raises(ValueError, match="too few"):
        language_model_dataset(np.arange(10), 10, 4)


def test_an_evaluation_sample_is_seeded_ordered_and_bounded():
    ids = np.arange(1, 1002)  # 1,000 predicted tokens: 63 windows of 16
    whole = language_model_dataset(ids, 16, 4)
    sample = language_model_dataset(ids, 16, 4, seed=3, max_tokens=100)

    def starts_and_weight(dataset):
        batches = list(dataset.as_numpy_iterator())
        starts = np.concatenate([x[:, 0] for x, _, _ in batches]).tolist()
        return starts, sum(w.sum() for _, _, w in batches)

    starts, weight = starts_and_weight(sample)
    assert len(starts) == 6 and weight == 96  # 100 // 16 whole windows
    assert starts == sorted(starts) and all((s - 1) % 16 == 0 for s in starts)
    assert (
        starts_and_weight(language_model_dataset(ids, 16, 4, seed=3, max_tokens=100))[0]
        == starts
    )
    assert (
        starts_and_weight(language_model_dataset(ids, 16, 4, seed=4, max_tokens=100))[0]
        != starts
    )
    assert starts_and_weight(whole)[1] == 1000
    assert (
        starts_and_weight(language_model_dataset(ids, 16, 4, max_tokens=5000))[1]
        == 1000
    )

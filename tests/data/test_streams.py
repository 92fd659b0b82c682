import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmzoo.data import load_corpus, stateful_streams


def _batches(dataset):
    return [tuple(t.numpy() for t in batch) for batch in dataset]


def test_rows_continue_across_batches():
    batches = _batches(
        stateful_streams(np.arange(1, 1001), batch_size=4, sequence_length=7)
    )
    for (x0, y0, _), (x1, _, w1) in zip(batches, batches[1:], strict=False):
        real = w1[:, 0] == 1
        np.testing.assert_array_equal(x1[real, 0], y0[real, -1])  # the stream goes on
        np.testing.assert_array_equal(x1[real, 0], x0[real, -1] + 1)


@settings(max_examples=25, deadline=None)
@given(
    length=st.integers(2, 400),
    batch_size=st.integers(1, 6),
    sequence_length=st.integers(1, 12),
)
def test_every_target_appears_exactly_once(length, batch_size, sequence_length):
    ids = np.arange(1, length + 1)
    batches = _batches(
        stateful_streams(ids, batch_size, sequence_length, start_token=0)
    )
    targets = np.stack([b[1] for b in batches], axis=1).reshape(batch_size, -1)
    weights = np.stack([b[2] for b in batches], axis=1).reshape(batch_size, -1)
    np.testing.assert_array_equal(targets[weights == 1], ids)


def test_ptb_split_token_counts_include_end_of_sentence():
    ptb = load_corpus("ptb")
    tokenizer = ptb.build_tokenizer()
    for split, expected in (("validation", 73_760), ("test", 82_430)):
        ids = tokenizer.encode(ptb.splits[split])
        streams = stateful_streams(ids, 20, 20, start_token=tokenizer.end_of_line_id)
        assert sum(float(w.numpy().sum()) for _, _, w in streams) == expected


def test_too_short_split_is_refused():
    with pytest.raises(ValueError, match="two tokens"):
        stateful_streams([5], 2, 3)

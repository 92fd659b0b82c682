import numpy as np
import pytest

from tests.generation.reference import generate_ids, sample_next_token


def _bigram_logits(token_ids):
    """A fake model that always predicts `last token + 1` (mod 10) strongly."""
    last = token_ids[:, -1]
    logits = np.full(token_ids.shape + (10,), -5.0)
    logits[np.arange(len(token_ids)), -1, (last + 1) % 10] = 5.0
    return logits


def test_greedy_follows_the_argmax():
    assert generate_ids(_bigram_logits, [3], 5, temperature=0) == [3, 4, 5, 6, 7, 8]


def test_top_k_one_is_greedy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=50)
    for _ in range(20):
        assert sample_next_token(logits, top_k=1, rng=rng) == int(np.argmax(logits))


def test_seed_makes_sampling_reproducible():
    flat = lambda ids: np.zeros(ids.shape + (10,))  # noqa: E731
    first = generate_ids(flat, [0], 30, seed=1)
    assert generate_ids(flat, [0], 30, seed=1) == first
    assert generate_ids(flat, [0], 30, seed=2) != first


def test_context_window_is_respected():
    seen = []

    def logits_fn(ids):
        seen.append(ids.shape[1])
        return np.zeros(ids.shape + (4,))

    generate_ids(logits_fn, [1, 2, 3], 5, context_length=4)
    assert seen == [3, 4, 4, 4, 4]


def test_empty_prompt_is_refused():
    with pytest.raises(ValueError, match="empty"):
        generate_ids(_bigram_logits, [], 3)

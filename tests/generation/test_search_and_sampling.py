"""Beam search against brute force and a reference, samplers against their
distributions, and batched generation against each row alone."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from lmzoo.generation import Generator, SamplerConfig, filter_logits, next_tokens
from lmzoo.models import GPT, Llama, LSTMLanguageModel
from tests.generation.reference import log_softmax, reference_beam

VOCABULARY = 30


def _peaky_gpt():
    model = GPT(
        VOCABULARY, max_sequence_length=32, num_layers=1, num_heads=2, hidden_dim=16
    )
    model(np.zeros((1, 1), "int32"))
    embeddings = model.backbone.embedding.token_embedding.embeddings
    embeddings.assign(embeddings * 60.0)  # spread the logits: no near-ties
    return model


def _continuation_scores(model, prompt, continuations):
    """Summed log-probabilities of each continuation, by a full forward pass."""
    ids = np.array([list(prompt) + list(c) for c in continuations], np.int32)
    log_probs = log_softmax(model(ids).numpy())
    start = len(prompt)
    picked = np.take_along_axis(log_probs[:, start - 1 : -1], ids[:, start:, None], -1)
    return picked[..., 0].sum(axis=1)


def test_full_width_beam_finds_the_brute_force_best_for_every_row():
    model = _peaky_gpt()
    prompts = [[3, 4, 5, 6, 7], [8, 9]]
    output = model.generate(
        prompts, max_new_tokens=2, strategy="beam", num_beams=VOCABULARY
    )
    every = list(itertools.product(range(VOCABULARY), repeat=2))
    for row, prompt in enumerate(prompts):
        scores = _continuation_scores(model, prompt, every)
        best = every[int(np.argmax(scores))]
        length = output["lengths"][row]
        assert output["token_ids"][row, :length].tolist() == prompt + list(best)
        assert output["scores"][row] == pytest.approx(scores.max(), abs=1e-3)


@pytest.mark.parametrize("length_penalty", [0.0, 1.0, 2.0])
def test_batched_beam_search_matches_the_reference(length_penalty):
    model = _peaky_gpt()
    prompts = [[3, 4, 5, 6, 7], [8, 9], [10, 11, 12]]
    greedy = model.generate(prompts, max_new_tokens=3)["token_ids"]
    stop_ids = (int(greedy[1, 2]),)  # row 1's first greedy token stops it at once
    output = model.generate(
        prompts,
        max_new_tokens=3,
        strategy="beam",
        num_beams=3,
        stop_token_ids=stop_ids,
        length_penalty=length_penalty,
    )
    for row, prompt in enumerate(prompts):
        ids, score, _ = reference_beam(model, prompt, 3, 3, stop_ids, length_penalty)
        length = output["lengths"][row]
        assert output["token_ids"][row, :length].tolist() == ids
        assert output["scores"][row] == pytest.approx(score, abs=1e-3)


def _frequencies(logits, config, draws=20_000, seed=7):
    batch = tf.constant(np.tile(np.asarray(logits, np.float32), (draws, 1)))
    tokens = next_tokens(batch, config, tf.constant([seed, 0])).numpy()
    return np.bincount(tokens, minlength=len(logits)) / draws


def _assert_sampled_from(frequencies, probabilities, draws=20_000):
    probabilities = np.asarray(probabilities, np.float64)
    tolerance = 5 * np.sqrt(probabilities * (1 - probabilities) / draws) + 1e-12
    assert (np.abs(frequencies - probabilities) <= tolerance).all(), (
        frequencies,
        probabilities,
    )


LOGITS = np.log([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_temperature_samples_softmax_of_scaled_logits(temperature):
    expected = np.exp(LOGITS / temperature) / np.exp(LOGITS / temperature).sum()
    frequencies = _frequencies(LOGITS, SamplerConfig("sample", temperature))
    _assert_sampled_from(frequencies, expected)


def test_top_k_samples_the_renormalised_k_best():
    expected = np.array([0.4, 0.25, 0.15, 0, 0, 0]) / 0.8
    _assert_sampled_from(
        _frequencies(LOGITS, SamplerConfig("sample", top_k=3)), expected
    )


@pytest.mark.parametrize(
    "top_p, kept",
    [(0.5, 2), (0.65, 2), (0.66, 3), (0.85, 4), (1.0, 6)],
)
def test_top_p_samples_the_renormalised_nucleus(top_p, kept):
    # Cumulative mass 0.4, 0.65, 0.8, 0.9, ...: the nucleus is the smallest
    # prefix whose mass reaches top_p.
    probabilities = np.exp(LOGITS)
    expected = np.where(np.arange(6) < kept, probabilities, 0.0)
    expected /= expected.sum()
    config = SamplerConfig("sample", top_p=top_p)
    _assert_sampled_from(_frequencies(LOGITS, config), expected)
    filtered = filter_logits(tf.constant([LOGITS], tf.float32), top_p=top_p).numpy()
    assert (filtered[0] > -1e8).sum() == kept


def _peaky_llama():
    model = Llama(VOCABULARY, num_layers=1, num_heads=2, hidden_dim=16)
    model(np.zeros((1, 1), "int32"))
    embeddings = model.backbone.token_embedding.embeddings
    embeddings.assign(embeddings * 60.0)
    return model


@pytest.mark.parametrize(
    "make", [_peaky_gpt, _peaky_llama, lambda: LSTMLanguageModel(VOCABULARY, 16, 16)]
)
@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_a_padded_batch_continues_each_row_as_it_would_alone(make, strategy):
    model = make()
    prompts = [[3, 4, 5, 6, 7, 8, 9], [10], [11, 12, 13]]
    kwargs = {"max_new_tokens": 6, "strategy": strategy, "num_beams": 3}
    batch = model.generate(prompts, **kwargs)
    for row, prompt in enumerate(prompts):
        alone = model.generate([prompt], **kwargs)
        length = alone["lengths"][0]
        assert batch["lengths"][row] == length
        np.testing.assert_array_equal(
            batch["token_ids"][row, :length], alone["token_ids"][0, :length]
        )


class _Bigram:
    """A decoder whose next-token distribution depends on the last token only."""

    max_sequence_length = None

    def __init__(self, probabilities):
        self.logits = tf.math.log(tf.constant(probabilities, tf.float32))

    def init_cache(self, batch_size, max_length=None):
        return tf.zeros((batch_size, 1))

    def decode_step(self, token_ids, cache, cache_update_index):
        return tf.gather(self.logits, token_ids), cache


@pytest.mark.parametrize(
    "length_penalty, expected", [(0.0, [0, 3]), (1.0, [0, 1, 2, 2])]
)
def test_length_penalty_decides_between_a_short_and_a_long_hypothesis(
    length_penalty, expected
):
    # After 0: stop (3) with 0.5, or 1 with 0.45 and then 2, 2 with 0.99 each.
    # Sums: short -0.69 against long -0.82; per token -0.69 against -0.27.
    model = _Bigram(
        [
            [0.01, 0.45, 0.04, 0.5],
            [0.003, 0.003, 0.99, 0.004],
            [0.003, 0.003, 0.99, 0.004],
            [0.25, 0.25, 0.25, 0.25],
        ]
    )
    config = SamplerConfig("beam", num_beams=2, length_penalty=length_penalty)
    output = Generator(model)([[0]], config, max_new_tokens=3, stop_token_ids=(3,))
    assert output["token_ids"][0, : output["lengths"][0]].tolist() == expected

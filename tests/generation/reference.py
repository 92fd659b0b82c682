"""Reference decoders that re-run the model on the whole context every step.

Slow and obviously correct. The tests compare the cached, compiled loop in
`lmzoo/generation/decoding.py` against them; they work with any callable that
maps token ids to logits, such as a reloaded SavedModel's `serve` signature.
"""

import numpy as np


def sample_next_token(logits, temperature=1.0, top_k=None, rng=None):
    """Draws one token id from a logits vector.

    Args:
        logits: 1-D array of logits.
        temperature: float. `0` picks the argmax (greedy). Defaults to `1.0`.
        top_k: optional int. Sample among the `top_k` most likely ids only.
        rng: optional `np.random.Generator`.

    Returns:
        int.

    Example:
    >>> sample_next_token(np.array([0.0, 5.0, 1.0]), temperature=0)
    1
    """
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    logits = logits / temperature
    if top_k is not None and top_k < len(logits):
        cutoff = np.partition(logits, -top_k)[-top_k]
        logits = np.where(logits < cutoff, -np.inf, logits)
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    rng = rng or np.random.default_rng()
    return int(rng.choice(len(probabilities), p=probabilities))


def generate_ids(
    logits_fn,
    prompt_ids,
    max_new_tokens,
    context_length=None,
    temperature=1.0,
    top_k=None,
    seed=None,
):
    """Extends `prompt_ids` by `max_new_tokens` sampled tokens.

    Args:
        logits_fn: callable `[1, T] int32 -> [1, T, V] logits`.
        prompt_ids: 1-D sequence of ints (at least one).
        max_new_tokens: int.
        context_length: optional int. Feed only the last `context_length` ids
            (a GPT's `max_sequence_length`). Defaults to all of them.
        temperature: float. `0` is greedy. Defaults to `1.0`.
        top_k: optional int.
        seed: optional int; the same seed gives the same tokens.

    Returns:
        list of ints: the prompt followed by the new tokens.

    Example:
    >>> bigram = lambda ids: np.eye(5)[(ids + 1) % 5]
    >>> generate_ids(bigram, [1, 2], 3, temperature=0)
    [1, 2, 3, 4, 0]
    """
    ids = [int(token) for token in prompt_ids]
    if not ids:
        raise ValueError("The prompt is empty: give at least one token.")
    rng = np.random.default_rng(seed)
    for _ in range(max_new_tokens):
        context = ids[-context_length:] if context_length else ids
        logits = np.asarray(logits_fn(np.array([context], dtype=np.int32)))
        ids.append(sample_next_token(logits[0, -1], temperature, top_k, rng))
    return ids


def log_softmax(logits):
    """float64 log-softmax over the last axis.

    Example:
    >>> np.exp(log_softmax([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    logits = np.asarray(logits, np.float64)
    top = logits.max(-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))


def reference_beam(logits_fn, prompt, width, new_tokens, stop_ids, length_penalty):
    """Textbook beam search with full recompute.

    Args:
        logits_fn: callable `[1, T] int32 -> [1, T, V] logits`.
        prompt: list of ints.
        width: int. Beam width.
        new_tokens: int. Tokens to add.
        stop_ids: collection of ints that end a hypothesis.
        length_penalty: float. The best beam maximises
            `score / generated_length ** length_penalty`.

    Returns:
        `(ids, score, finished)` of the best hypothesis.

    Example:
    >>> bigram = lambda ids: 9.0 * np.eye(5)[(ids + 1) % 5]
    >>> reference_beam(bigram, [1], 2, 3, (), 1.0)[0]
    [1, 2, 3, 4]
    """
    beams = [(list(prompt), 0.0, False)]
    for _ in range(new_tokens):
        candidates = []
        for ids, score, finished in beams:
            if finished:
                candidates.append((ids, score, True))
                continue
            log_probs = log_softmax(
                np.asarray(logits_fn(np.array([ids], np.int32)))[0, -1]
            )
            candidates += [
                (ids + [token], score + log_probs[token], token in stop_ids)
                for token in range(len(log_probs))
            ]
        beams = sorted(candidates, key=lambda beam: -beam[1])[:width]
    generated = lambda beam: len(beam[0]) - len(prompt)  # noqa: E731
    return max(beams, key=lambda beam: beam[1] / generated(beam) ** length_penalty)


def token_log_probabilities(model, token_ids, start):
    """Sum of log p(token_t | tokens_<t) over positions `start ...` of each row.

    Args:
        model: callable `[B, T] int32 -> [B, T, V] logits`.
        token_ids: `[B, T]` ints.
        start: int. First scored position (the prompt length).

    Returns:
        `[B]` float64 NumPy array.

    Example:
    >>> uniform = lambda ids: np.zeros(ids.shape + (4,))
    >>> token_log_probabilities(uniform, [[1, 2, 3]], start=1).round(4).tolist()
    [-2.7726]
    """
    token_ids = np.asarray(token_ids, np.int32)
    log_probs = log_softmax(np.asarray(model(token_ids)))
    picked = np.take_along_axis(log_probs[:, :-1], token_ids[:, 1:, None], axis=-1)
    return picked[..., 0][:, start - 1 :].sum(axis=1)

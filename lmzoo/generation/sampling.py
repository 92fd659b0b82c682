"""The reference sampler: re-runs the model on the whole context every step.

Slow and obviously correct. The tests compare the cached, compiled loop in
`decoding.py` against it; it also works with any callable that maps token ids
to logits, such as a reloaded SavedModel's `serve` signature.
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
    >>> generate_ids(model, [1, 2], 10, temperature=0)  # doctest: +SKIP
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

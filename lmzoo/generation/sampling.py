"""Simple autoregressive sampling that re-runs the model on the whole context.

This is the slow, obviously-correct reference: every step feeds the full
(windowed) context again. It works with any callable that maps token ids to
logits, a Keras model and a reloaded SavedModel's `serve` alike.
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


def generate_text(
    model, prompt, max_new_tokens=200, temperature=0.8, top_k=None, seed=None
):
    """Samples a continuation of `prompt` from an lmzoo model with a tokenizer.

    Args:
        model: an lmzoo language model whose `tokenizer` is set.
        prompt: str.
        max_new_tokens: int. Defaults to `200`.
        temperature: float. Defaults to `0.8`.
        top_k: optional int.
        seed: optional int.

    Returns:
        str: the prompt and its continuation.

    Example:
    >>> print(generate_text(model, "ROMEO:", 100, seed=0))  # doctest: +SKIP
    """
    if model.tokenizer is None:
        raise ValueError(
            "This model has no tokenizer; use generate_ids with token ids."
        )
    ids = generate_ids(
        lambda token_ids: model(token_ids, training=False),
        model.tokenizer.encode(prompt),
        max_new_tokens,
        context_length=getattr(model, "max_sequence_length", None),
        temperature=temperature,
        top_k=top_k,
        seed=seed,
    )
    return model.tokenizer.decode(ids)

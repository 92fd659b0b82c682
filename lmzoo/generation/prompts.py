"""Prompt layout for the decoding loop: left-aligned rows, bucketed lengths."""

import numpy as np

BUCKET = 16


def padded_width(length, multiple=BUCKET):
    """`length` rounded up to a multiple (`BUCKET` by default).

    Args:
        length: int or integer tensor.
        multiple: int. Defaults to `BUCKET`.

    Returns:
        The rounded length, of `length`'s type.

    Example:
    >>> padded_width(1), padded_width(16), padded_width(17)
    (16, 16, 32)
    """
    return -(-length // multiple) * multiple


def bucketed_length(longest_prompt, max_new_tokens, max_length):
    """The total length of a decoding program: the prompt bucket plus new tokens.

    Args:
        longest_prompt: int. Tokens in the longest prompt.
        max_new_tokens: int.
        max_length: optional int. The model's `max_sequence_length`.

    Returns:
        int.

    Raises:
        ValueError: the prompt and the new tokens do not fit `max_length`.

    Example:
    >>> bucketed_length(5, 10, None), bucketed_length(17, 10, None)
    (26, 42)
    """
    total = padded_width(longest_prompt) + max_new_tokens
    if max_length is None or total <= max_length:
        return total
    if longest_prompt + max_new_tokens > max_length:
        raise ValueError(
            f"A prompt of {longest_prompt} tokens plus max_new_tokens={max_new_tokens} "
            f"exceeds the model's max_sequence_length={max_length}."
        )
    return max_length


def prepare_prompts(token_ids, padding_mask=None):
    """Left-aligns a batch of prompts: each row's real tokens first, in order.

    Left-padded, right-padded and ragged (list of lists) prompts all come out
    the same way, so the decoding loop handles one layout.

    Args:
        token_ids: `[B, T]` ints, or a list of per-row token lists.
        padding_mask: optional `[B, T]` bools, True at real tokens. Defaults to
            all True for an array, and to the row lengths for lists.

    Returns:
        `(token_ids [B, T] int32, lengths [B] int32)` NumPy arrays.

    Example:
    >>> ids, lengths = prepare_prompts([[0, 0, 5, 6], [7, 8, 9, 1]],
    ...                                [[0, 0, 1, 1], [1, 1, 1, 1]])
    >>> ids.tolist(), lengths.tolist()
    ([[5, 6, 0, 0], [7, 8, 9, 1]], [2, 4])
    """
    if (
        isinstance(token_ids, list | tuple)
        and token_ids
        and not np.isscalar(token_ids[0])
    ):
        rows = [np.asarray(row, np.int32).ravel() for row in token_ids]
        width = max(len(row) for row in rows)
        mask = np.array([[j < len(row) for j in range(width)] for row in rows])
        token_ids = np.array([np.pad(row, (0, width - len(row))) for row in rows])
        padding_mask = mask if padding_mask is None else padding_mask
    token_ids = np.asarray(token_ids, np.int32)
    if token_ids.ndim == 1:
        token_ids = token_ids[None]
    if token_ids.ndim != 2:
        raise ValueError(
            f"Prompts must be [batch, length] ids, got shape {token_ids.shape}."
        )
    mask = (
        np.ones(token_ids.shape, bool)
        if padding_mask is None
        else np.asarray(padding_mask, bool).reshape(token_ids.shape)
    )
    lengths = mask.sum(axis=1).astype(np.int32)
    if (lengths == 0).any():
        raise ValueError("Every prompt needs at least one token; some rows are empty.")
    order = np.argsort(~mask, axis=1, kind="stable")
    aligned = np.take_along_axis(token_ids, order, axis=1)
    aligned[np.arange(aligned.shape[1])[None] >= lengths[:, None]] = 0
    return aligned, lengths

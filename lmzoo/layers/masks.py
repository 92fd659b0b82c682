"""Boolean attention masks: one helper merges padding, explicit and causal masks."""

from keras import ops

MASKED_LOGIT = -1e9
"""The float32 score a masked position gets before a softmax or a top-k.

Finite, unlike `-inf`, so a row with every position masked gives a uniform
softmax instead of NaN; far below any real logit, so `exp` of it is 0. It is
only ever applied in float32 (it would overflow float16).
"""


def causal_mask(query_length, key_length, cache_update_index=0, sliding_window=None):
    """Returns the `[query_length, key_length]` bool mask of a causal decoder.

    Query row `i` sits at absolute position `cache_update_index + i` and may attend to
    every key at a position `<=` that (and, with a sliding window, above
    that position minus the window).

    Args:
        query_length: int or scalar tensor. Number of query positions.
        key_length: int or scalar tensor. Number of key positions.
        cache_update_index: int or scalar tensor. Absolute position of the first query
            (non-zero when decoding with a key/value cache). Defaults to `0`.
        sliding_window: optional int. How many positions, its own included,
            a query sees. Defaults to `None` (all before it).

    Returns:
        A bool tensor of shape `[query_length, key_length]`.

    Example:
    >>> causal_mask(2, 3).numpy().tolist()
    [[True, False, False], [True, True, False]]
    """
    query_positions = ops.arange(query_length, dtype="int32") + ops.cast(
        cache_update_index, "int32"
    )
    key_positions = ops.arange(key_length, dtype="int32")
    distance = ops.expand_dims(query_positions, 1) - ops.expand_dims(key_positions, 0)
    if sliding_window is None:
        return distance >= 0
    return (distance >= 0) & (distance < sliding_window)


def merge_attention_masks(
    query_length,
    key_length,
    padding_mask=None,
    attention_mask=None,
    use_causal_mask=False,
    cache_update_index=0,
    sliding_window=None,
):
    """Combines the masks a layer was given into one `[B, Tq, Tk]` bool mask.

    `True` means "may attend". Masks stay boolean so that they never overflow
    in float16; the attention function turns them into scores once, in float32.

    Args:
        query_length: int or scalar tensor. Number of query positions `Tq`.
        key_length: int or scalar tensor. Number of key positions `Tk`.
        padding_mask: optional `[B, Tk]` tensor, True (or 1) at real key tokens.
        attention_mask: optional `[B, Tq, Tk]` tensor, True where attention is
            allowed.
        use_causal_mask: bool. Whether to add the causal mask. Defaults to `False`.
        cache_update_index: int or scalar tensor. Absolute position of the first query,
            used with the causal mask. Defaults to `0`.
        sliding_window: optional int, for the causal mask (`causal_mask`).

    Returns:
        A bool tensor broadcastable to `[B, Tq, Tk]`, or `None` when no mask was
        asked for.

    Example:
    >>> mask = merge_attention_masks(2, 2, padding_mask=[[1, 0]], use_causal_mask=True)
    >>> mask.numpy().tolist()
    [[[True, False], [True, False]]]
    """
    mask = None
    if padding_mask is not None:
        mask = ops.expand_dims(ops.cast(padding_mask, "bool"), 1)
    if attention_mask is not None:
        attention_mask = ops.cast(attention_mask, "bool")
        mask = attention_mask if mask is None else ops.logical_and(mask, attention_mask)
    if use_causal_mask:
        causal = ops.expand_dims(
            causal_mask(query_length, key_length, cache_update_index, sliding_window),
            0,
        )
        mask = causal if mask is None else ops.logical_and(mask, causal)
    return mask

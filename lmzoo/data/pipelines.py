"""`tf.data` pipelines for language modelling."""

import numpy as np
import tensorflow as tf


def _check_lengths(token_ids, sequence_length, max_sequence_length):
    if sequence_length < 1:
        raise ValueError(f"sequence_length must be positive, got {sequence_length}.")
    if max_sequence_length is not None and sequence_length > max_sequence_length:
        raise ValueError(
            f"sequence_length={sequence_length} is longer than the model's "
            f"max_sequence_length={max_sequence_length}; use a shorter window or a "
            "model with a longer position table."
        )
    if len(token_ids) < sequence_length + 1:
        raise ValueError(
            f"The split has {len(token_ids)} tokens, too few for one window of "
            f"{sequence_length} inputs and its shifted targets."
        )


def language_model_dataset(
    token_ids,
    sequence_length,
    batch_size,
    shuffle=False,
    seed=None,
    max_sequence_length=None,
    max_tokens=None,
    repeat=False,
):
    """Windows of a token stream as `(inputs, targets)` batches, targets shifted by one.

    With `shuffle=True` (training) each window starts at a random offset drawn
    from a seeded stream, as nanoGPT samples its batches; an epoch is as many
    windows as fit in the split, and every batch is full. With `shuffle=False`
    (evaluation) the windows tile the split from its start, in order, so every
    token after the first is predicted exactly once; the last window is padded
    and the dataset then yields `(inputs, targets, sample_weight)` with weight 0
    on the padding, so metrics cover the whole split and nothing more.

    Args:
        token_ids: 1-D int array of one split (windows never leave it).
        sequence_length: int. Tokens per window.
        batch_size: int.
        shuffle: bool. Random windows (training) or ordered tiling (evaluation).
            Defaults to `False`.
        seed: optional int that makes the random windows reproducible.
        max_sequence_length: optional int. The model's longest input; a longer
            window is refused here rather than inside `fit`.
        max_tokens: optional int. For evaluation: a fixed sample of at most
            this many predicted tokens, whole windows drawn without
            replacement with `seed` and kept in split order. Defaults to the
            whole split.
        repeat: bool. With `shuffle`: an endless stream whose batch `i` is a
            function of `(seed, i)` alone, so that it is the same however
            often, and from wherever, the dataset is iterated (a resumed run
            skips to its step; a distributed run peeks at the data first).
            Defaults to `False` (one epoch, new windows on each iteration).

    Returns:
        A `tf.data.Dataset` of int32 `[batch, sequence_length]` pairs (training),
        or triples with float32 weights (evaluation).

    Example:
    >>> ds = language_model_dataset(np.arange(100), sequence_length=8, batch_size=4)
    >>> x, y, w = next(iter(ds))
    >>> (y[0, :3] - x[0, :3]).numpy().tolist()
    [1, 1, 1]
    """
    token_ids = np.asarray(token_ids, dtype=np.int32)
    _check_lengths(token_ids, sequence_length, max_sequence_length)
    num_windows = (len(token_ids) - 1) // sequence_length
    if shuffle and repeat:
        return _window_stream(token_ids, sequence_length, batch_size, seed)
    if shuffle:
        return _random_windows(
            token_ids, sequence_length, batch_size, num_windows, seed
        )
    return _tiled_windows(token_ids, sequence_length, batch_size, max_tokens, seed)


def _random_windows(token_ids, sequence_length, batch_size, num_windows, seed):
    stream = tf.constant(token_ids)
    num_starts = len(token_ids) - sequence_length
    offsets = tf.range(sequence_length + 1, dtype=tf.int64)

    def gather(random_values):
        starts = tf.math.floormod(random_values, num_starts)  # (B,)
        windows = tf.gather(stream, starts[:, None] + offsets[None, :])  # (B, T + 1)
        return windows[:, :-1], windows[:, 1:]

    batches_per_epoch = max(num_windows // batch_size, 1)
    return (
        tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        .batch(batch_size)
        .take(batches_per_epoch)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def _window_stream(token_ids, sequence_length, batch_size, seed):
    stream = tf.constant(token_ids)
    num_starts = len(token_ids) - sequence_length
    offsets = tf.range(sequence_length + 1, dtype=tf.int64)
    seed = np.random.default_rng().integers(2**31) if seed is None else seed

    def gather(index):
        starts = tf.random.stateless_uniform(
            [batch_size],
            tf.stack([tf.constant(seed, tf.int64), index]),
            maxval=num_starts,
            dtype=tf.int64,
        )
        windows = tf.gather(stream, starts[:, None] + offsets[None, :])
        return windows[:, :-1], windows[:, 1:]

    return (
        tf.data.Dataset.counter()
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def _tiled_windows(token_ids, sequence_length, batch_size, max_tokens, seed):
    num_targets = len(token_ids) - 1
    num_windows = -(-num_targets // sequence_length)
    padded = np.zeros(num_windows * sequence_length + 1, dtype=np.int32)
    padded[: len(token_ids)] = token_ids
    weights = np.zeros(num_windows * sequence_length, dtype=np.float32)
    weights[:num_targets] = 1.0
    inputs = padded[:-1].reshape(num_windows, sequence_length)
    targets = padded[1:].reshape(num_windows, sequence_length)
    weights = weights.reshape(num_windows, sequence_length)
    if max_tokens is not None and max_tokens < num_targets:
        count = max(max_tokens // sequence_length, 1)
        rng = np.random.default_rng(seed)
        kept = np.sort(rng.choice(num_windows, size=count, replace=False))
        inputs, targets, weights = inputs[kept], targets[kept], weights[kept]
    return (
        tf.data.Dataset.from_tensor_slices((inputs, targets, weights))
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )

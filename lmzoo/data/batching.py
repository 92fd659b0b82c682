"""Batches of similar length, each cut to its longest row: little padding."""

import functools
import math

import numpy as np
import tensorflow as tf


def _masks(features):
    """The padding masks among the features (an encoder-decoder has two)."""
    return [value for key, value in features.items() if key.endswith("padding_mask")]


def _lengths(features):
    """Real length of each row: its longest run over all the padding masks."""
    lengths = [
        tf.reduce_sum(tf.cast(mask, tf.int32), axis=-1) for mask in _masks(features)
    ]
    return functools.reduce(tf.maximum, lengths)


def _width(features, multiple):
    """The longest row's length rounded up to `multiple`, at most the full width."""
    longest = tf.reduce_max(_lengths(features))
    rounded = (longest + multiple - 1) // multiple * multiple
    return tf.minimum(tf.maximum(rounded, multiple), tf.shape(_masks(features)[0])[-1])


def trim_batch(features, *rest, multiple=16):
    """Cuts a packed batch to its longest row, rounded up to `multiple`.

    Every tensor of the features, and the labels and weights that have a
    position axis (`[B, T]`), are cut to the same width, so a model compiled
    with XLA sees one shape per multiple instead of one per batch.

    Args:
        features: a dict of `[B, T]` tensors with `"padding_mask"` (or
            several masks named `*padding_mask`, all cut to the longest).
        *rest: labels and sample weights; those of rank 2 are cut too.
        multiple: int. Defaults to `16`.

    Returns:
        `features` alone, or the tuple `(features, *rest)`, cut.

    Example:
    >>> mask = tf.constant([[True] * 5 + [False] * 27, [True] * 3 + [False] * 29])
    >>> features = trim_batch({"padding_mask": mask}, multiple=8)
    >>> features["padding_mask"].shape
    TensorShape([2, 8])
    """
    width = _width(features, multiple)
    features = {key: value[:, :width] for key, value in features.items()}
    if not rest:
        return features
    rest = tuple(
        value[:, :width] if value is not None and value.shape.rank == 2 else value
        for value in rest
    )
    return (features, *rest)


def length_bucketed(examples, batch_size, multiple=16, shuffle_seed=None):
    """Batches packed examples by length, each batch cut to its longest row.

    Examples whose real lengths fall in the same band of `multiple` tokens
    are batched together (`tf.data`'s `bucket_by_sequence_length`), so that
    each batch is cut (`trim_batch`) with little padding left. With a
    `shuffle_seed`, the examples are shuffled anew on every pass first.

    Args:
        examples: a `tf.data.Dataset` of single examples `features` or
            `(features, labels[, sample_weight])`, the features a dict of
            `[T]` tensors with `"padding_mask"` (a `BertPreprocessor`'s).
        batch_size: int.
        multiple: int. Width of a length band. Defaults to `16`.
        shuffle_seed: optional int; `None` keeps the examples' order.

    Returns:
        A `tf.data.Dataset` of batches, the last of each band possibly short.

    Example:
    >>> lengths = [3, 20, 4, 18, 5, 2]
    >>> masks = tf.sequence_mask(lengths, 32)
    >>> examples = tf.data.Dataset.from_tensor_slices(
    ...     ({"padding_mask": masks}, lengths))
    >>> batches = length_bucketed(examples, 2)
    >>> [(int(y[0]), f["padding_mask"].shape[1]) for f, y in batches]
    [(3, 16), (20, 32), (5, 16)]
    """
    if shuffle_seed is not None:
        examples = examples.shuffle(
            100_000, seed=shuffle_seed, reshuffle_each_iteration=True
        )
    spec = examples.element_spec
    features_spec = spec[0] if isinstance(spec, tuple) else spec
    full = max(
        spec.shape[-1]
        for key, spec in features_spec.items()
        if key.endswith("padding_mask")
    )
    boundaries = list(range(multiple + 1, full + 1, multiple))

    def length(features, *rest):
        return _lengths(features)

    batches = examples.bucket_by_sequence_length(
        length, boundaries, [batch_size] * (len(boundaries) + 1)
    )
    return batches.map(
        lambda *batch: trim_batch(*batch, multiple=multiple),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def sorted_batches(features, batch_size, multiple=16, fill_last=False):
    """Batches packed rows longest first, each cut to its longest row.

    For inference: rows are sorted by real length, cut into batches of
    `batch_size`, and each batch is cut to its longest row rounded up to a
    multiple of `multiple`.

    Args:
        features: a dict of `[N, T]` NumPy arrays with `"padding_mask"`.
        batch_size: int.
        multiple: int. Defaults to `16`.
        fill_last: bool. Pad a short last batch with empty rows to
            `batch_size`, so that it has a shape seen before.

    Yields:
        `(rows, batch)`: the indices of the batch's rows in `features`, and
        a dict of NumPy arrays (`[len(rows), width]`, or `[batch_size,
        width]` with `fill_last`).

    Example:
    >>> mask = np.arange(8)[None] < np.array([[2], [7], [5]])
    >>> [(rows.tolist(), batch["padding_mask"].shape)
    ...  for rows, batch in sorted_batches({"padding_mask": mask}, 2, multiple=4)]
    [([1, 2], (2, 8)), ([0], (1, 4))]
    """
    lengths = features["padding_mask"].sum(axis=1)
    order = np.argsort(-lengths, kind="stable")
    full = features["padding_mask"].shape[1]
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = min(full, multiple * max(1, math.ceil(lengths[rows].max() / multiple)))
        batch = {key: value[rows, :width] for key, value in features.items()}
        if fill_last and len(rows) < batch_size:
            batch = {
                key: np.pad(value, [(0, batch_size - len(rows)), (0, 0)])
                for key, value in batch.items()
            }
        yield rows, batch

"""Exact perplexity over a dataset, one compiled program per batch shape."""

import math
import weakref

import tensorflow as tf

_PROGRAMS = weakref.WeakKeyDictionary()


def _program(model):
    if model not in _PROGRAMS:
        # XLA for models that train faster with it (GPT); it slows the LSTM.
        jit_compile = bool(getattr(model, "prefers_jit_compile", False))

        @tf.function(jit_compile=jit_compile)
        def summed_cross_entropy(inputs, targets, weights):
            logits = tf.cast(model(inputs, training=False), tf.float32)
            cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
                tf.cast(targets, tf.int32), logits
            )
            weights = tf.cast(weights, tf.float32)
            return tf.reduce_sum(cross_entropy * weights), tf.reduce_sum(weights)

        _PROGRAMS[model] = summed_cross_entropy
    return _PROGRAMS[model]


def validation_perplexity(model, dataset):
    """The exact perplexity of a language model over `dataset`.

    One compiled program per batch shape computes the logits, the
    cross-entropy and its weighted sum, and nothing else (no loss, no
    accuracy): with XLA for models that prefer it (GPT), whose softmax then
    fuses with the reduction, so the `[batch, length, vocabulary]` logits
    are not read back by separate kernels. Padding (weight 0) is not
    counted. A stateful model carries its state from batch to batch, as in
    training.

    Args:
        model: a language model returning logits.
        dataset: batches of `(inputs, targets)` or `(inputs, targets,
            weights)`, such as `language_model_dataset(...)` or
            `stateful_streams(...)`.

    Returns:
        float.

    Example:
    >>> import numpy as np, lmzoo
    >>> model = lmzoo.models.get("gpt-nano", 20)
    >>> data = lmzoo.data.language_model_dataset(np.arange(1, 20) % 20, 8, 2)
    >>> 10 < validation_perplexity(model, data) < 40  # about uniform over 20
    True
    """
    program = _program(model)
    total, count = 0.0, 0.0
    for batch in dataset:
        inputs, targets = batch[0], batch[1]
        weights = batch[2] if len(batch) > 2 else tf.ones_like(targets, tf.float32)
        summed, weight = program(inputs, targets, weights)
        total += float(summed)
        count += float(weight)
    return math.exp(total / max(count, 1.0))

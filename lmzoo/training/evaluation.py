"""Exact perplexity over a dataset, one compiled program per batch shape."""

import math
import weakref

import tensorflow as tf

from lmzoo.training.losses import summed_cross_entropy
from lmzoo.training.xla import default_jit_compile

_PROGRAMS = weakref.WeakKeyDictionary()


def _program(model):
    if model not in _PROGRAMS:

        @tf.function(jit_compile=default_jit_compile(model))
        def program(inputs, targets, weights):
            return summed_cross_entropy(model(inputs, training=False), targets, weights)

        _PROGRAMS[model] = program
    return _PROGRAMS[model]


def validation_perplexity(model, dataset):
    """The exact perplexity of a language model over `dataset`.

    One compiled program per batch shape computes the logits (with XLA when
    the model trains faster with it, `default_jit_compile`) and the weighted
    sum of their cross-entropy (`summed_cross_entropy`, always XLA), and
    nothing else: no loss object, no accuracy. Padding (weight 0) is not
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

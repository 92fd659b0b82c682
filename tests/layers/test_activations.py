import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from lmzoo.layers import activations
from lmzoo.layers.activations import gelu, get_activation

_POINTS = np.linspace(-6.0, 6.0, 241)


def _value_and_gradient(function, x, jit):
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = function(x)
        return y, tape.gradient(y, x)

    return tf.function(run, jit_compile=True)(x) if jit else run(x)


@pytest.mark.parametrize("jit", [False, True])
def test_gelu_matches_the_exact_formula_and_its_derivative(jit):
    x = tf.constant(_POINTS, tf.float64)
    y, dy = _value_and_gradient(gelu, x, jit)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(_POINTS / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * _POINTS**2) / np.sqrt(2.0 * np.pi)
    np.testing.assert_allclose(y.numpy(), _POINTS * cdf, atol=1e-7)
    np.testing.assert_allclose(dy.numpy(), cdf + _POINTS * pdf, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_gelu_agrees_with_keras_in_every_precision(dtype):
    x = tf.constant(_POINTS, dtype)
    ours, our_gradient = _value_and_gradient(gelu, x, jit=False)
    keras_gelu = lambda v: keras.activations.gelu(v, approximate=False)  # noqa: E731
    theirs, their_gradient = _value_and_gradient(keras_gelu, x, jit=False)
    assert ours.dtype == x.dtype and our_gradient.dtype == x.dtype
    tolerance = {"float32": 1e-6, "bfloat16": 1.6e-2, "float16": 2e-3}[dtype]
    for a, b in ((ours, theirs), (our_gradient, their_gradient)):
        np.testing.assert_allclose(
            tf.cast(a, tf.float32), tf.cast(b, tf.float32), atol=tolerance
        )


def test_gelu_is_the_default_by_name_and_survives_serialization():
    assert get_activation("gelu") is gelu
    config = keras.activations.serialize(gelu)
    assert get_activation(config) is gelu
    assert activations.ACTIVATIONS["gelu"] is gelu

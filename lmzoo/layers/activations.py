"""Activations referenced by name in lmzoo configs."""

import math

import keras
import tensorflow as tf

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _math_dtype(x):
    return tf.float32 if x.dtype in (tf.bfloat16, tf.float16) else x.dtype


@tf.function(jit_compile=True)
def _gelu_forward(x):
    y = tf.cast(x, _math_dtype(x))
    return tf.cast(0.5 * y * (1.0 + tf.math.erf(y * _SQRT_HALF)), x.dtype)


@tf.function(jit_compile=True)
def _gelu_backward(x, upstream):
    y = tf.cast(x, _math_dtype(x))
    cdf = 0.5 * (1.0 + tf.math.erf(y * _SQRT_HALF))
    pdf = tf.exp(-0.5 * y * y) * _INV_SQRT_2PI
    return tf.cast(tf.cast(upstream, y.dtype) * (cdf + y * pdf), upstream.dtype)


@tf.custom_gradient
def _fused_gelu(x):
    return _gelu_forward(x), lambda upstream: _gelu_backward(x, upstream)


@keras.saving.register_keras_serializable(package="lmzoo")
def gelu(x):
    """Exact GELU, `x * Phi(x)`, as one fused XLA kernel forward and backward.

    Same values as `keras.activations.gelu(x, approximate=False)`. Written out
    by TensorFlow op by op, GELU and its autodiff gradient are a dozen passes
    over the `[tokens, 4 * width]` activations; when the model runs without
    XLA (mixed_bfloat16 on a CPU, so that oneDNN keeps its bf16 matmuls) that
    cost 15% of a GPT training step. Here the forward pass and the analytic
    gradient `Phi(x) + x phi(x)` each compile to one loop, computed in float32
    for 16-bit inputs. Inside a model compiled with XLA they simply inline.

    Args:
        x: float tensor.

    Returns:
        `0.5 x (1 + erf(x / sqrt(2)))`, same dtype and shape as `x`.

    Example:
    >>> round(float(gelu(tf.constant(1.0))), 4)
    0.8413
    """
    return _fused_gelu(tf.convert_to_tensor(x))


@keras.saving.register_keras_serializable(package="lmzoo")
def gelu_approximate(x):
    """GELU with the tanh approximation, as GPT-2 uses ("gelu_new").

    Use it by name: `GPT(..., activation="gelu_approximate")`.

    Args:
        x: tensor.

    Returns:
        `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.

    Example:
    >>> float(gelu_approximate(keras.ops.convert_to_tensor(1.0)))  # doctest: +ELLIPSIS
    0.8411...
    """
    return keras.activations.gelu(x, approximate=True)


ACTIVATIONS = {"gelu": gelu, "gelu_approximate": gelu_approximate}


def get_activation(identifier):
    """Resolves an activation by lmzoo or Keras name, or passes a callable through.

    `"gelu"` resolves to lmzoo's fused `gelu` (same values as Keras' exact
    GELU, faster without XLA).

    Args:
        identifier: str (`"gelu"`, `"relu"`, `"gelu_approximate"`, ...) or callable.

    Returns:
        The activation function.

    Example:
    >>> get_activation("gelu_approximate") is gelu_approximate
    True
    """
    if isinstance(identifier, str) and identifier in ACTIVATIONS:
        return ACTIVATIONS[identifier]
    return keras.activations.get(identifier)

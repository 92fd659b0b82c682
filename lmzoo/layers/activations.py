"""Activations referenced by name in lmzoo configs."""

import keras


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


ACTIVATIONS = {"gelu_approximate": gelu_approximate}


def get_activation(identifier):
    """Resolves an activation by lmzoo or Keras name, or passes a callable through.

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

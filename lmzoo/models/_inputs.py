"""How lmzoo models read their inputs: a token-id tensor or a dict."""

import keras
import numpy as np


def unpack_token_inputs(inputs):
    """Splits model inputs into `(token_ids, padding_mask)`.

    Args:
        inputs: a `[B, T]` int tensor, or a dict with `"token_ids"` and an
            optional `"padding_mask"`.

    Returns:
        `(token_ids, padding_mask)`; the mask is `None` when not given.

    Example:
    >>> unpack_token_inputs({"token_ids": [[1, 2]]})
    ([[1, 2]], None)
    """
    if isinstance(inputs, dict):
        if "token_ids" not in inputs:
            raise ValueError(
                f"A dict input needs a 'token_ids' entry; got keys {sorted(inputs)}."
            )
        return inputs["token_ids"], inputs.get("padding_mask")
    return inputs, None


def check_positive_int(name, value):
    """Refuses a size that is not a positive integer, naming the argument.

    Args:
        name: str. The argument's name, for the message.
        value: the value given.

    Raises:
        ValueError: `value` is not an integer > 0.

    Example:
    >>> check_positive_int("vocabulary_size", 65)
    >>> check_positive_int("vocabulary_size", 0)
    Traceback (most recent call last):
    ...
    ValueError: vocabulary_size must be a positive integer, got 0.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def serialize_tokenizer(tokenizer):
    """Config of an optional tokenizer, for a model's `get_config`.

    Args:
        tokenizer: a tokenizer layer or `None`.

    Returns:
        A serialized dict, or `None`.
    """
    return None if tokenizer is None else keras.saving.serialize_keras_object(tokenizer)


def attach_tokenizer(model, tokenizer):
    """Stores a tokenizer on a model without making it a sublayer.

    As a sublayer, a `StringLookup`-based tokenizer would make Keras refuse
    `jit_compile=True` for the whole model; the tokenizer travels in the
    model's config instead.

    Args:
        model: the `keras.Model`.
        tokenizer: a tokenizer layer, its serialized config, or `None`.
    """
    object.__setattr__(model, "tokenizer", deserialize_tokenizer(tokenizer))


def deserialize_tokenizer(config):
    """Inverse of `serialize_tokenizer`.

    Args:
        config: a serialized tokenizer dict, a tokenizer, or `None`.

    Returns:
        A tokenizer layer or `None`.
    """
    if config is None or isinstance(config, keras.layers.Layer):
        return config
    return keras.saving.deserialize_keras_object(config)

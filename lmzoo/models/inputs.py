"""The input contract every lmzoo model follows.

A model takes either bare token ids, a `[B, T]` int tensor, or a dict with:

- `"token_ids"`: `[B, T]` int ids (required);
- `"padding_mask"`: `[B, T]` bool, True at real tokens (optional; all True
  when absent). Padding may sit on either side: attention never looks at a
  padded key, and the LSTM carries its state unchanged over a padded step;
- `"segment_ids"`: `[B, T]` int, which segment each token belongs to, for
  models that have segments (BERT's sentence pairs). A model without
  segments refuses them rather than ignore them.

Any other key is refused with an error that names it. This is the dict a
preprocessor (`lmzoo.data.CausalLMPreprocessor`) produces, so
`model.fit(dataset.map(preprocessor))` works.
"""

import keras
import numpy as np

_KEYS = ("token_ids", "padding_mask", "segment_ids")


def unpack_inputs(inputs, model_name="This model", segments=False):
    """Splits model inputs into `(token_ids, padding_mask, segment_ids)`.

    Args:
        inputs: a `[B, T]` int tensor, or a dict following the contract above.
        model_name: str. Names the model in error messages.
        segments: bool. Whether the model takes `segment_ids`.

    Returns:
        `(token_ids, padding_mask, segment_ids)`; absent entries are `None`.

    Raises:
        ValueError: no `token_ids`, an unknown key, or `segment_ids` given to
            a model without segments.

    Example:
    >>> unpack_inputs({"token_ids": [[1, 2]]})
    ([[1, 2]], None, None)
    >>> unpack_inputs({"token_ids": [[1]], "segment_ids": [[0]]}, "GPT")
    Traceback (most recent call last):
    ...
    ValueError: GPT has no segments: drop 'segment_ids' from its inputs.
    """
    if not isinstance(inputs, dict):
        return inputs, None, None
    unknown = sorted(set(inputs) - set(_KEYS))
    if unknown or "token_ids" not in inputs:
        optional = "'padding_mask' and 'segment_ids'" if segments else "'padding_mask'"
        raise ValueError(
            f"{model_name} takes a dict with 'token_ids' and optionally {optional}; "
            f"got keys {sorted(inputs)}."
        )
    if not segments and inputs.get("segment_ids") is not None:
        raise ValueError(
            f"{model_name} has no segments: drop 'segment_ids' from its inputs."
        )
    token_ids, padding_mask = inputs["token_ids"], inputs.get("padding_mask")
    if padding_mask is not None:
        _check_mask(model_name, token_ids, padding_mask)
    return token_ids, padding_mask, inputs.get("segment_ids")


def _check_mask(model_name, token_ids, padding_mask):
    """Refuses a float padding mask beside integer ids, or one of another shape.

    Keras builds a model from its recorded input shapes with float32
    placeholders for every input; ids that are not integers mark such a
    trace, whose mask is float too and is not checked.
    """
    dtype = getattr(padding_mask, "dtype", None)
    ids_dtype = getattr(token_ids, "dtype", None)
    if dtype is not None and ids_dtype is not None:
        dtype = keras.backend.standardize_dtype(dtype)
        ids_integer = "int" in keras.backend.standardize_dtype(ids_dtype)
        if ids_integer and not (dtype == "bool" or "int" in dtype):
            raise ValueError(
                f"{model_name}'s padding_mask must be bool (True at real tokens), "
                f"got {dtype}."
            )
    mask_shape = getattr(padding_mask, "shape", None)
    ids_shape = getattr(token_ids, "shape", None)
    if mask_shape is None or ids_shape is None:
        return
    mask_shape, ids_shape = tuple(mask_shape), tuple(ids_shape)
    if len(mask_shape) != len(ids_shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(mask_shape, ids_shape, strict=False)
    ):
        raise ValueError(
            f"{model_name}'s padding_mask has shape {list(mask_shape)} but its "
            f"token_ids {list(ids_shape)}; they must match."
        )


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

"""Rotary position embeddings (RoPE; Su et al., 2021), as Llama applies them."""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="lmzoo")
class RotaryEmbedding(keras.layers.Layer):
    """Rotates query or key channels by an angle that grows with the position.

    Channel `i` and `i + D/2` of a head form a pair rotated by
    `position * theta ** (-2i / D)` (the "rotate half" layout of Hugging
    Face's Llama). Angles are computed in float32, the frequencies in
    float64 first.

    Args:
        max_wavelength: float. RoPE's theta (`rope_theta`). Defaults to
            `10000.0`.
        scaling_factor: float. Positions are divided by it (linear RoPE
            scaling). Defaults to `1.0`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[B, H, T, D]` tensor (head-major), `D` even.
        start_index: int or scalar tensor. Position of the first row.
            Defaults to `0`.

    Returns:
        The rotated tensor, shape and dtype of `inputs`.

    Example:
    >>> rope = RotaryEmbedding()
    >>> rope(keras.ops.ones((1, 2, 3, 8))).shape
    TensorShape([1, 2, 3, 8])
    """

    def __init__(self, max_wavelength=10000.0, scaling_factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = float(max_wavelength)
        self.scaling_factor = float(scaling_factor)

    def call(self, inputs, start_index=0):
        width = inputs.shape[-1]
        if width is None or width % 2:
            raise ValueError(f"RoPE needs an even head size, got {width}.")
        inverse_frequency = 1.0 / self.max_wavelength ** (
            np.arange(0, width, 2, dtype=np.float64) / width
        )
        positions = ops.cast(
            ops.arange(ops.shape(inputs)[-2]) + ops.cast(start_index, "int32"),
            "float32",
        )
        if self.scaling_factor != 1.0:
            positions = positions / self.scaling_factor
        angles = ops.expand_dims(positions, 1) * ops.convert_to_tensor(
            inverse_frequency.astype(np.float32)
        )  # (T, D/2)
        angles = ops.concatenate([angles, angles], axis=-1)  # (T, D)
        cos = ops.cast(ops.cos(angles), inputs.dtype)
        sin = ops.cast(ops.sin(angles), inputs.dtype)
        first, second = ops.split(inputs, 2, axis=-1)
        rotated = ops.concatenate([-second, first], axis=-1)
        return inputs * cos + rotated * sin

    def get_config(self):
        return super().get_config() | {
            "max_wavelength": self.max_wavelength,
            "scaling_factor": self.scaling_factor,
        }

"""Root-mean-square layer normalization (Zhang & Sennrich, 2019)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="lmzoo")
class RMSNormalization(keras.layers.Layer):
    """`x / sqrt(mean(x ** 2) + epsilon) * scale`, statistics in float32.

    The statistics are computed in float32 whatever the compute dtype, then
    the normalized values are cast back and scaled (Hugging Face's
    `LlamaRMSNorm` order).

    Args:
        epsilon: float. Defaults to `1e-6`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[..., C]` tensor.

    Returns:
        A tensor of the shape of `inputs` in the compute dtype.

    Example:
    >>> layer = RMSNormalization()
    >>> output = layer(keras.ops.convert_to_tensor([[3.0, 4.0]]))
    >>> [round(float(value), 3) for value in output[0]]
    [0.849, 1.131]
    """

    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale", shape=(input_shape[-1],), initializer="ones"
        )
        self.built = True

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        x = x * ops.rsqrt(
            ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon
        )
        return ops.cast(x, self.compute_dtype) * ops.cast(
            self.scale, self.compute_dtype
        )

    def get_config(self):
        return super().get_config() | {"epsilon": self.epsilon}

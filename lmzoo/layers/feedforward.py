"""The gated feed-forward network of Llama-family blocks (SwiGLU; Shazeer, 2020)."""

import keras

from lmzoo.layers.activations import get_activation


@keras.saving.register_keras_serializable(package="lmzoo")
class GatedFeedForward(keras.layers.Layer):
    """`down(activation(gate(x)) * up(x))`.

    Args:
        intermediate_dim: int. Width of the gate and up projections.
        activation: the gate's activation. Defaults to `"silu"` (SwiGLU).
        use_bias: bool. Defaults to `False`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `[B, T, C]` tensor.

    Returns:
        `[B, T, C]` tensor.

    Example:
    >>> layer = GatedFeedForward(intermediate_dim=16)
    >>> layer(keras.random.normal((2, 3, 8))).shape
    TensorShape([2, 3, 8])
    """

    def __init__(
        self,
        intermediate_dim,
        activation="silu",
        use_bias=False,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.intermediate_dim = intermediate_dim
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _dense(self, units, name, input_shape):
        layer = keras.layers.Dense(
            units,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name=name,
        )
        layer.build(input_shape)
        return layer

    def build(self, input_shape):
        width = input_shape[-1]
        self.gate = self._dense(self.intermediate_dim, "gate", input_shape)
        self.up = self._dense(self.intermediate_dim, "up", input_shape)
        self.down = self._dense(
            width, "down", tuple(input_shape[:-1]) + (self.intermediate_dim,)
        )
        self.built = True

    def call(self, inputs):
        return self.down(self.activation(self.gate(inputs)) * self.up(inputs))

    def get_config(self):
        return super().get_config() | {
            "intermediate_dim": self.intermediate_dim,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }

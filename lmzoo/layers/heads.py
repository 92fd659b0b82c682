"""Output heads that task models put on top of a backbone."""

import keras
from keras import ops

from lmzoo.layers.activations import get_activation


def tied_logits(hidden, embeddings):
    """Projects hidden states onto a token embedding matrix: the tied LM head.

    Reusing the input embedding as the output layer (Press & Wolf, 2017) saves
    `vocabulary_size * width` parameters and trains better on small data.

    Args:
        hidden: `[..., width]` tensor.
        embeddings: `[vocabulary_size, width]` embedding matrix (a variable).

    Returns:
        `[..., vocabulary_size]` float32 logits, whatever the compute dtype.

    Example:
    >>> tied_logits(ops.ones((1, 2, 3)), ops.eye(3)).numpy().tolist()
    [[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]
    """
    embeddings = ops.cast(embeddings, hidden.dtype)
    return ops.cast(ops.matmul(hidden, ops.transpose(embeddings)), "float32")


@keras.saving.register_keras_serializable(package="lmzoo")
class MaskedLMHead(keras.layers.Layer):
    """BERT's masked-LM head: dense + GELU, LayerNorm, then the tied embedding.

    Args:
        vocabulary_size: int. Size of the output bias (the embedding's rows).
        activation: activation of the transform. Defaults to `"gelu"` (exact).
        layer_norm_epsilon: float. Defaults to `1e-12`.
        kernel_initializer: Defaults to `TruncatedNormal(stddev=0.02)`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        hidden: `[..., width]` hidden states.
        embeddings: `[vocabulary_size, width]` token embedding matrix.

    Returns:
        `[..., vocabulary_size]` float32 logits.

    Example:
    >>> head = MaskedLMHead(vocabulary_size=10)
    >>> head(keras.ops.ones((2, 3, 8)), keras.ops.ones((10, 8))).shape
    TensorShape([2, 3, 10])
    """

    def __init__(
        self,
        vocabulary_size,
        activation="gelu",
        layer_norm_epsilon=1e-12,
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or keras.initializers.TruncatedNormal(stddev=0.02)
        )

    def build(self, hidden_shape, embeddings_shape=None):
        width = hidden_shape[-1]
        self.transform = keras.layers.Dense(
            width,
            activation=get_activation(self.activation),
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="transform",
        )
        self.transform.build(hidden_shape)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name="layer_norm"
        )
        self.layer_norm.build(hidden_shape)
        self.bias = self.add_weight(
            shape=(self.vocabulary_size,), initializer="zeros", name="bias"
        )
        self.built = True

    def call(self, hidden, embeddings):
        hidden = self.layer_norm(self.transform(hidden))
        return tied_logits(hidden, embeddings) + ops.cast(self.bias, "float32")

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "activation": self.activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }

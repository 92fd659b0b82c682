"""Language-model losses, computed in float32 from logits."""

import keras
import tensorflow as tf
from keras import ops


def token_cross_entropy(targets, logits):
    """Cross-entropy of each target token under `logits`, in float32.

    From logits, Keras computes `logsumexp(x) - x[target]` in one stable step:
    no one-hot `[B, T, vocabulary]` targets, and no `log(softmax(x))` that
    underflows for unlikely tokens or loses precision in float16.

    Args:
        targets: `[B, T]` int ids.
        logits: `[B, T, V]` logits, any float dtype.

    Returns:
        `[B, T]` float32 cross-entropies (nats).

    Example:
    >>> token_cross_entropy(ops.array([[0]]), ops.zeros((1, 1, 2))).numpy().round(4)
    array([[0.6931]], dtype=float32)
    """
    return keras.losses.sparse_categorical_crossentropy(
        targets, ops.cast(logits, "float32"), from_logits=True
    )


@keras.saving.register_keras_serializable(package="lmzoo")
class LanguageModelLoss(keras.losses.Loss):
    """Mean `token_cross_entropy` per token, optionally scaled by a window length.

    With `sequence_length` set it is the cost Zaremba et al. (2014) minimise
    with plain SGD at learning rate 1: summed over the time steps of a window
    and averaged over the batch, so its gradients are `sequence_length` times
    those of the per-token mean and the paper's learning rate and
    gradient-norm clip apply unchanged.

    Args:
        sequence_length: optional int. Multiply the per-token mean by it.
            Defaults to `None` (the per-token mean).
        name: str. Defaults to `"loss"`.
        **kwargs: other `keras.losses.Loss` arguments.

    Example:
    >>> round(float(LanguageModelLoss()(ops.array([[0]]), ops.zeros((1, 1, 2)))), 4)
    0.6931
    >>> loss = LanguageModelLoss(sequence_length=2)
    >>> round(float(loss(ops.array([[0, 0]]), ops.zeros((1, 2, 2)))), 4)
    1.3863
    """

    def __init__(self, sequence_length=None, name="loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.sequence_length = sequence_length

    def call(self, y_true, y_pred):
        cross_entropy = token_cross_entropy(y_true, y_pred)
        if self.sequence_length is None:
            return cross_entropy
        return cross_entropy * self.sequence_length

    def get_config(self):
        return super().get_config() | {"sequence_length": self.sequence_length}


@tf.function(jit_compile=True)
def summed_cross_entropy(logits, targets, weights):
    """Weighted sum of the cross-entropy of `logits` at `targets`, and of weights.

    Computed as `logsumexp(logits) - logits[target]` in one XLA program that
    writes out neither the softmax nor its gradient (TensorFlow's fused
    softmax-cross-entropy op writes both), for evaluation over large
    vocabularies.

    Args:
        logits: `[B, T, V]` float logits (computed in float32).
        targets: `[B, T]` int ids.
        weights: `[B, T]` weights (0 at padding).

    Returns:
        `(summed cross-entropy, summed weights)`, float32 scalars.

    Example:
    >>> total, count = summed_cross_entropy(tf.zeros((1, 2, 4)), [[0, 3]], [[1., 0.]])
    >>> round(float(total), 4), float(count)
    (1.3863, 1.0)
    """
    logits = tf.cast(logits, tf.float32)
    targets = tf.cast(targets, tf.int32)
    cross_entropy = tf.reduce_logsumexp(logits, axis=-1) - tf.gather(
        logits, targets, batch_dims=2
    )
    weights = tf.cast(weights, tf.float32)
    return tf.reduce_sum(cross_entropy * weights), tf.reduce_sum(weights)


@keras.saving.register_keras_serializable(package="lmzoo")
class SmoothedCrossEntropy(keras.losses.Loss):
    """Token cross-entropy with label smoothing, averaged over weighted tokens.

    The target distribution puts `1 - label_smoothing` on the true token and
    spreads `label_smoothing` evenly over the vocabulary (Szegedy et al.,
    2016; the Transformer uses 0.1): the loss is `(1 - eps) * nll + eps *
    mean(-log p)`, from logits in float32. The mean is over the tokens whose
    sample weight is non-zero, so padding neither counts nor dilutes it.

    Args:
        label_smoothing: float in `[0, 1)`. Defaults to `0.1`.
        name: str. Defaults to `"loss"`.
        **kwargs: other `keras.losses.Loss` arguments.

    Example:
    >>> loss = SmoothedCrossEntropy(0.1)
    >>> round(float(loss(ops.array([[0, 1]]), ops.zeros((1, 2, 4)),
    ...                  sample_weight=ops.array([[1.0, 0.0]]))), 4)
    1.3863
    >>> logits = ops.array([[[5.0, 0.0]]])
    >>> round(float(SmoothedCrossEntropy(0.0)(ops.array([[0]]), logits)), 4)
    0.0067
    """

    def __init__(self, label_smoothing=0.1, name="loss", **kwargs):
        kwargs.setdefault("reduction", "mean_with_sample_weight")
        super().__init__(name=name, **kwargs)
        if not 0 <= label_smoothing < 1:
            raise ValueError(
                f"label_smoothing must be in [0, 1), got {label_smoothing}."
            )
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        log_probabilities = tf.nn.log_softmax(ops.cast(y_pred, "float32"))
        targets = ops.cast(y_true, "int32")
        negative_log_likelihood = -tf.gather(
            log_probabilities, targets, batch_dims=targets.shape.rank
        )
        if not self.label_smoothing:
            return negative_log_likelihood
        uniform = -ops.mean(log_probabilities, axis=-1)
        return (
            1.0 - self.label_smoothing
        ) * negative_log_likelihood + self.label_smoothing * uniform

    def get_config(self):
        return super().get_config() | {"label_smoothing": self.label_smoothing}

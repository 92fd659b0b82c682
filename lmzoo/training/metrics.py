"""Language-model metrics, computed in float32 from logits."""

import keras
from keras import ops

from lmzoo.training.losses import token_cross_entropy


@keras.saving.register_keras_serializable(package="lmzoo")
class Perplexity(keras.metrics.Metric):
    """exp(mean cross-entropy per token), weighted by `sample_weight`.

    Accumulates the summed cross-entropy and the summed weight over all
    batches, so the result is exact over a whole split (padded positions with
    weight 0 do not count).

    Args:
        name: str. Defaults to `"perplexity"`.
        **kwargs: other `keras.metrics.Metric` arguments.

    Example:
    >>> metric = Perplexity()
    >>> metric.update_state(ops.array([[0]]), ops.zeros((1, 1, 2)))
    >>> round(float(metric.result()), 4)
    2.0
    """

    def __init__(self, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total_cross_entropy = self.add_variable(
            (), "zeros", name="total", dtype="float32"
        )
        self.total_weight = self.add_variable(
            (), "zeros", name="count", dtype="float32"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        cross_entropy = token_cross_entropy(y_true, y_pred)
        weight = (
            ops.ones_like(cross_entropy)
            if sample_weight is None
            else ops.cast(sample_weight, "float32")
        )
        self.total_cross_entropy.assign_add(ops.sum(cross_entropy * weight))
        self.total_weight.assign_add(ops.sum(weight))

    def result(self):
        return ops.exp(self.total_cross_entropy / ops.maximum(self.total_weight, 1.0))

    def reset_state(self):
        self.total_cross_entropy.assign(0.0)
        self.total_weight.assign(0.0)


def language_model_metrics():
    """The metrics lmzoo reports for language models: perplexity and token accuracy.

    Returns:
        `[Perplexity(), SparseCategoricalAccuracy(name="token_accuracy")]`.

    Example:
    >>> [metric.name for metric in language_model_metrics()]
    ['perplexity', 'token_accuracy']
    """
    return [
        Perplexity(),
        keras.metrics.SparseCategoricalAccuracy(name="token_accuracy"),
    ]

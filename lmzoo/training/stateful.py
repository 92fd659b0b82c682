"""Pieces of the stateful LSTM recipe (Zaremba, Sutskever & Vinyals, 2014)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="lmzoo")
class SequenceCrossEntropy(keras.losses.Loss):
    """Cross-entropy summed over the time steps of a window, averaged over the batch.

    This is the cost Zaremba et al. minimise with plain SGD at learning rate 1:
    its gradients are `sequence_length` times those of the per-token mean, so
    the learning rate and the gradient-norm clip of the paper apply unchanged.

    Args:
        sequence_length: int. Steps per window (the factor over the mean).
        name: str. Defaults to `"loss"`.

    Example:
    >>> loss = SequenceCrossEntropy(sequence_length=2)
    >>> round(float(loss(ops.array([[0, 0]]), ops.zeros((1, 2, 2)))), 4)
    1.3863
    """

    def __init__(self, sequence_length, name="loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.sequence_length = sequence_length

    def call(self, y_true, y_pred):
        cross_entropy = keras.losses.sparse_categorical_crossentropy(
            y_true, ops.cast(y_pred, "float32"), from_logits=True
        )
        return cross_entropy * self.sequence_length

    def get_config(self):
        return super().get_config() | {"sequence_length": self.sequence_length}


class ResetStates(keras.callbacks.Callback):
    """Zeroes a stateful model's carried state at each epoch and around evaluation.

    Example:
    >>> model.fit(streams, epochs=13, callbacks=[ResetStates()])  # doctest: +SKIP
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_state()

    def on_test_begin(self, logs=None):
        self.model.reset_state()

    def on_test_end(self, logs=None):
        self.model.reset_state()


def halving_schedule(learning_rate, decay=0.5, constant_epochs=4):
    """Learning rate per epoch: constant, then multiplied by `decay` each epoch.

    Args:
        learning_rate: float. The starting rate.
        decay: float. Factor per epoch after the constant phase. Defaults to
            `0.5`.
        constant_epochs: int. Epochs at the starting rate. Defaults to `4`
            (so the fifth epoch runs at half the rate, as in the paper).

    Returns:
        A function `epoch (0-based) -> learning rate` for
        `keras.callbacks.LearningRateScheduler`.

    Example:
    >>> schedule = halving_schedule(1.0)
    >>> [schedule(epoch) for epoch in range(7)]
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.25, 0.125]
    """
    return lambda epoch, *_: (
        learning_rate * decay ** max(epoch + 1 - constant_epochs, 0)
    )


def stretched_halving_schedule(learning_rate, epochs, **kwargs):
    """`halving_schedule` as a function of budget progress instead of epochs.

    Progress `p` in `[0, 1]` maps to epoch `floor(p * epochs)`, so a budget of
    exactly `epochs` epochs gets the paper's schedule step for step, and a
    shorter wall-clock budget gets the same shape compressed into it.

    Args:
        learning_rate: float. The starting rate.
        epochs: int. The recipe's number of epochs (13 in the paper).
        **kwargs: `decay` and `constant_epochs` of `halving_schedule`.

    Returns:
        A function `progress -> learning rate` for `TrainingBudget(schedule=...)`.

    Example:
    >>> schedule = stretched_halving_schedule(1.0, epochs=13)
    >>> schedule(0.0), schedule(5 / 13), schedule(1.0)
    (1.0, 0.25, 0.001953125)
    """
    per_epoch = halving_schedule(learning_rate, **kwargs)
    return lambda progress: per_epoch(min(int(progress * epochs), epochs - 1))

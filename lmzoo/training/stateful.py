"""What a stateful model (truncated BPTT over streams) needs around `fit`."""

import keras

from lmzoo.training.evaluation import validation_perplexity


class ResetStates(keras.callbacks.Callback):
    """Zeroes a stateful model's carried state at each epoch and around evaluation.

    Example:
    >>> import numpy as np, lmzoo
    >>> model = lmzoo.models.LSTMLanguageModel(20, 8, 8, stateful=True)
    >>> _ = lmzoo.training.compile_language_model(model)
    >>> streams = lmzoo.data.stateful_streams(np.arange(200) % 20, 2, 10)
    >>> history = model.fit(streams, epochs=2, callbacks=[ResetStates()], verbose=0)
    >>> len(history.history["loss"])
    2
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_state()

    def on_test_begin(self, logs=None):
        self.model.reset_state()

    def on_test_end(self, logs=None):
        self.model.reset_state()


def evaluate_keeping_state(model, dataset):
    """Validation perplexity in the middle of a stateful pass over the data.

    The carried state is set aside, evaluation starts from zeros, and
    training then resumes from the state it had.

    Args:
        model: a stateful model with `carried_state` and `reset_state()`.
        dataset: `stateful_streams(...)` batches of the validation split.

    Returns:
        float, the validation perplexity.

    Example:
    >>> import numpy as np, lmzoo
    >>> model = lmzoo.models.LSTMLanguageModel(20, 8, 8, stateful=True)
    >>> streams = lmzoo.data.stateful_streams(np.arange(200) % 20, 2, 10)
    >>> 10 < evaluate_keeping_state(model, streams) < 40
    True
    """
    variables = model.carried_state
    saved = [keras.ops.copy(variable) for variable in variables]
    model.reset_state()
    perplexity = validation_perplexity(model, dataset)
    for variable, value in zip(variables, saved, strict=True):
        variable.assign(value)
    return perplexity

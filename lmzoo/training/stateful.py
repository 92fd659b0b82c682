"""What a stateful model (truncated BPTT over streams) needs around `fit`."""

import keras

from lmzoo.training.evaluation import validation_perplexity


class ResetStates(keras.callbacks.Callback):
    """Zeroes a stateful model's carried state at each pass and around evaluation.

    By default a pass is a `fit` epoch. With `steps_per_pass`, passes are
    counted in global steps instead (from `start_step`), so that `fit` can
    run on a repeated stream and resume in the middle of a pass: the state
    is zeroed before the first step of each pass, never at a resumed start.

    Args:
        steps_per_pass: optional int. Batches in one pass over the streams.
        start_step: int. The global step `fit` starts at. Defaults to `0`.

    Example:
    >>> import numpy as np, lmzoo
    >>> model = lmzoo.models.LSTMLanguageModel(20, 8, 8, stateful=True)
    >>> _ = lmzoo.training.compile_language_model(model)
    >>> streams = lmzoo.data.stateful_streams(np.arange(200) % 20, 2, 10)
    >>> history = model.fit(streams, epochs=2, callbacks=[ResetStates()], verbose=0)
    >>> len(history.history["loss"])
    2
    """

    def __init__(self, steps_per_pass=None, start_step=0):
        super().__init__()
        self.steps_per_pass = steps_per_pass
        self.step = start_step

    def on_epoch_begin(self, epoch, logs=None):
        if self.steps_per_pass is None:
            self.model.reset_state()

    def on_train_batch_begin(self, batch, logs=None):
        if self.steps_per_pass is not None and self.step % self.steps_per_pass == 0:
            self.model.reset_state()
        self.step += 1

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

"""`fit_under_budget`: the one `model.fit` every lmzoo job trains with.

Keras counts epochs; a budget of steps, tokens or seconds does not fit that
picture (an "Epoch 2/10000" bar, or "2105/2105" when a budget stopped the run
at step 382). So the budget decides how long `fit` runs, and `BudgetProgress`
shows what the budget measures: steps done, elapsed and remaining training
time (or steps, or tokens), and the current loss.
"""

import math
import sys
import time

import keras

_STEPS_PER_EPOCH = 100


class BudgetProgress(keras.callbacks.Callback):
    """Prints the progress of a `TrainingBudget` every `interval` seconds.

    On a terminal the line is redrawn in place; elsewhere (a log, a notebook
    cell's captured output) one line is printed per interval, without ANSI
    codes.

    Args:
        budget: the `TrainingBudget` that stops training.
        interval: float. Seconds between updates. Defaults to `5`.
        stream: file to write to. Defaults to `sys.stdout`.

    Example:
    >>> import io
    >>> from lmzoo.training import TrainingBudget
    >>> budget = TrainingBudget(1e-3, tokens_per_step=64, max_steps=10)
    >>> budget.steps = 4
    >>> BudgetProgress(budget).line({"loss": 2.5})
    'step 4/10 | loss 2.5000'
    """

    def __init__(self, budget, interval=5.0, stream=None):
        super().__init__()
        self.budget = budget
        self.interval = interval
        self.stream = stream if stream is not None else sys.stdout
        self._shown = 0.0
        self._loss = None

    def line(self, logs):
        """The progress line for the budget's state and `logs`."""
        budget = self.budget
        parts = [
            f"step {budget.steps}/{budget.max_steps}"
            if budget.max_steps
            else f"step {budget.steps}"
        ]
        if budget.max_seconds:
            elapsed = budget.train_seconds
            left = max(budget.max_seconds - elapsed, 0.0)
            parts.append(
                f"{elapsed:.0f}s of {budget.max_seconds:.0f}s, {left:.0f}s left"
            )
        if budget.max_tokens:
            parts.append(f"{budget.tokens:,}/{budget.max_tokens:,} tokens")
        if logs and logs.get("loss") is not None:
            parts.append(f"loss {float(logs['loss']):.4f}")
        return " | ".join(parts)

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        if now - self._shown >= self.interval or self.model.stop_training:
            self._shown = now
            self._show(self.line(logs))

    def on_train_end(self, logs=None):
        if self.stream.isatty():
            self.stream.write("\n")
            self.stream.flush()

    def _show(self, text):
        end = "\r" if self.stream.isatty() else "\n"
        self.stream.write(text + end)
        self.stream.flush()


def fit_under_budget(
    model,
    dataset,
    budget,
    steps_per_epoch=None,
    callbacks=(),
    verbose=1,
    start_step=0,
):
    """Runs `model.fit` on `dataset`, repeated, until `budget` is spent.

    Args:
        model: a compiled model.
        dataset: a `tf.data.Dataset` of training batches; it is repeated.
        budget: a `TrainingBudget` (it sets the learning rate and stops `fit`).
        steps_per_epoch: optional int. Steps between Keras' epoch ends (a
            pass over a stateful model's streams, TensorBoard's log points);
            defaults to 100.
        callbacks: other Keras callbacks.
        verbose: 0 for silence, otherwise `BudgetProgress` lines.
        start_step: int. The step a resumed run starts at; that many batches
            of the repeated dataset are skipped. Defaults to `0`.

    Returns:
        `budget`.

    Example:
    >>> import numpy as np, lmzoo
    >>> from lmzoo.training import TrainingBudget, compile_language_model
    >>> model = compile_language_model(lmzoo.models.LSTMLanguageModel(20, 8, 8))
    >>> data = lmzoo.data.language_model_dataset(np.arange(400) % 20, 16, 4)
    >>> budget = TrainingBudget(1e-3, tokens_per_step=64, max_steps=5)
    >>> fit_under_budget(model, data, budget, verbose=0).steps
    5
    """
    steps_per_epoch = steps_per_epoch or _STEPS_PER_EPOCH
    shown = [BudgetProgress(budget)] if verbose else []
    if budget.progress < 1.0:
        model.fit(
            dataset.repeat().skip(start_step),
            steps_per_epoch=steps_per_epoch,
            initial_epoch=start_step // steps_per_epoch,
            epochs=_epochs(budget, steps_per_epoch),
            shuffle=False,
            callbacks=[budget, *callbacks, *shown],
            verbose=0,
        )
    return budget


def _epochs(budget, steps_per_epoch):
    """Enough epochs for the budget; a time budget stops `fit` itself."""
    steps = []
    if budget.max_steps:
        steps.append(budget.max_steps)
    if budget.max_tokens:
        steps.append(math.ceil(budget.max_tokens / budget.tokens_per_step))
    if not steps:
        return 1_000_000
    return math.ceil(min(steps) / steps_per_epoch) + 1

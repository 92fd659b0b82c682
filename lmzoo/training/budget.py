"""A learning-rate schedule and stopping rule driven by a step, token or time budget."""

import math
import time

import keras

from lmzoo.training.schedules import warmup_cosine

_LIMITS = ("max_steps", "max_tokens", "max_seconds")


def check_budget(**values):
    """Refuses a budget that would never end or never start.

    Args:
        **values: `max_steps`, `max_tokens`, `max_seconds` (at least one not
            `None`) and any other counts that must be positive when given.

    Raises:
        ValueError: a value is zero or negative, or no limit is given.

    Example:
    >>> check_budget(max_seconds=-60)
    Traceback (most recent call last):
    ...
    ValueError: max_seconds must be positive, got -60.
    """
    for name, value in values.items():
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be positive, got {value}.")
    if all(values.get(name) is None for name in _LIMITS):
        raise ValueError(
            "A training budget needs max_steps, max_tokens or max_seconds."
        )


class TrainingBudget(keras.callbacks.Callback):
    """Warmup + cosine decay over a budget, stopping `fit` when it is spent.

    Progress is the largest of `steps / max_steps`, `tokens / max_tokens` and
    `train_seconds / max_seconds`, where `train_seconds` adds up the time
    spent in training steps (compilation included; evaluation and the pauses
    between epochs, such as a new pass over a dataset, excluded), so
    the same cosine schedule serves a fixed number of steps (nanoGPT) and a
    wall-clock budget (the `compare` job), where the number of steps is not
    known in advance. As in nanoGPT, the rate rises linearly for
    `warmup_steps` and the cosine then spans the rest of the budget (from the
    progress reached when warmup ended to 1). It also records, after each
    validation, the point `(step, tokens, train_seconds, val_loss)` for
    learning curves (`val_loss` is the log of the exact validation perplexity,
    so it means nats per token whatever loss the model is compiled with).

    A `schedule` replaces warmup + cosine with any function of progress, such
    as `stretched_halving_schedule(1.0, epochs=13)` over a wall-clock budget.

    With an `evaluate` function it also draws the learning curve itself:
    every `eval_interval` steps, or else at `evaluations` points spread evenly
    over the budget (a time budget included, whose number of steps is not
    known in advance), and always when the budget is spent. Evaluation time
    is not counted as training time.

    Args:
        peak_learning_rate: float. Learning rate after warmup.
        tokens_per_step: int. Tokens in one training batch.
        max_steps: optional int.
        max_tokens: optional int.
        max_seconds: optional float.
        warmup_steps: int. Linear warmup (`peak * (step + 1) / (warmup_steps
            + 1)`). Defaults to `100`.
        final_learning_rate_ratio: float. The cosine ends at this fraction of
            the peak. Defaults to `0.1`.
        schedule: optional function `progress in [0, 1] -> learning rate`;
            when given, `peak_learning_rate`, `warmup_steps` and
            `final_learning_rate_ratio` are not used.
        evaluate: optional function `() -> validation perplexity`, called
            between training steps for the learning curve.
        eval_interval: optional int. Steps between evaluations.
        evaluations: int. Evaluations spread over the budget when
            `eval_interval` is not given. Defaults to `12`.

    Raises:
        ValueError: no budget, or a budget or interval that is not positive.

    Example:
    >>> import numpy as np, lmzoo
    >>> model = lmzoo.models.LSTMLanguageModel(20, 8, 8)
    >>> model = lmzoo.training.compile_language_model(model)
    >>> dataset = lmzoo.data.language_model_dataset(np.arange(400) % 20, 16, 4)
    >>> budget = TrainingBudget(1e-3, tokens_per_step=64, max_steps=3)
    >>> _ = model.fit(dataset.repeat(), epochs=5, steps_per_epoch=2,
    ...               callbacks=[budget], verbose=0)
    >>> budget.steps
    3
    """

    def __init__(
        self,
        peak_learning_rate,
        tokens_per_step,
        max_steps=None,
        max_tokens=None,
        max_seconds=None,
        warmup_steps=100,
        final_learning_rate_ratio=0.1,
        schedule=None,
        evaluate=None,
        eval_interval=None,
        evaluations=12,
    ):
        super().__init__()
        check_budget(
            max_steps=max_steps,
            max_tokens=max_tokens,
            max_seconds=max_seconds,
            eval_interval=eval_interval,
            evaluations=evaluations,
        )
        self.peak_learning_rate = peak_learning_rate
        self.tokens_per_step = tokens_per_step
        self.max_steps = max_steps
        self.max_tokens = max_tokens
        self.max_seconds = max_seconds
        self.warmup_steps = warmup_steps
        self.final_learning_rate_ratio = final_learning_rate_ratio
        self.schedule = schedule
        self.evaluate = evaluate
        self.eval_interval = eval_interval
        self.evaluations = evaluations
        self.curve = []
        self.steps = 0
        self.resumed_from_step = 0
        self.first_step_seconds = None
        self._step_seconds = 0.0
        self._step_started = None
        self._warmup_end_progress = 0.0

    @property
    def tokens(self):
        """Training tokens seen so far."""
        return self.steps * self.tokens_per_step

    @property
    def train_seconds(self):
        """Wall-clock seconds spent in training steps."""
        if self._step_started is None:
            return self._step_seconds
        return self._step_seconds + time.perf_counter() - self._step_started

    @property
    def progress(self):
        """Fraction of the budget spent, in `[0, 1]` or just above."""
        fractions = []
        if self.max_steps:
            fractions.append(self.steps / self.max_steps)
        if self.max_tokens:
            fractions.append(self.tokens / self.max_tokens)
        if self.max_seconds:
            fractions.append(self.train_seconds / self.max_seconds)
        return max(fractions)

    def learning_rate(self):
        """The learning rate for the next step."""
        if self.schedule is not None:
            return self.schedule(min(self.progress, 1.0))
        return warmup_cosine(
            min(self.progress, 1.0),
            self.steps,
            self.peak_learning_rate,
            self.warmup_steps,
            self._warmup_end_progress,
            self.final_learning_rate_ratio,
        )

    def steady_tokens_per_second(self):
        """Training throughput after the first step (which includes compilation)."""
        steady_seconds = self.train_seconds - (self.first_step_seconds or 0.0)
        return (self.steps - 1) * self.tokens_per_step / max(steady_seconds, 1e-9)

    def on_train_batch_begin(self, batch, logs=None):
        self._step_started = time.perf_counter()
        self.model.optimizer.learning_rate.assign(self.learning_rate())

    def on_train_batch_end(self, batch, logs=None):
        self._step_seconds = self.train_seconds
        self._step_started = None
        self.steps += 1
        if self.steps == 1:
            self.first_step_seconds = self.train_seconds
        if self.steps == self.warmup_steps:
            self._warmup_end_progress = min(self.progress, 1.0)
        if self.evaluate is not None and self._evaluation_due():
            self.record(self.evaluate())
        if self.progress >= 1.0:
            self.model.stop_training = True

    def state(self):
        """What a resumed run needs to go on: steps, timings, curve.

        Returns:
            A JSON-serialisable dict for `restore`.
        """
        return {
            "steps": self.steps,
            "step_seconds": self._step_seconds,
            "first_step_seconds": self.first_step_seconds,
            "warmup_end_progress": self._warmup_end_progress,
            "curve": self.curve,
        }

    def restore(self, state):
        """Continues from a `state()` saved by an interrupted run.

        Args:
            state: the dict `state()` returned.
        """
        self.steps = self.resumed_from_step = state["steps"]
        self._step_seconds = state["step_seconds"]
        self.first_step_seconds = state["first_step_seconds"]
        self._warmup_end_progress = state["warmup_end_progress"]
        self.curve = list(state["curve"])

    def _evaluation_due(self):
        if self.progress >= 1.0:
            return True
        if self.eval_interval:
            return self.steps % self.eval_interval == 0
        done = len(self.curve)
        return self.progress >= (done + 1) / self.evaluations

    def record(self, perplexity):
        """Adds a learning-curve point at the current step.

        Args:
            perplexity: float. Validation perplexity now.
        """
        self.curve.append(
            {
                "step": self.steps,
                "tokens": self.tokens,
                "train_seconds": self.train_seconds,
                "val_loss": math.log(float(perplexity)),
            }
        )

"""One place that compiles and trains lmzoo language models."""

import math

import keras

from lmzoo.training.budget import TrainingBudget
from lmzoo.training.evaluation import validation_perplexity
from lmzoo.training.metrics import language_model_loss, language_model_metrics
from lmzoo.training.optimizers import AdamW
from lmzoo.training.xla import default_jit_compile


def compile_language_model(
    model,
    learning_rate=1e-3,
    weight_decay=0.1,
    clipnorm=1.0,
    optimizer=None,
    jit_compile=None,
):
    """Compiles `model` with the LM loss, perplexity and token accuracy.

    The metrics are compiled as `weighted_metrics`: Keras gives plain
    `metrics` no sample weights, and evaluation datasets put weight 0 on the
    padding that completes their last window.

    Args:
        model: a `keras.Model` that returns logits.
        learning_rate: float. Initial learning rate (a `TrainingBudget` callback
            then drives it). Defaults to `1e-3`.
        weight_decay: float. AdamW decoupled weight decay, not applied to
            biases or LayerNorm parameters. Defaults to `0.1`. The optimizer is
            `lmzoo.training.AdamW` (Keras' AdamW with a fused update).
        clipnorm: float. Global gradient-norm clip. Defaults to `1.0`.
        optimizer: optional optimizer replacing AdamW.
        jit_compile: optional bool; defaults to `default_jit_compile(model)`.

    Returns:
        The compiled model.

    Example:
    >>> import lmzoo
    >>> model = compile_language_model(lmzoo.models.get("gpt-nano", 65))
    >>> type(model.optimizer).__name__, model.loss.name
    ('AdamW', 'loss')
    """
    if optimizer is None:
        optimizer = AdamW(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            beta_2=0.99,
            global_clipnorm=clipnorm,
        )
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    if jit_compile is None:
        jit_compile = default_jit_compile(model)
    model.compile(
        optimizer=optimizer,
        loss=language_model_loss(),
        weighted_metrics=language_model_metrics(),
        jit_compile=jit_compile,
    )
    return model


def train_language_model(
    model,
    train_dataset,
    validation_dataset,
    tokens_per_step,
    learning_rate=1e-3,
    max_steps=None,
    max_tokens=None,
    max_seconds=None,
    warmup_steps=100,
    eval_interval=None,
    callbacks=(),
    verbose=1,
):
    """Trains until the budget is spent, validating along the way.

    Args:
        model: a model compiled by `compile_language_model`.
        train_dataset: batches from `language_model_dataset(..., shuffle=True)`.
        validation_dataset: batches from `language_model_dataset(...)`, the
            data each learning-curve point is measured on (a sample, with
            `max_tokens`, keeps validation cheap).
        tokens_per_step: int. `batch_size * sequence_length`.
        learning_rate: float. Peak learning rate. Defaults to `1e-3`.
        max_steps, max_tokens, max_seconds: the budget (at least one).
        warmup_steps: int. Defaults to `100`.
        eval_interval: optional int. Steps between validations; by default
            12 validations are spread over the budget.
        callbacks: extra Keras callbacks (TensorBoard, checkpoints, ...).
        verbose: Keras verbosity. Defaults to `1` (progress bar).

    Returns:
        The `TrainingBudget` callback, holding the step count, timings and the
        learning curve.

    Example:
    >>> budget = train_language_model(model, train_ds, val_ds, 4096,
    ...                               max_seconds=60)  # doctest: +SKIP
    """
    budget = TrainingBudget(
        learning_rate,
        tokens_per_step,
        max_steps=max_steps,
        max_tokens=max_tokens,
        max_seconds=max_seconds,
        warmup_steps=warmup_steps,
        evaluate=lambda: validation_perplexity(model, validation_dataset),
        eval_interval=eval_interval,
    )
    model.fit(
        train_dataset.repeat(),
        steps_per_epoch=_STEPS_PER_EPOCH,
        epochs=_epochs(max_steps, max_tokens, tokens_per_step),
        shuffle=False,
        callbacks=[budget, keras.callbacks.TerminateOnNaN(), *callbacks],
        verbose=verbose,
    )
    return budget


_STEPS_PER_EPOCH = 100


def _epochs(max_steps, max_tokens, tokens_per_step):
    if max_steps is None and max_tokens is not None:
        max_steps = math.ceil(max_tokens / tokens_per_step)
    return math.ceil(max_steps / _STEPS_PER_EPOCH) if max_steps else 1_000_000

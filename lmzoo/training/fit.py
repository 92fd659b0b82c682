"""One place that compiles and trains lmzoo language models."""

import tensorflow as tf

from lmzoo.training.budget import TrainingBudget
from lmzoo.training.budgeted_fit import fit_under_budget
from lmzoo.training.checkpoints import (
    Checkpointing,
    TrainingInterrupted,
    checkpoint_steps,
    restore_checkpoint,
)
from lmzoo.training.evaluation import validation_perplexity
from lmzoo.training.losses import LanguageModelLoss
from lmzoo.training.metrics import language_model_metrics
from lmzoo.training.optimizers import SGD, AdamW
from lmzoo.training.schedules import stretched_halving_schedule
from lmzoo.training.stateful import ResetStates, evaluate_keeping_state
from lmzoo.training.xla import default_jit_compile


def compile_language_model(
    model,
    learning_rate=1e-3,
    weight_decay=0.1,
    clipnorm=1.0,
    optimizer=None,
    loss=None,
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
        loss: optional loss; defaults to `LanguageModelLoss()`.
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
        loss=loss or LanguageModelLoss(),
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
    schedule=None,
    eval_interval=None,
    callbacks=(),
    verbose=1,
    run_dir=None,
    checkpoint_every=100,
):
    """Trains until the budget is spent, validating along the way.

    A stateful model (`model.stateful`) trains pass after pass over its
    streams, carrying its state within a pass and zeroing it between passes;
    its learning-curve points start from a zero state and leave the carried
    one as it was. Any other model trains on `train_dataset` repeated. The
    data position is the step: a resumed run skips the batches it has seen,
    so a seeded run that is interrupted and resumed ends with the weights of
    one that was not.

    Args:
        model: a model compiled by `compile_language_model`.
        train_dataset: batches from `language_model_dataset(..., shuffle=True)`
            or, for a stateful model, `stateful_streams(...)`.
        validation_dataset: batches the learning-curve points are measured on
            (a sample, with `max_tokens`, keeps validation cheap).
        tokens_per_step: int. `batch_size * sequence_length`.
        learning_rate: float. Peak learning rate. Defaults to `1e-3`.
        max_steps, max_tokens, max_seconds: the budget (at least one).
        warmup_steps: int. Defaults to `100`.
        schedule: optional function `progress -> learning rate` replacing
            warmup + cosine.
        eval_interval: optional int. Steps between validations; by default
            12 validations are spread over the budget.
        callbacks: extra Keras callbacks (TensorBoard, ...).
        verbose: 0 for silence, otherwise progress lines (`BudgetProgress`).
            Defaults to `1`.
        run_dir: optional folder for resumable checkpoints
            (`lmzoo.training.checkpoints`): a run that finds one there goes
            on from its step, with the model, optimizer, budget and data
            position it had.
        checkpoint_every: int. Steps between checkpoints. Defaults to `100`.

    Returns:
        The `TrainingBudget` callback, holding the step count, timings and the
        learning curve.

    Raises:
        TrainingInterrupted: Ctrl-C (a `KeyboardInterrupt`); it names the
            step reached and the last checkpoint.
        TrainingDivergedError: the loss became NaN or infinite; the message names
            the step and the last good checkpoint, and nothing after it was
            saved.

    Example:
    >>> import numpy as np, lmzoo
    >>> model = compile_language_model(lmzoo.models.LSTMLanguageModel(20, 8, 8))
    >>> data = lmzoo.data.language_model_dataset(np.arange(400) % 20, 16, 4)
    >>> budget = train_language_model(model, data, data, 64, max_steps=3,
    ...                               verbose=0)
    >>> budget.steps, len(budget.curve)
    (3, 3)
    """
    stateful = getattr(model, "stateful", False)
    if stateful:
        evaluate = lambda: evaluate_keeping_state(model, validation_dataset)  # noqa: E731
    else:
        evaluate = lambda: validation_perplexity(model, validation_dataset)  # noqa: E731
    budget = TrainingBudget(
        learning_rate,
        tokens_per_step,
        max_steps=max_steps,
        max_tokens=max_tokens,
        max_seconds=max_seconds,
        warmup_steps=warmup_steps,
        schedule=schedule,
        evaluate=evaluate,
        eval_interval=eval_interval,
    )
    if not model.built:
        model(_zeros_like_inputs(train_dataset))
    start = 0
    if run_dir is not None and checkpoint_steps(run_dir):
        state = restore_checkpoint(model, run_dir)
        budget.restore(state["budget"])
        start = state["step"]
    guard = Checkpointing(
        run_dir,
        checkpoint_every,
        lambda: {"step": budget.steps, "budget": budget.state()},
        start,
    )
    steps_per_epoch = None
    callbacks = [guard, *callbacks]
    if stateful:
        steps_per_epoch = int(train_dataset.cardinality())
        callbacks.insert(0, ResetStates(steps_per_epoch, start))
    try:
        fit_under_budget(
            model,
            train_dataset,
            budget,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            verbose=verbose,
            start_step=start,
        )
    except KeyboardInterrupt:
        raise TrainingInterrupted(budget.steps, run_dir) from None
    guard.raise_if_diverged()
    return budget


def train_with_recipe(
    model,
    recipe,
    train_dataset,
    validation_dataset,
    callbacks=(),
    verbose=1,
    run_dir=None,
    checkpoint_every=100,
    **budget,
):
    """Compiles `model` as `recipe` says and trains it under a budget.

    Args:
        model: an lmzoo language model.
        recipe: a `Recipe`.
        train_dataset: training batches of `recipe`'s window and batch size
            (`stateful_streams` for a stateful model).
        validation_dataset: the learning-curve sample.
        callbacks: extra Keras callbacks.
        verbose: 0 for silence, otherwise progress lines. Defaults to `1`.
        run_dir: optional folder for resumable checkpoints (see
            `train_language_model`).
        checkpoint_every: int. Steps between checkpoints. Defaults to `100`.
        **budget: `max_steps`, `max_tokens` or `max_seconds`; without one, the
            recipe's `max_steps`, else its `epochs` over `train_dataset`.

    Returns:
        The `TrainingBudget` callback.

    Example:
    >>> import numpy as np, lmzoo
    >>> recipe = lmzoo.training.Recipe(sequence_length=16, batch_size=4)
    >>> model = lmzoo.models.LSTMLanguageModel(20, 8, 8)
    >>> data = lmzoo.data.language_model_dataset(np.arange(400) % 20, 16, 4)
    >>> train_with_recipe(model, recipe, data, data, max_steps=2, verbose=0).steps
    2
    """
    if not any(value is not None for value in budget.values()):
        budget = _recipe_length(recipe, train_dataset)
    optimizer = None
    if recipe.optimizer == "sgd":
        optimizer = SGD(recipe.learning_rate, global_clipnorm=recipe.clipnorm)
    compile_language_model(
        model,
        learning_rate=recipe.learning_rate,
        weight_decay=recipe.weight_decay,
        clipnorm=recipe.clipnorm,
        optimizer=optimizer,
        loss=LanguageModelLoss(
            recipe.sequence_length if recipe.loss_per_window else None
        ),
    )
    schedule = None
    if recipe.schedule == "halving":
        schedule = stretched_halving_schedule(recipe.learning_rate, recipe.epochs)
    return train_language_model(
        model,
        train_dataset,
        validation_dataset,
        tokens_per_step=recipe.tokens_per_step,
        learning_rate=recipe.learning_rate,
        warmup_steps=recipe.warmup_steps,
        schedule=schedule,
        eval_interval=recipe.eval_interval,
        callbacks=callbacks,
        verbose=verbose,
        run_dir=run_dir,
        checkpoint_every=checkpoint_every,
        **budget,
    )


def _zeros_like_inputs(dataset):
    """Zero inputs of the dataset's shape, to build a model before `fit`
    (a restore needs its variables; a multi-worker `fit` cannot build from a
    distributed batch). Iterating the dataset instead would draw from a
    random stream and change the batches training then sees."""
    return tf.nest.map_structure(
        lambda spec: tf.zeros(
            [1 if size is None else size for size in spec.shape], spec.dtype
        ),
        dataset.element_spec[0],
    )


def _recipe_length(recipe, train_dataset):
    if recipe.max_steps:
        return {"max_steps": recipe.max_steps}
    if recipe.epochs:
        return {"max_steps": recipe.epochs * int(train_dataset.cardinality())}
    raise ValueError(
        "This recipe has no default training length: give max_steps, max_tokens "
        "or max_seconds (--steps, --budget-tokens or --budget-minutes)."
    )

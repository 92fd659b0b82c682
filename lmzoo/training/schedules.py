"""Learning-rate schedules, as functions of training progress or epoch."""

import math


def warmup_cosine(
    progress, steps, peak_learning_rate, warmup_steps, warmup_end_progress, floor=0.1
):
    """Linear warmup over steps, then a cosine over the rest of the progress.

    As in nanoGPT: the rate rises linearly for `warmup_steps`, then decays
    along a cosine from the progress reached when warmup ended to 1, down to
    `floor * peak_learning_rate`. Progress (in `[0, 1]`) can measure steps,
    tokens or seconds, so one schedule serves a fixed number of steps and a
    wall-clock budget whose number of steps is not known in advance.

    Args:
        progress: float in `[0, 1]`. How much of the budget is spent.
        steps: int. Steps taken so far.
        peak_learning_rate: float. The rate after warmup.
        warmup_steps: int. Linear warmup (`peak * (steps + 1) / (warmup_steps
            + 1)`).
        warmup_end_progress: float. The progress when warmup ended.
        floor: float. The cosine ends at this fraction of the peak. Defaults
            to `0.1`.

    Returns:
        float, the learning rate for the next step.

    Example:
    >>> warmup_cosine(0.0, 0, 1.0, warmup_steps=1, warmup_end_progress=0.0)
    0.5
    >>> warmup_cosine(1.0, 100, 1.0, warmup_steps=1, warmup_end_progress=0.0)
    0.1
    """
    if steps < warmup_steps:
        return peak_learning_rate * (steps + 1) / (warmup_steps + 1)
    start = warmup_end_progress
    decay = (progress - start) / (1.0 - start) if start < 1.0 else 1.0
    cosine = 0.5 * (1.0 + math.cos(math.pi * decay))
    return peak_learning_rate * (floor + (1.0 - floor) * cosine)


def halving_schedule(learning_rate, decay=0.5, constant_epochs=4):
    """Learning rate per epoch: constant, then multiplied by `decay` each epoch.

    Zaremba, Sutskever & Vinyals (2014) train PTB this way.

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

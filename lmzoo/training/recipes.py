"""Training recipes: how each preset trains (a preset says what a model is)."""

import dataclasses
from typing import Literal

_OPTIMIZERS = ("adamw", "sgd")
_SCHEDULES = ("warmup_cosine", "halving")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Window, batch, optimizer, schedule and length of a training run.

    Args:
        learning_rate: float. Peak (AdamW) or starting (SGD) learning rate.
        sequence_length: int. Tokens per training window.
        batch_size: int. Windows per step.
        optimizer: `"adamw"` (decoupled weight decay, not on biases and norms)
            or `"sgd"`.
        schedule: `"warmup_cosine"` (linear warmup, cosine over the budget)
            or `"halving"` (Zaremba et al.: constant for 4 epochs, then halved
            each epoch, stretched over a budget when one is given).
        warmup_steps: int. For `"warmup_cosine"`.
        clipnorm: float. Global gradient-norm clip.
        weight_decay: float. For `"adamw"`.
        loss_per_window: bool. Sum the cross-entropy over a window instead of
            averaging it (the cost that SGD at learning rate 1 expects).
        max_steps: optional int. Default training length in steps.
        epochs: optional int. Default training length in passes over the
            data (for `"halving"`, also the length of its schedule).
        eval_interval: optional int. Steps between learning-curve points.
        corpus: str. The named corpus the recipe is tuned for.

    Example:
    >>> recipe = get_recipe("gpt-mini")
    >>> recipe.learning_rate, recipe.tokens_per_step
    (0.002, 4096)
    >>> recipe.updated(batch_size=8, sequence_length=None).tokens_per_step
    1024
    """

    learning_rate: float = 1e-3
    sequence_length: int = 128
    batch_size: int = 32
    optimizer: Literal["adamw", "sgd"] = "adamw"
    schedule: Literal["warmup_cosine", "halving"] = "warmup_cosine"
    warmup_steps: int = 100
    clipnorm: float = 1.0
    weight_decay: float = 0.1
    loss_per_window: bool = False
    max_steps: int | None = None
    epochs: int | None = None
    eval_interval: int | None = None
    corpus: str = "tinyshakespeare"

    def __post_init__(self):
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(
                f"Unknown optimizer {self.optimizer!r}; expected one of {_OPTIMIZERS}."
            )
        if self.schedule not in _SCHEDULES:
            raise ValueError(
                f"Unknown schedule {self.schedule!r}; expected one of {_SCHEDULES}."
            )
        if self.schedule == "halving" and not self.epochs:
            raise ValueError("The halving schedule needs `epochs`.")
        for name in ("sequence_length", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")

    @property
    def tokens_per_step(self):
        """Tokens in one training batch: `batch_size * sequence_length`."""
        return self.batch_size * self.sequence_length

    def updated(self, **overrides):
        """A copy with the given fields replaced; `None` values are ignored.

        Args:
            **overrides: field values (command-line flags left unset are `None`).

        Returns:
            A new `Recipe`.
        """
        return dataclasses.replace(
            self,
            **{key: value for key, value in overrides.items() if value is not None},
        )


RECIPES = {
    "lstm-small": Recipe(learning_rate=2e-3),
    # Zaremba, Sutskever & Vinyals (2014), "small": 13 epochs of plain SGD.
    "lstm-ptb-small": Recipe(
        learning_rate=1.0,
        sequence_length=20,
        batch_size=20,
        optimizer="sgd",
        schedule="halving",
        clipnorm=5.0,
        loss_per_window=True,
        epochs=13,
        corpus="ptb",
    ),
    # nanoGPT's CPU run on tiny Shakespeare (`train_shakespeare_char.py`).
    "gpt-shakespeare-cpu": Recipe(
        sequence_length=64, batch_size=12, max_steps=2000, eval_interval=250
    ),
    "gpt-ptb": Recipe(learning_rate=1.5e-3, batch_size=16, corpus="ptb"),
    "gpt-nano": Recipe(),
    "gpt-mini": Recipe(learning_rate=2e-3),
}


def get_recipe(name):
    """The recipe a preset trains with.

    Args:
        name: str. A preset name (`lmzoo.models.PRESETS`).

    Returns:
        The `Recipe`.

    Raises:
        ValueError: no recipe of that name; the message lists the known ones.

    Example:
    >>> get_recipe("lstm-ptb-small").optimizer
    'sgd'
    """
    if name not in RECIPES:
        raise ValueError(
            f"Unknown recipe {name!r}; known recipes: {', '.join(RECIPES)}."
        )
    return RECIPES[name]

"""Losses, metrics, budgets and the one place that compiles and fits models."""

from lmzoo.training.budget import TrainingBudget, check_budget
from lmzoo.training.evaluation import validation_perplexity
from lmzoo.training.fit import compile_language_model, train_language_model
from lmzoo.training.metrics import (
    Perplexity,
    language_model_loss,
    language_model_metrics,
)
from lmzoo.training.optimizers import AdamW
from lmzoo.training.stateful import (
    ResetStates,
    SequenceCrossEntropy,
    halving_schedule,
    stretched_halving_schedule,
)
from lmzoo.training.xla import default_jit_compile

__all__ = [
    "AdamW",
    "Perplexity",
    "ResetStates",
    "SequenceCrossEntropy",
    "TrainingBudget",
    "check_budget",
    "compile_language_model",
    "default_jit_compile",
    "halving_schedule",
    "language_model_loss",
    "language_model_metrics",
    "stretched_halving_schedule",
    "train_language_model",
    "validation_perplexity",
]

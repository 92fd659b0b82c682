"""Recipes, losses, metrics, schedules, budgets, and the one place that fits models."""

from lmzoo.training.budget import TrainingBudget, check_budget
from lmzoo.training.budgeted_fit import BudgetProgress, fit_under_budget
from lmzoo.training.checkpoints import (
    TrainingDivergedError,
    TrainingInterrupted,
    check_run,
    restore_checkpoint,
    save_checkpoint,
    weights_sha256,
)
from lmzoo.training.entity_scores import entity_scores
from lmzoo.training.evaluation import validation_perplexity
from lmzoo.training.fit import (
    compile_language_model,
    train_language_model,
    train_with_recipe,
)
from lmzoo.training.losses import (
    LanguageModelLoss,
    SmoothedCrossEntropy,
    summed_cross_entropy,
    token_cross_entropy,
)
from lmzoo.training.metrics import Perplexity, language_model_metrics
from lmzoo.training.optimizers import SGD, AdamW, transformer_adamw
from lmzoo.training.recipes import RECIPES, Recipe, get_recipe
from lmzoo.training.schedules import (
    halving_schedule,
    stretched_halving_schedule,
    warmup_cosine,
)
from lmzoo.training.stateful import ResetStates, evaluate_keeping_state
from lmzoo.training.xla import default_jit_compile

__all__ = [
    "RECIPES",
    "SGD",
    "AdamW",
    "LanguageModelLoss",
    "Perplexity",
    "Recipe",
    "SmoothedCrossEntropy",
    "ResetStates",
    "TrainingBudget",
    "TrainingDivergedError",
    "TrainingInterrupted",
    "BudgetProgress",
    "fit_under_budget",
    "check_budget",
    "check_run",
    "compile_language_model",
    "default_jit_compile",
    "entity_scores",
    "evaluate_keeping_state",
    "get_recipe",
    "halving_schedule",
    "language_model_metrics",
    "stretched_halving_schedule",
    "restore_checkpoint",
    "save_checkpoint",
    "summed_cross_entropy",
    "token_cross_entropy",
    "transformer_adamw",
    "train_language_model",
    "train_with_recipe",
    "validation_perplexity",
    "warmup_cosine",
    "weights_sha256",
]

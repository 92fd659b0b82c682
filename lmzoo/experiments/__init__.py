"""Experiments: train a preset, compare the LSTM baseline with GPT."""

from lmzoo.experiments.compare import compare, format_table
from lmzoo.experiments.plots import plot_learning_curves
from lmzoo.experiments.train import evaluate_split, train_preset

__all__ = [
    "compare",
    "evaluate_split",
    "format_table",
    "plot_learning_curves",
    "train_preset",
]

"""Plots: learning curves for the compare job, attention heatmaps.

They draw on `matplotlib.figure.Figure` objects, not through pyplot, so
they need no display, never change the user's backend (a notebook keeps its
inline plots) and leave no figure open.
"""

import pathlib

from matplotlib.figure import Figure


def plot_learning_curves(curves, path):
    """Plots validation loss against tokens seen and against training time.

    Args:
        curves: dict of model name -> list of points with `tokens`,
            `train_seconds` and `val_loss` (a `TrainingBudget.curve`).
        path: where to write the PNG.

    Returns:
        The path written.

    Example:
    >>> import tempfile
    >>> curve = [{"tokens": 4096 * k, "train_seconds": 2.0 * k, "val_loss": 3 / k}
    ...          for k in (1, 2, 3)]
    >>> path = plot_learning_curves({"gpt": curve}, tempfile.mkdtemp() + "/c.png")
    >>> str(path).endswith("c.png")
    True
    """
    figure = Figure(figsize=(11, 4))
    by_tokens, by_time = figure.subplots(1, 2, sharey=True)
    for name, curve in curves.items():
        tokens = [point["tokens"] / 1e6 for point in curve]
        seconds = [point["train_seconds"] for point in curve]
        losses = [point["val_loss"] for point in curve]
        by_tokens.plot(tokens, losses, marker="o", markersize=3, label=name)
        by_time.plot(seconds, losses, marker="o", markersize=3, label=name)
    by_tokens.set_xlabel("training tokens (millions)")
    by_time.set_xlabel("training time (s)")
    by_tokens.set_ylabel("validation loss (nats/token)")
    for axes in (by_tokens, by_time):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle("Validation loss during training")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    return path


def plot_cross_attention(attention, path=None, head=None):
    """Draws a translation's cross-attention as a heatmap: target rows, source columns.

    Args:
        attention: the dict of `Seq2SeqTransformer.cross_attention`.
        path: optional path of a PNG to write.
        head: optional int. One head; by default the mean over heads.

    Returns:
        The path written, or the matplotlib figure when `path` is `None`.

    Example:
    >>> import numpy as np
    >>> attention = {"source_tokens": ["▁Hi", "</s>"],
    ...              "target_tokens": ["▁Hola", "</s>"],
    ...              "weights": np.full((2, 2, 2), 0.5)}
    >>> type(plot_cross_attention(attention)).__name__
    'Figure'
    """
    weights = attention["weights"]
    weights = weights.mean(axis=0) if head is None else weights[head]
    source, target = attention["source_tokens"], attention["target_tokens"]
    figure = Figure(figsize=(1.0 + 0.45 * len(source), 1.0 + 0.4 * len(target)))
    axes = figure.subplots()
    image = axes.imshow(weights, cmap="viridis", vmin=0.0, aspect="auto")
    axes.set_xticks(range(len(source)), source, rotation=60, ha="right")
    axes.set_yticks(range(len(target)), target)
    axes.set_xlabel("source")
    axes.set_ylabel("target (as predicted)")
    axes.set_title("cross-attention" + ("" if head is None else f", head {head}"))
    figure.colorbar(image, ax=axes, fraction=0.05)
    figure.tight_layout()
    if path is None:
        return figure
    figure.savefig(path, dpi=120)
    return pathlib.Path(path)

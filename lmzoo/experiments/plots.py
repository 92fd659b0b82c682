"""Learning-curve plots for the compare job."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


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
    figure, (by_tokens, by_time) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
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
    plt.close(figure)
    return path

"""Named model sizes: `lmzoo.models.get("gpt-mini", vocabulary_size=65)`."""

import dataclasses

from lmzoo.models._inputs import check_positive_int
from lmzoo.models.gpt import GPT
from lmzoo.models.lstm import LSTMLanguageModel


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named model configuration and the recipe it trains with.

    Args:
        model_class: the `keras.Model` subclass.
        arguments: constructor arguments (all but `vocabulary_size`).
        learning_rate: peak learning rate.
        recipe: defaults for `lmzoo.experiments.train_preset` (window, batch,
            steps or epochs, warmup, ...); explicit arguments override them.
        corpus: the named corpus the preset is sized and tuned for.
    """

    model_class: type
    arguments: dict
    learning_rate: float = 1e-3
    recipe: dict = dataclasses.field(default_factory=dict)
    corpus: str = "tinyshakespeare"

    def summary(self):
        """The preset's shape in a few words.

        Returns:
            str, such as `"4 layers, width 128, context 128"`.

        Example:
        >>> get_preset("gpt-nano").summary()
        '2 layers, width 64, context 128'
        """
        arguments = self.arguments
        words = [f"{arguments.get('num_layers', 1)} layers"]
        words.append(f"width {arguments['hidden_dim']}")
        if "max_sequence_length" in arguments:
            words.append(f"context {arguments['max_sequence_length']}")
        if arguments.get("stateful"):
            words.append("stateful")
        return ", ".join(words)


PRESETS = {
    "lstm-small": Preset(
        LSTMLanguageModel,
        {"embedding_dim": 256, "hidden_dim": 512, "num_layers": 1},
        learning_rate=2e-3,
    ),
    # Zaremba, Sutskever & Vinyals (2014), "small": PTB test perplexity 114.5.
    "lstm-ptb-small": Preset(
        LSTMLanguageModel,
        {
            "embedding_dim": 200,
            "hidden_dim": 200,
            "num_layers": 2,
            "init_scale": 0.1,
            "stateful": True,
        },
        learning_rate=1.0,
        recipe={"sequence_length": 20, "batch_size": 20, "epochs": 13, "clipnorm": 5.0},
        corpus="ptb",
    ),
    # nanoGPT's CPU run on tiny Shakespeare: validation loss 1.88 after 2,000 steps.
    "gpt-shakespeare-cpu": Preset(
        GPT,
        {
            "num_layers": 4,
            "num_heads": 4,
            "hidden_dim": 128,
            "intermediate_dim": 512,
            "max_sequence_length": 64,
        },
        recipe={
            "sequence_length": 64,
            "batch_size": 12,
            "max_steps": 2000,
            "warmup_steps": 100,
            "eval_interval": 250,
        },
    ),
    # The Transformer side of `lmzoo compare --corpus ptb`: word level, with
    # dropout because PTB's 930k training words overfit a Transformer quickly.
    "gpt-ptb": Preset(
        GPT,
        {
            "num_layers": 4,
            "num_heads": 4,
            "hidden_dim": 192,
            "intermediate_dim": 768,
            "max_sequence_length": 128,
            "dropout": 0.1,
        },
        learning_rate=1.5e-3,
        recipe={"batch_size": 16},
        corpus="ptb",
    ),
    "gpt-nano": Preset(
        GPT,
        {"num_layers": 2, "num_heads": 4, "hidden_dim": 64, "max_sequence_length": 128},
    ),
    # Validation loss 1.53 on tiny Shakespeare after 20 minutes on a 2-core CPU.
    "gpt-mini": Preset(
        GPT,
        {
            "num_layers": 4,
            "num_heads": 4,
            "hidden_dim": 128,
            "intermediate_dim": 512,
            "max_sequence_length": 128,
        },
        learning_rate=2e-3,
    ),
}


def get_preset(name):
    """Looks up a preset by name.

    Args:
        name: str. A key of `PRESETS`.

    Returns:
        The `Preset`.

    Raises:
        ValueError: unknown preset; the message lists the known ones.

    Example:
    >>> get_preset("gpt-mini").model_class.__name__
    'GPT'
    """
    if name not in PRESETS:
        raise ValueError(
            f"Unknown preset {name!r}; known presets: {', '.join(PRESETS)}."
        )
    return PRESETS[name]


def get(name, vocabulary_size, **overrides):
    """Builds a model from a named preset.

    Args:
        name: str. A key of `lmzoo.models.PRESETS`.
        vocabulary_size: int. Number of token ids of the tokenizer in use.
        **overrides: constructor arguments that replace the preset's values
            (`tokenizer=...`, `dropout=...`, `dtype="mixed_bfloat16"`, ...).

    Returns:
        An unbuilt `keras.Model` (it builds on its first call).

    Raises:
        ValueError: unknown preset; the message lists the known ones.

    Example:
    >>> model = get("gpt-nano", vocabulary_size=65)
    >>> type(model).__name__, model.hidden_dim
    ('GPT', 64)
    """
    preset = get_preset(name)
    check_positive_int("vocabulary_size", vocabulary_size)
    arguments = {"name": name.replace("-", "_")} | preset.arguments | overrides
    return preset.model_class(vocabulary_size=vocabulary_size, **arguments)

"""Named model sizes: `lmzoo.models.get("gpt-mini", vocabulary_size=65)`.

A preset says what a model is; how it trains is its recipe,
`lmzoo.training.get_recipe(name)`.
"""

import dataclasses

from lmzoo.models.gpt import GPT
from lmzoo.models.inputs import check_positive_int
from lmzoo.models.lstm import LSTMLanguageModel


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named model configuration.

    Args:
        model_class: the task class (`GPT`, `LSTMLanguageModel`).
        arguments: constructor arguments (all but `vocabulary_size`).

    Example:
    >>> Preset(GPT, {"num_layers": 1, "hidden_dim": 16}).summary()
    '1 layers, width 16'
    """

    model_class: type
    arguments: dict

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
    ),
    # Zaremba, Sutskever & Vinyals (2014), "small".
    "lstm-ptb-small": Preset(
        LSTMLanguageModel,
        {
            "embedding_dim": 200,
            "hidden_dim": 200,
            "num_layers": 2,
            "init_scale": 0.1,
            "stateful": True,
        },
    ),
    # nanoGPT's CPU configuration for tiny Shakespeare.
    "gpt-shakespeare-cpu": Preset(
        GPT,
        {
            "num_layers": 4,
            "num_heads": 4,
            "hidden_dim": 128,
            "intermediate_dim": 512,
            "max_sequence_length": 64,
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
    ),
    "gpt-nano": Preset(
        GPT,
        {"num_layers": 2, "num_heads": 4, "hidden_dim": 64, "max_sequence_length": 128},
    ),
    "gpt-mini": Preset(
        GPT,
        {
            "num_layers": 4,
            "num_heads": 4,
            "hidden_dim": 128,
            "intermediate_dim": 512,
            "max_sequence_length": 128,
        },
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
    >>> type(model).__name__, model.backbone.hidden_dim
    ('GPT', 64)
    """
    preset = get_preset(name)
    check_positive_int("vocabulary_size", vocabulary_size)
    arguments = {"name": name.replace("-", "_")} | preset.arguments | overrides
    return preset.model_class(vocabulary_size=vocabulary_size, **arguments)

"""Named model sizes: `lmzoo.models.get("gpt-mini", vocabulary_size=65)`.

A preset says what a model is; how it trains is its recipe,
`lmzoo.training.get_recipe(name)`.
"""

import dataclasses

from lmzoo.models.bert_pretrainer import BertPretrainer
from lmzoo.models.gpt import GPT
from lmzoo.models.inputs import check_positive_int
from lmzoo.models.lstm import LSTMLanguageModel
from lmzoo.models.seq2seq import Seq2SeqTransformer


@dataclasses.dataclass(frozen=True)
class Preset:
    """A named model configuration.

    Args:
        model_class: the task class (`GPT`, `LSTMLanguageModel`,
            `BertPretrainer`).
        arguments: constructor arguments (all but `vocabulary_size`).
        vocabulary_size: optional int. The vocabulary the shape was made for
            (BERT's 30,522 WordPiece ids); language models take their
            corpus's.

    Example:
    >>> Preset(GPT, {"num_layers": 1, "hidden_dim": 16}).summary()
    '1 layers, width 16'
    """

    model_class: type
    arguments: dict
    vocabulary_size: int | None = None

    @property
    def is_language_model(self):
        """Whether `lmzoo train` and `compare` can train it (it generates)."""
        return hasattr(self.model_class, "generate")

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

_BERT_VOCABULARY = 30522


def _bert(num_layers, hidden_dim, num_heads):
    arguments = {
        "num_layers": num_layers,
        "num_heads": num_heads,
        "hidden_dim": hidden_dim,
        "intermediate_dim": 4 * hidden_dim,
        "max_sequence_length": 512,
    }
    return Preset(BertPretrainer, arguments, _BERT_VOCABULARY)


# Google's compact BERTs (Turc et al., 2019), BERT-base (Devlin et al., 2019)
# and all-MiniLM-L6-v2's shape (Wang et al., 2020).
PRESETS |= {
    "bert-tiny": _bert(2, 128, 2),
    "bert-mini": _bert(4, 256, 4),
    "bert-small": _bert(4, 512, 8),
    "bert-medium": _bert(8, 512, 8),
    "bert-base": _bert(12, 768, 12),
    "minilm-l6": _bert(6, 384, 12),
}


# Encoder-decoder translators: tiny for tests, small for Tatoeba on a CPU.
PRESETS |= {
    "transformer-tiny": Preset(
        Seq2SeqTransformer,
        {
            "num_layers": 1,
            "num_heads": 2,
            "hidden_dim": 32,
            "intermediate_dim": 64,
            "max_sequence_length": 32,
            "dropout": 0.0,
        },
        vocabulary_size=500,
    ),
    "transformer-small": Preset(
        Seq2SeqTransformer,
        {
            "num_layers": 3,
            "num_heads": 4,
            "hidden_dim": 256,
            "intermediate_dim": 1024,
            "max_sequence_length": 64,
            "dropout": 0.1,
        },
        vocabulary_size=8000,
    ),
}


def get_preset(name, language_model=False):
    """Looks up a preset by name.

    Args:
        name: str. A key of `PRESETS`.
        language_model: bool. Accept only presets that `lmzoo train` and
            `compare` can train.

    Returns:
        The `Preset`.

    Raises:
        ValueError: unknown preset (or not a language model); the message
            lists the known ones.

    Example:
    >>> get_preset("gpt-mini").model_class.__name__
    'GPT'
    """
    known = [n for n, p in PRESETS.items() if p.is_language_model or not language_model]
    if name in PRESETS and name not in known:
        raise ValueError(
            f"{name!r} is not a language-model preset; language-model presets: "
            f"{', '.join(known)}."
        )
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; known presets: {', '.join(known)}.")
    return PRESETS[name]


def get(name, vocabulary_size=None, **overrides):
    """Builds a model from a named preset.

    Args:
        name: str. A key of `lmzoo.models.PRESETS`.
        vocabulary_size: int. Number of token ids of the tokenizer in use;
            defaults to the preset's own (BERT's 30,522).
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
    if vocabulary_size is None:
        vocabulary_size = preset.vocabulary_size
    if vocabulary_size is None:
        raise ValueError(f"{name} needs the vocabulary_size of your tokenizer.")
    check_positive_int("vocabulary_size", vocabulary_size)
    arguments = {"name": name.replace("-", "_")} | preset.arguments | overrides
    return preset.model_class(vocabulary_size=vocabulary_size, **arguments)

"""Language models: the LSTM baseline and GPT, and their named presets."""

from lmzoo.models.gpt import GPT
from lmzoo.models.lstm import LSTMLanguageModel
from lmzoo.models.presets import PRESETS, Preset, get, get_preset

__all__ = ["GPT", "LSTMLanguageModel", "PRESETS", "Preset", "get", "get_preset"]

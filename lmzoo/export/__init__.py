"""SavedModel export with serving signatures and the tokenizer inside the graph."""

from lmzoo.export.archive import next_version
from lmzoo.export.keras_file import KERAS_FILE, find_keras_file, load_keras, save_keras
from lmzoo.export.language_model import export_language_model
from lmzoo.export.saved_model import save
from lmzoo.export.text_encoder import export_text_encoder
from lmzoo.export.translator import export_translator

__all__ = [
    "KERAS_FILE",
    "export_language_model",
    "export_text_encoder",
    "export_translator",
    "find_keras_file",
    "load_keras",
    "next_version",
    "save",
    "save_keras",
]

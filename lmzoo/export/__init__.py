"""SavedModel export with serving signatures and the tokenizer inside the graph."""

from lmzoo.export.saved_model import (
    KERAS_FILE,
    export_language_model,
    export_text_encoder,
    next_version,
    save,
    save_keras,
)

__all__ = [
    "KERAS_FILE",
    "export_language_model",
    "export_text_encoder",
    "next_version",
    "save",
    "save_keras",
]

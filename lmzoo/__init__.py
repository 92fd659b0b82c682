"""lmzoo: language models for Keras that plug into tf.data and model.fit.

`import lmzoo` registers every lmzoo class with Keras, so that
`keras.models.load_model("model.keras")` restores lmzoo models, tokenizers,
optimizers and losses in a process that imported nothing else from lmzoo.
It imports TensorFlow to do so; `lmzoo.experiments` (pandas, matplotlib) still
loads on first use.

Example:
>>> import lmzoo
>>> model = lmzoo.models.get("gpt-mini", vocabulary_size=65)
>>> type(model).__name__
'GPT'
"""

import importlib
import sys

# While `python -m lmzoo` locates lmzoo/__main__.py, sys.argv[0] is "-m"
# (Python's documented behaviour); the command line then parses its arguments
# before TensorFlow loads, as the `lmzoo` script does, and imports what it runs.
if getattr(sys, "argv", [])[:1] != ["-m"]:
    from lmzoo import data, export, generation, interop, layers, models, training

__version__ = "0.2.0"

__all__ = [
    "data",
    "experiments",
    "export",
    "generation",
    "interop",
    "layers",
    "models",
    "training",
]


def __getattr__(name):
    if name == "experiments":
        return importlib.import_module("lmzoo.experiments")
    raise AttributeError(f"module 'lmzoo' has no attribute {name!r}")

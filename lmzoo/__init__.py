"""lmzoo: language models for Keras that plug into tf.data and model.fit.

Subpackages load on first use, so `import lmzoo` is cheap and TensorFlow is
imported only when a model, layer or pipeline is needed.

Example:
>>> import lmzoo
>>> model = lmzoo.models.get("gpt-mini", vocabulary_size=65)
"""

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = (
    "data",
    "experiments",
    "export",
    "generation",
    "layers",
    "models",
    "training",
)

__all__ = list(_SUBPACKAGES)


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"lmzoo.{name}")
    raise AttributeError(f"module 'lmzoo' has no attribute {name!r}")

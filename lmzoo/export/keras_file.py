"""`.keras` files: saved atomically, loaded in Keras' safe mode."""

import zipfile

import keras
import tensorflow as tf

from lmzoo.atomic import atomic_path, is_local, join

KERAS_FILE = "model.keras"


def save_keras(model, path):
    """Saves `model` as a `.keras` file atomically: the old file or the new, whole.

    Args:
        model: a `keras.Model`.
        path: where to write (a name ending in `.keras`), on any filesystem
            TensorFlow knows.

    Returns:
        `path`.

    Example:
    >>> import numpy as np, pathlib, tempfile
    >>> from lmzoo.models import get
    >>> model = get("gpt-nano", vocabulary_size=20)
    >>> _ = model(np.zeros((1, 4), np.int32))
    >>> save_keras(model, pathlib.Path(tempfile.mkdtemp()) / "nano.keras").name
    'nano.keras'
    """
    with atomic_path(path) as staging:
        model.save(staging)
    return path


def find_keras_file(path):
    """The `.keras` file that `path` names or holds.

    Args:
        path: a `.keras` file, a run folder holding `model.keras`, or an lmzoo
            SavedModel folder (its `assets/model.keras`).

    Returns:
        str, on any filesystem TensorFlow knows.

    Raises:
        FileNotFoundError: none of those; the message says what to give.

    Example:
    >>> find_keras_file("missing")
    Traceback (most recent call last):
    ...
    FileNotFoundError: No model.keras at missing: give a SavedModel folder ...
    """
    for candidate in (path, join(path, KERAS_FILE), join(path, "assets", KERAS_FILE)):
        if tf.io.gfile.exists(candidate) and not tf.io.gfile.isdir(candidate):
            return str(candidate)
    raise FileNotFoundError(
        f"No {KERAS_FILE} at {path}: give a SavedModel folder written by lmzoo "
        "(saved_models/<name>/<version>), a training run's folder or a .keras file."
    )


def load_keras(path, compile=False):
    """Loads an lmzoo model in Keras' safe mode: no pickled code runs.

    Args:
        path: a `.keras` file, a run folder or an lmzoo SavedModel folder
            (see `find_keras_file`).
        compile: bool. Restore the training configuration too. Defaults to
            `False`.

    Returns:
        The `keras.Model`.

    Raises:
        FileNotFoundError: no `.keras` file there.
        ValueError: the file is truncated or corrupt (named).

    Example:
    >>> import numpy as np, pathlib, tempfile
    >>> from lmzoo.models import get
    >>> model = get("gpt-nano", vocabulary_size=20)
    >>> _ = model(np.zeros((1, 4), np.int32))
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> type(load_keras(save_keras(model, folder / "nano.keras"))).__name__
    'GPT'
    """
    path = find_keras_file(path)
    whole = not is_local(path) or zipfile.is_zipfile(path)
    reason = None if whole else "not a complete zip archive"
    if reason is None:
        try:
            return keras.saving.load_model(path, compile=compile, safe_mode=True)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as error:
            reason = str(error)
    raise ValueError(
        f"{path} is not a readable .keras file (truncated or corrupt: {reason}). "
        "Save the model again."
    )

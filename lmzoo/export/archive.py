"""Writing exports: TF Serving version folders, atomically."""

import contextlib
import logging
import pathlib

import keras
import tensorflow as tf

from lmzoo.atomic import atomic_path, join
from lmzoo.export.keras_file import KERAS_FILE


def next_version(directory):
    """The next integer version folder under `directory` (TF Serving layout).

    Args:
        directory: path of `saved_models/<name>`.

    Returns:
        int: one more than the largest numeric sub-folder, or 1.

    Example:
    >>> next_version("/nonexistent")
    1
    """
    directory = pathlib.Path(directory)
    versions = [int(p.name) for p in directory.glob("*") if p.name.isdigit()]
    return max(versions, default=0) + 1


@contextlib.contextmanager
def _quiet_tensorflow():
    """Hides TensorFlow's INFO lines while saving ("Assets written to", and one
    "Unsupported signature" per optimizer variable): they name temporary
    paths and internals, nothing a user can act on."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_signatures(signatures, available):
    """Refuses signature names outside `available`, listing the valid ones.

    Args:
        signatures: optional iterable of names; `None` means all.
        available: the names the model's kind has.

    Returns:
        tuple of the names to export.

    Raises:
        ValueError: an unknown name.

    Example:
    >>> check_signatures(["generate"], ("serve", "generate"))
    ('generate',)
    >>> check_signatures(["predict"], ("serve", "generate"))
    Traceback (most recent call last):
    ...
    ValueError: Unknown signature 'predict'; this model has serve, generate.
    """
    if signatures is None:
        return tuple(available)
    for name in signatures:
        if name not in available:
            raise ValueError(
                f"Unknown signature {name!r}; this model has {', '.join(available)}."
            )
    return tuple(signatures)


def version_folder(directory, version=None, overwrite=False):
    """The folder of one export version, refused if it exists (unless overwriting).

    Args:
        directory: path of `saved_models/<name>`.
        version: optional int; defaults to `next_version(directory)`.
        overwrite: bool. Allow an existing version. Defaults to `False`.

    Returns:
        `pathlib.Path` of `directory/<version>`.

    Raises:
        FileExistsError: the version exists and `overwrite` is False.

    Example:
    >>> version_folder("/nonexistent/gpt").name
    '1'
    """
    directory = pathlib.Path(directory)
    version = next_version(directory) if version is None else int(version)
    target = directory / str(version)
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"{target} exists already; pick another version or overwrite it "
            "(overwrite=True, lmzoo export --overwrite)."
        )
    return target


def new_archive(*resources):
    """An empty `keras.export.ExportArchive` tracking the layers that hold tables.

    The model is not tracked: its variables are saved once, through the
    endpoints that use them. Tracking it as well stores every weight twice,
    once per Python wrapper of the same buffer (keras-team/keras#23553).

    Args:
        *resources: layers with lookup tables (tokenizers, preprocessors);
            `None` entries are skipped.

    Returns:
        The archive.

    Example:
    >>> from lmzoo.data import CharTokenizer
    >>> archive = new_archive(CharTokenizer(["a", "b"]), None)
    >>> callable(archive.add_endpoint), callable(archive.write_out)
    (True, True)
    """
    archive = keras.export.ExportArchive()
    for resource in resources:
        if resource is not None:
            archive.track(resource)
    return archive


def write(archive, model, target):
    """Writes an export archive and `assets/model.keras` atomically at `target`.

    Both go to a staging folder beside `target`, which is then renamed
    into place (`lmzoo.atomic.atomic_path`: an existing `target` is renamed
    aside first and deleted last), so a failed export never leaves a
    half-written version.

    Args:
        archive: a `keras.export.ExportArchive` with its endpoints.
        model: the Keras model, kept as `assets/model.keras` for lmzoo tools
            (TensorFlow Serving ignores it).
        target: `pathlib.Path` of the version folder.

    Returns:
        `target`.
    """
    with atomic_path(target, folder=True) as staging, _quiet_tensorflow():
        archive.write_out(staging, verbose=False)
        tf.io.gfile.makedirs(join(staging, "assets"))
        model.save(join(staging, "assets", KERAS_FILE))
    return target

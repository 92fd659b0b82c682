"""Writing exports: TF Serving version folders, atomically; `.keras` files."""

import contextlib
import logging
import os
import pathlib
import shutil
import tempfile

KERAS_FILE = "model.keras"


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


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(staging, target):
    """Gives a staged export the permissions of a normal folder, then renames it.

    `tempfile.mkdtemp` makes its folder readable by its owner only; a server
    running as another user (TF Serving) must be able to read the export. An
    existing `target` (an overwrite) is renamed aside first and deleted only
    once the new version is in place, so either version is whole at any time.
    """
    os.chmod(staging, 0o777 & ~_umask())
    previous = None
    if target.exists():
        previous = tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-old-")
        os.replace(target, pathlib.Path(previous) / target.name)
    os.replace(staging, target)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


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


def save_keras(model, path):
    """Saves `model` as a `.keras` file atomically: the old file or the new, whole.

    Args:
        model: a `keras.Model`.
        path: where to write (a name ending in `.keras`).

    Returns:
        `pathlib.Path` of the written file.

    Example:
    >>> import numpy as np
    >>> from lmzoo.models import get
    >>> model = get("gpt-nano", vocabulary_size=20)
    >>> _ = model(np.zeros((1, 4), np.int32))
    >>> save_keras(model, pathlib.Path(tempfile.mkdtemp()) / "nano.keras").name
    'nano.keras'
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=path.parent, suffix=".keras")
    os.close(handle)
    try:
        model.save(staging)
        os.chmod(staging, 0o666 & ~_umask())
        os.replace(staging, path)
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    return path


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


def write(archive, model, target):
    """Writes an export archive and `assets/model.keras` atomically at `target`.

    Both go to a temporary folder beside `target`, which is then renamed
    into place (an existing `target` is renamed aside first and deleted
    last), so a failed export never leaves a half-written version.

    Args:
        archive: a `keras.export.ExportArchive` with its endpoints.
        model: the Keras model, kept as `assets/model.keras` for lmzoo tools
            (TensorFlow Serving ignores it).
        target: `pathlib.Path` of the version folder.

    Returns:
        `target`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        with _quiet_tensorflow():
            archive.write_out(staging, verbose=False)
        assets = pathlib.Path(staging) / "assets"
        assets.mkdir(exist_ok=True)
        model.save(assets / KERAS_FILE)
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target

"""Atomic writes: a file or folder appears whole, or not at all.

Every file lmzoo writes for later (downloads, checkpoints, run records,
`.keras` files, SavedModels) is written to a staging name beside its target
and renamed into place once complete. Paths go through `tf.io.gfile`, so the
same code writes local folders and any filesystem TensorFlow knows
(`gs://...`, `s3://...` where a plugin provides it, the in-memory `ram://`).
Staged files and folders are created like any other, so they get the
permissions the user's umask gives (a checkpoint or download is as readable
as a file the user writes by hand).
"""

import contextlib
import uuid

import tensorflow as tf


def join(folder, *names):
    """`folder/name/...` for a local path or a URL-style path (`gs://b/x`).

    Args:
        folder: str or path-like.
        *names: str parts.

    Returns:
        str.

    Example:
    >>> join("ram://runs", "a", "state.json")
    'ram://runs/a/state.json'
    """
    return "/".join([str(folder).rstrip("/"), *names])


def is_local(path):
    """Whether `path` is on the local filesystem (no `scheme://`).

    Example:
    >>> is_local("runs/a"), is_local("gs://bucket/runs/a")
    (True, False)
    """
    return "://" not in str(path)


@contextlib.contextmanager
def atomic_path(target, folder=False):
    """Yields a staging path beside `target`; renames it into place on success.

    Write a file or a folder at the yielded path. When the block ends
    normally, it replaces `target`: an existing folder is first renamed aside
    and deleted once the new one is in place, so a reader finds the old
    version or the new one, each whole. When the block raises, the staging
    path is removed and `target` is untouched.

    Object stores (`gs://`, `ram://`) cannot rename a folder as one step, so
    there a folder is written in place; its readers take it as complete once
    the file written last is there (a checkpoint's `state.json`).

    Args:
        target: str or path-like, the final path (its parent is created).
        folder: bool. Whether a folder is written there. Defaults to `False`.

    Yields:
        str, a path in the same folder whose name keeps `target`'s suffix
        (`model.keras` stages as `.model-<random>.keras`).

    Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "notes.txt") as staging:
    ...     _ = pathlib.Path(staging).write_text("whole")
    >>> sorted(p.name for p in folder.iterdir())
    ['notes.txt']
    """
    target = str(target)
    parent, _, name = target.rstrip("/").rpartition("/")
    stem, dot, suffix = name.partition(".")
    staging = join(parent or ".", f".{stem}-{uuid.uuid4().hex[:12]}{dot}{suffix}")
    if parent:
        tf.io.gfile.makedirs(parent)
    if folder and not is_local(target):
        _remove(target)
        try:
            yield target
        except BaseException:
            _remove(target)
            raise
        return
    try:
        yield staging
        _replace(staging, target)
    finally:
        _remove(staging)


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically.

    Args:
        path: str or path-like.
        text: str.

    Returns:
        str, the path.

    Example:
    >>> write_text("ram://notes/a.json", "{}")
    'ram://notes/a.json'
    >>> tf.io.gfile.GFile("ram://notes/a.json").read()
    '{}'
    """
    with atomic_path(path) as staging, tf.io.gfile.GFile(staging, "w") as out:
        out.write(text)
    return str(path)


def _replace(staging, target):
    aside = None
    if tf.io.gfile.isdir(target):
        parent, _, name = target.rpartition("/")
        aside = join(parent or ".", f".{name}-old-{uuid.uuid4().hex[:12]}")
        tf.io.gfile.rename(target, aside)
    tf.io.gfile.rename(staging, target, overwrite=True)
    if aside is not None:
        _remove(aside)


def _remove(path):
    # A renamed folder can still look like one on ram:// (it has no real
    # folders): NotFound there means there was nothing left to remove.
    try:
        if tf.io.gfile.isdir(path):
            tf.io.gfile.rmtree(path)
        elif tf.io.gfile.exists(path):
            tf.io.gfile.remove(path)
    except tf.errors.NotFoundError:
        pass

"""SavedModel export that serves from a process with TensorFlow alone."""

import os
import pathlib
import shutil
import tempfile

import keras
import tensorflow as tf

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


def export_language_model(model, directory, version=None, tokenizer=None):
    """Writes `model` (and its tokenizer) as a SavedModel at `directory/<version>`.

    The SavedModel has these signatures, usable with `tf.saved_model.load` in
    a process without lmzoo:

    - `serve(token_ids: int32 [B, T]) -> float32 logits [B, T, V]`
    - `tokenize(text: string scalar) -> int32 ids [T]` (with a tokenizer)
    - `detokenize(token_ids: int32 [T]) -> string scalar` (with a tokenizer)

    `assets/model.keras` holds the Keras model too, so that lmzoo tools
    (`lmzoo generate`) get the cached, compiled decoding loop; TensorFlow
    Serving ignores it.

    The export is written to a temporary folder beside the target and renamed
    into place, so a failed export never leaves a half-written version.

    Args:
        model: a built lmzoo language model.
        directory: path of `saved_models/<name>`.
        version: optional int; defaults to `next_version(directory)`.
        tokenizer: optional tokenizer; defaults to `model.tokenizer`.

    Returns:
        `pathlib.Path` of the written version folder.

    Example:
    >>> path = export_language_model(model, "saved_models/gpt-mini")  # doctest: +SKIP
    >>> served = tf.saved_model.load(str(path))  # doctest: +SKIP
    >>> served.serve(tf.constant([[1, 2, 3]]))  # doctest: +SKIP
    """
    directory = pathlib.Path(directory)
    version = next_version(directory) if version is None else int(version)
    target = directory / str(version)
    if target.exists():
        raise FileExistsError(f"{target} exists already; pick another version.")
    tokenizer = (
        tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
    )
    if not model.built:
        model(tf.zeros((1, 1), tf.int32))

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serve",
        lambda token_ids: model(token_ids, training=False),
        input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids")],
    )
    if tokenizer is not None:
        archive.track(tokenizer)
        archive.add_endpoint(
            "tokenize",
            lambda text: tokenizer(text),
            input_signature=[tf.TensorSpec([], tf.string, name="text")],
        )
        archive.add_endpoint(
            "detokenize",
            lambda token_ids: tokenizer.detokenize(token_ids),
            input_signature=[tf.TensorSpec([None], tf.int32, name="token_ids")],
        )
    directory.mkdir(parents=True, exist_ok=True)
    staging = tempfile.mkdtemp(dir=directory, prefix=f".{version}-")
    try:
        archive.write_out(staging, verbose=False)
        assets = pathlib.Path(staging) / "assets"
        assets.mkdir(exist_ok=True)
        model.save(assets / KERAS_FILE)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target

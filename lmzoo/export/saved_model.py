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


def _pad_batch(ragged_ids):
    return {
        "token_ids": ragged_ids.to_tensor(0),
        "padding_mask": tf.sequence_mask(ragged_ids.row_lengths()),
    }


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


def save_keras(model, path):
    """Saves `model` as a `.keras` file atomically: the old file or the new, whole.

    Args:
        model: a `keras.Model`.
        path: where to write (a name ending in `.keras`).

    Returns:
        `pathlib.Path` of the written file.

    Example:
    >>> from lmzoo.models import get
    >>> model = get("gpt-nano", vocabulary_size=20)
    >>> _ = model(tf.zeros((1, 4), tf.int32))
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


def _check_token_ids(token_ids, vocabulary_size, max_sequence_length):
    """In-graph checks of the `serve` input: ids in range, length in the table."""
    checks = [
        tf.debugging.Assert(
            tf.reduce_all((token_ids >= 0) & (token_ids < vocabulary_size)),
            [
                "token id out of range: got",
                tf.boolean_mask(
                    token_ids, (token_ids < 0) | (token_ids >= vocabulary_size)
                )[:1],
                "but the vocabulary size is",
                vocabulary_size,
            ],
        )
    ]
    if max_sequence_length:
        length = tf.shape(token_ids)[1]
        checks.append(
            tf.debugging.Assert(
                length <= max_sequence_length,
                [
                    "sequence too long: got",
                    length,
                    "tokens but max_sequence_length is",
                    max_sequence_length,
                ],
            )
        )
    with tf.control_dependencies(checks):
        return tf.identity(token_ids)


def export_language_model(
    model, directory, version=None, tokenizer=None, overwrite=False
):
    """Writes `model` (and its tokenizer) as a SavedModel at `directory/<version>`.

    The SavedModel has these signatures, usable with `tf.saved_model.load` in
    a process without lmzoo:

    - `serve(token_ids: int32 [B, T]) -> float32 logits [B, T, V]`; an id
      outside `[0, V)` or a `T` beyond the model's `max_sequence_length`
      fails with a message naming the id or the length;
    - `tokenize(text: string scalar) -> int32 ids [T]` (with a tokenizer);
    - `tokenize_batch(text: string [B]) -> {"token_ids": int32 [B, T],
      "padding_mask": bool [B, T]}`, right-padded with id 0 (with a
      tokenizer);
    - `detokenize(token_ids: int32 [T]) -> string scalar` (with a tokenizer).

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
        overwrite: bool. Replace an existing version folder. Defaults to
            `False` (an existing version is an error).

    Returns:
        `pathlib.Path` of the written version folder.

    Example:
    >>> import tempfile, lmzoo
    >>> model = lmzoo.models.GPT(10, num_layers=1, hidden_dim=8)
    >>> _ = model(tf.constant([[1]]))
    >>> path = export_language_model(model, tempfile.mkdtemp() + "/gpt")
    >>> served = tf.saved_model.load(str(path))
    >>> served.serve(tf.constant([[1, 2, 3]])).shape
    TensorShape([1, 3, 10])
    """
    target = _version_folder(directory, version, overwrite)
    tokenizer = (
        tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
    )
    if not model.built:
        model(tf.zeros((1, 1), tf.int32))

    archive = keras.export.ExportArchive()
    archive.track(model)
    max_length = getattr(model, "max_sequence_length", None)
    # A stateful LSTM serves each request from a zero state, at any batch size.
    forward = getattr(model, "logits_from_zero_state", model)
    archive.add_endpoint(
        "serve",
        lambda token_ids: forward(
            _check_token_ids(token_ids, model.vocabulary_size, max_length)
        ),
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
            "tokenize_batch",
            lambda text: _pad_batch(tokenizer(text)),
            input_signature=[tf.TensorSpec([None], tf.string, name="text")],
        )
        archive.add_endpoint(
            "detokenize",
            lambda token_ids: tokenizer.detokenize(token_ids),
            input_signature=[tf.TensorSpec([None], tf.int32, name="token_ids")],
        )
    return _write(archive, model, target)


def _version_folder(directory, version, overwrite=False):
    directory = pathlib.Path(directory)
    version = next_version(directory) if version is None else int(version)
    target = directory / str(version)
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"{target} exists already; pick another version or overwrite it "
            "(overwrite=True, lmzoo export --overwrite)."
        )
    return target


def _write(archive, model, target):
    """Writes the archive and `assets/model.keras` beside `target`, then renames."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-")
    try:
        archive.write_out(staging, verbose=False)
        assets = pathlib.Path(staging) / "assets"
        assets.mkdir(exist_ok=True)
        model.save(assets / KERAS_FILE)
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _packed(preprocessor, text):
    """Packs `[B]` strings, then cuts the padding every row shares."""
    features = preprocessor(text)
    lengths = tf.reduce_sum(tf.cast(features["padding_mask"], tf.int32), axis=1)
    length = tf.reduce_max(lengths)
    return {key: value[:, :length] for key, value in features.items()}


def export_text_encoder(model, directory, version=None, overwrite=False):
    """Writes a BERT task with its preprocessor as a strings-in SavedModel.

    Signatures (inputs `text`: string `[B]`), usable with
    `tf.saved_model.load` in a process that imports `tensorflow` and
    `tensorflow_text` (for the WordPiece ops) but not lmzoo:

    - a `SentenceEncoder`: `embed(text) -> {"embeddings": float32 [B, H]}`,
      L2-normalised as `model.encode` returns them;
    - a `BertClassifier`: `classify(text) -> {"probabilities": float32
      [B, num_classes], "labels": int32 [B]}`.

    Each batch is packed by the model's `BertPreprocessor` and cut to its
    longest sentence. Written atomically to `directory/<version>` like
    `export_language_model`, with `assets/model.keras`.

    Args:
        model: a `SentenceEncoder` or `BertClassifier` with a preprocessor.
        directory: path of `saved_models/<name>`.
        version: optional int; defaults to `next_version(directory)`.
        overwrite: bool. Replace an existing version folder. Defaults to
            `False`.

    Returns:
        `pathlib.Path` of the written version folder.

    Raises:
        ValueError: the model has no preprocessor, or is not one of these.

    Example:
    >>> import tempfile, lmzoo
    >>> from lmzoo.data import BertPreprocessor, WordPieceTokenizer
    >>> tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hi"])
    >>> model = lmzoo.models.BertClassifier(
    ...     vocabulary_size=5, hidden_dim=8, num_heads=2, num_classes=3,
    ...     preprocessor=BertPreprocessor(tokenizer, sequence_length=16))
    >>> path = export_text_encoder(model, tempfile.mkdtemp() + "/classifier")
    >>> served = tf.saved_model.load(str(path))
    >>> served.classify(tf.constant(["hi", "hi hi"]))["probabilities"].shape
    TensorShape([2, 3])
    """
    kind = type(model).__name__
    if kind not in ("SentenceEncoder", "BertClassifier"):
        raise ValueError(
            f"export_text_encoder writes SentenceEncoder and BertClassifier, not "
            f"{kind}."
        )
    preprocessor = getattr(model, "preprocessor", None)
    if preprocessor is None:
        raise ValueError(
            f"{kind} has no preprocessor: a strings-in export needs one "
            "(BertPreprocessor)."
        )
    target = _version_folder(directory, version, overwrite)
    model(_packed(preprocessor, tf.constant(["[CLS]"])))
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(preprocessor)

    def embed(text):
        return {"embeddings": model(_packed(preprocessor, text), training=False)}

    def classify(text):
        logits = model(_packed(preprocessor, text), training=False)
        return {
            "probabilities": tf.nn.softmax(logits),
            "labels": tf.argmax(logits, -1, output_type=tf.int32),
        }

    name, endpoint = (
        ("embed", embed) if kind == "SentenceEncoder" else ("classify", classify)
    )
    archive.add_endpoint(
        name,
        endpoint,
        input_signature=[tf.TensorSpec([None], tf.string, name="text")],
    )
    return _write(archive, model, target)


def save(model, path, overwrite=False):
    """Exports a model to a TF Serving version folder, with the right signatures.

    A language model (`GPT`, `LSTMLanguageModel`) gets
    `export_language_model`'s signatures, a `SentenceEncoder` or
    `BertClassifier` with a preprocessor `export_text_encoder`'s.

    Args:
        model: the model.
        path: `saved_models/<name>/<version>`; the last part is the integer
            version.
        overwrite: bool. Replace an existing version. Defaults to `False`.

    Returns:
        `pathlib.Path` of the written version folder.

    Raises:
        ValueError: `path` does not end in a version number, or the model is
            of a kind with no export yet (the message lists those that have).
        FileExistsError: the version exists and `overwrite` is False.

    Example:
    >>> import tempfile, lmzoo
    >>> model = lmzoo.models.GPT(10, num_layers=1, hidden_dim=8)
    >>> save(model, tempfile.mkdtemp() + "/gpt/7").name
    '7'
    """
    path = pathlib.Path(path)
    if not path.name.isdigit():
        raise ValueError(
            f"{path}: an export path ends in its version number, such as "
            f"saved_models/{path.name or 'model'}/1."
        )
    if hasattr(model, "generate"):
        return export_language_model(
            model, path.parent, int(path.name), overwrite=overwrite
        )
    if type(model).__name__ in ("SentenceEncoder", "BertClassifier"):
        return export_text_encoder(model, path.parent, int(path.name), overwrite)
    raise ValueError(
        f"lmzoo cannot export a {type(model).__name__} yet; it exports GPT, "
        "LSTMLanguageModel, SentenceEncoder and BertClassifier."
    )

"""SavedModel export of a language model: logits, tokenization and generation."""

import tensorflow as tf

from lmzoo.export.archive import check_signatures, new_archive, version_folder, write
from lmzoo.generation.serving import text_generation

GENERATE_SIGNATURE = [
    tf.TensorSpec([None], tf.string, name="prompt"),
    tf.TensorSpec([], tf.int32, name="max_new_tokens"),
    tf.TensorSpec([], tf.float32, name="temperature"),
    tf.TensorSpec([], tf.int32, name="top_k"),
    tf.TensorSpec([], tf.int32, name="seed"),
]


def _pad_batch(ragged_ids):
    return {
        "token_ids": ragged_ids.to_tensor(0),
        "padding_mask": tf.sequence_mask(ragged_ids.row_lengths()),
    }


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


SIGNATURES = (
    "serve",
    "serve_padded",
    "generate",
    "tokenize",
    "tokenize_batch",
    "detokenize",
)


def export_language_model(
    model, directory, version=None, tokenizer=None, overwrite=False, signatures=None
):
    """Writes `model` (and its tokenizer) as a SavedModel at `directory/<version>`.

    The signatures, usable with `tf.saved_model.load` or TensorFlow Serving
    in a process without lmzoo (docs/serving.md):

    - `serve(token_ids: int32 [B, T]) -> {"logits": float32 [B, T, V]}`; an
      id outside `[0, V)` or a `T` beyond the model's `max_sequence_length`
      fails with a message naming the id or the length;
    - `serve_padded(token_ids, padding_mask: bool [B, T]) -> {"logits"}`,
      the same with a padding mask (True at real tokens);
    - with a tokenizer, `generate(prompt: string [B], max_new_tokens: int32,
      temperature: float32, top_k: int32, seed: int32) -> {"generated":
      string [B], "continuation": string [B]}`: `model.generate` in the
      graph (tokenizer, cached XLA decoding loop, detokenizer).
      `temperature` 0 is greedy, `top_k` 0 is no limit; `generated` is the
      prompt and its continuation, `continuation` the new text alone;
    - `tokenize(text: string scalar) -> {"token_ids": int32 [T]}`;
    - `tokenize_batch(text: string [B]) -> {"token_ids": int32 [B, T],
      "padding_mask": bool [B, T]}`, right-padded with id 0;
    - `detokenize(token_ids: int32 [T]) -> {"text": string scalar}`.

    `assets/model.keras` holds the Keras model too, so that lmzoo tools
    (`lmzoo generate`) get the cached, compiled decoding loop; TensorFlow
    Serving ignores it. The version is written atomically (`archive.write`).

    Args:
        model: a built lmzoo language model.
        directory: path of `saved_models/<name>`.
        version: optional int; defaults to `next_version(directory)`.
        tokenizer: optional tokenizer; defaults to `model.tokenizer`.
        overwrite: bool. Replace an existing version folder. Defaults to
            `False` (an existing version is an error).
        signatures: optional list of the signatures above to export
            (default: all that apply; the string ones need a tokenizer).

    Returns:
        `pathlib.Path` of the written version folder.

    Example:
    >>> import tempfile, lmzoo
    >>> model = lmzoo.models.GPT(10, num_layers=1, hidden_dim=8)
    >>> _ = model(tf.constant([[1]]))
    >>> path = export_language_model(model, tempfile.mkdtemp() + "/gpt")
    >>> served = tf.saved_model.load(str(path))
    >>> served.serve(tf.constant([[1, 2, 3]]))["logits"].shape
    TensorShape([1, 3, 10])
    """
    tokenizer = (
        tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
    )
    available = SIGNATURES if tokenizer is not None else SIGNATURES[:2]
    wanted = check_signatures(signatures, available)
    target = version_folder(directory, version, overwrite)
    if not model.built:
        model(tf.zeros((1, 1), tf.int32))

    archive = new_archive(tokenizer)
    max_length = getattr(model, "max_sequence_length", None)
    # A stateful LSTM serves each request from a zero state, at any batch size.
    forward = getattr(model, "logits_from_zero_state", model)

    def serve_padded(token_ids, padding_mask):
        token_ids = _check_token_ids(token_ids, model.vocabulary_size, max_length)
        features = {"token_ids": token_ids}
        if padding_mask is not None:
            features["padding_mask"] = padding_mask
        return {"logits": forward(features)}

    ids = tf.TensorSpec([None, None], tf.int32, name="token_ids")
    text = tf.TensorSpec([None], tf.string, name="text")
    endpoints = {
        "serve": (lambda token_ids: serve_padded(token_ids, None), [ids]),
        "serve_padded": (
            serve_padded,
            [ids, tf.TensorSpec([None, None], tf.bool, name="padding_mask")],
        ),
    }
    if tokenizer is not None:
        endpoints |= {
            "generate": (text_generation(model, tokenizer), GENERATE_SIGNATURE),
            "tokenize": (
                lambda text: {"token_ids": tokenizer(text)},
                [tf.TensorSpec([], tf.string, name="text")],
            ),
            "tokenize_batch": (lambda text: _pad_batch(tokenizer(text)), [text]),
            "detokenize": (
                lambda token_ids: {"text": tokenizer.detokenize(token_ids)},
                [tf.TensorSpec([None], tf.int32, name="token_ids")],
            ),
        }
    for name in wanted:
        archive.add_endpoint(name, *endpoints[name])
    return write(archive, model, target)

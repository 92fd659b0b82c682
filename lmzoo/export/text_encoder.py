"""SavedModel export of BERT tasks that take strings: embed, classify, tag."""

import tensorflow as tf

from lmzoo.data.tokenizers.word_packing import pack_text_words
from lmzoo.export.archive import new_archive, version_folder, write

TEXT_SIGNATURES = {
    "SentenceEncoder": "embed",
    "BertClassifier": "classify",
    "BertTokenClassifier": "tag",
}
TEXT_ENCODERS = tuple(TEXT_SIGNATURES)


def _packed(preprocessor, text):
    """Packs `[B]` strings, then cuts the padding every row shares."""
    features = preprocessor(text)
    lengths = tf.reduce_sum(tf.cast(features["padding_mask"], tf.int32), axis=1)
    length = tf.reduce_max(lengths)
    return {key: value[:, :length] for key, value in features.items()}


def _label_names(model):
    names = model.label_names or [str(i) for i in range(model.num_classes)]
    return tf.constant(names, tf.string)


def _endpoint(model, preprocessor):
    """The name and function of the one signature `model`'s kind serves."""
    kind = type(model).__name__

    def embed(text):
        return {"embeddings": model(_packed(preprocessor, text), training=False)}

    def classify(text):
        logits = model(_packed(preprocessor, text), training=False)
        labels = tf.argmax(logits, -1, output_type=tf.int32)
        return {
            "probabilities": tf.nn.softmax(logits),
            "labels": labels,
            "label_names": tf.gather(_label_names(model), labels),
        }

    def tag(text):
        features, words, first_piece = pack_text_words(
            preprocessor.tokenizer, text, preprocessor.sequence_length
        )
        logits = model(features, training=False)
        at_words = tf.gather(logits, tf.maximum(first_piece, 0), batch_dims=1)
        is_word = tf.sequence_mask(words.row_lengths(), tf.shape(first_piece)[1])
        ids = tf.where(
            first_piece >= 0, tf.argmax(at_words, -1, output_type=tf.int32), 0
        )
        return {
            "words": words.to_tensor(""),
            "tags": tf.where(is_word, tf.gather(_label_names(model), ids), ""),
            "tag_ids": tf.where(is_word, ids, -1),
        }

    endpoints = {"embed": embed, "classify": classify, "tag": tag}
    return TEXT_SIGNATURES[kind], endpoints[TEXT_SIGNATURES[kind]]


def export_text_encoder(model, directory, version=None, overwrite=False):
    """Writes a BERT task with its preprocessor as a strings-in SavedModel.

    One signature, taking `text`: string `[B]`, usable with
    `tf.saved_model.load` in a process that imports `tensorflow` and
    `tensorflow_text` (for the WordPiece ops) but not lmzoo:

    - a `SentenceEncoder`: `embed(text) -> {"embeddings": float32 [B, H]}`,
      L2-normalised as `model.encode` returns them;
    - a `BertClassifier`: `classify(text) -> {"probabilities": float32
      [B, num_classes], "labels": int32 [B], "label_names": string [B]}`
      (the model's `label_names`, else the ids as text);
    - a `BertTokenClassifier`: `tag(text) -> {"words": string [B, W],
      "tags": string [B, W], "tag_ids": int32 [B, W]}`, one tag per
      whitespace-separated word as `model.predict` gives them, padded
      with `""` and -1 after each row's words. A word cut off by the
      preprocessor's `sequence_length` gets tag 0.

    Each batch is packed by the model's `BertPreprocessor` and cut to its
    longest sentence. Written atomically to `directory/<version>` like
    `export_language_model`, with `assets/model.keras`.

    Args:
        model: a `SentenceEncoder`, `BertClassifier` or `BertTokenClassifier`
            with a preprocessor.
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
    if kind not in TEXT_ENCODERS:
        raise ValueError(
            f"export_text_encoder writes {', '.join(TEXT_ENCODERS)}, not {kind}."
        )
    preprocessor = getattr(model, "preprocessor", None)
    if preprocessor is None:
        raise ValueError(
            f"{kind} has no preprocessor: a strings-in export needs one "
            "(BertPreprocessor)."
        )
    target = version_folder(directory, version, overwrite)
    model(_packed(preprocessor, tf.constant(["[CLS]"])))
    archive = new_archive(preprocessor)
    name, endpoint = _endpoint(model, preprocessor)
    archive.add_endpoint(
        name, endpoint, [tf.TensorSpec([None], tf.string, name="text")]
    )
    return write(archive, model, target)

"""SavedModel export of a translator: source strings in, translations out."""

import tensorflow as tf

from lmzoo.export.archive import new_archive, version_folder, write
from lmzoo.generation.serving import text_translation


def export_translator(
    model, directory, version=None, overwrite=False, num_beams=4, length_penalty=1.0
):
    """Writes a `Seq2SeqTransformer` as a SavedModel that translates strings.

    Its signature, usable with `tf.saved_model.load` in a process that
    imports `tensorflow` and `tensorflow_text` (for the SentencePiece ops)
    but not lmzoo: `translate(text: string [B]) -> {"translation": string
    [B]}`, the beam search of `model.translate` in the graph (SentencePiece
    in and out, the encoder and the cached decoding loop compiled with XLA).
    Written atomically to `directory/<version>`, with `assets/model.keras`.

    Args:
        model: a `Seq2SeqTransformer` with a `TranslationPreprocessor`.
        directory: path of `saved_models/<name>`.
        version: optional int; defaults to `next_version(directory)`.
        overwrite: bool. Replace an existing version folder. Defaults to
            `False`.
        num_beams: int. Beam width; 1 is greedy. Defaults to `4`.
        length_penalty: float. Defaults to `1.0`.

    Returns:
        `pathlib.Path` of the written version folder.

    Example:
    >>> import tempfile
    >>> from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
    >>> from lmzoo.data.translation import TranslationPreprocessor
    >>> from lmzoo.models import Seq2SeqTransformer
    >>> tokenizer = SentencePieceTokenizer.train(["hola", "adios"] * 9, 20)
    >>> model = Seq2SeqTransformer(
    ...     tokenizer.vocabulary_size, num_layers=1, hidden_dim=8, num_heads=2,
    ...     max_sequence_length=16,
    ...     preprocessor=TranslationPreprocessor(tokenizer, tokenizer, 16))
    >>> path = export_translator(model, tempfile.mkdtemp() + "/translator")
    >>> served = tf.saved_model.load(str(path))
    >>> served.translate(tf.constant(["hola"]))["translation"].shape
    TensorShape([1])
    """
    translate = text_translation(model, num_beams, length_penalty)
    target = version_folder(directory, version, overwrite)
    archive = new_archive(model.preprocessor)
    archive.add_endpoint(
        "translate", translate, [tf.TensorSpec([None], tf.string, name="text")]
    )
    return write(archive, model, target)

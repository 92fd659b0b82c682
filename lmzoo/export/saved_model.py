"""`lmzoo.export.save`: any lmzoo model to a TF Serving version folder."""

import pathlib

from lmzoo.export.archive import check_signatures
from lmzoo.export.language_model import export_language_model
from lmzoo.export.text_encoder import (
    TEXT_ENCODERS,
    TEXT_SIGNATURES,
    export_text_encoder,
)
from lmzoo.export.translator import export_translator


def save(model, path, overwrite=False, signatures=None):
    """Exports a model to a TF Serving version folder, with the right signatures.

    A language model (`GPT`, `LSTMLanguageModel`) gets
    `export_language_model`'s signatures (`serve`, `serve_padded`,
    `generate`, ...); a `SentenceEncoder`, `BertClassifier` or
    `BertTokenClassifier` with a preprocessor `export_text_encoder`'s
    (`embed`, `classify`, `tag`); a `Seq2SeqTransformer`
    `export_translator`'s (`translate`). docs/serving.md lists them all.

    Args:
        model: the model.
        path: `saved_models/<name>/<version>`; the last part is the integer
            version.
        overwrite: bool. Replace an existing version. Defaults to `False`.
        signatures: optional list of signature names to export (default:
            all of the model's kind); an unknown name is refused with the
            list of valid ones.

    Returns:
        `pathlib.Path` of the written version folder.

    Raises:
        ValueError: `path` does not end in a version number, or the model is
            of a kind with no export (the message lists those that have).
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
    directory, version = path.parent, int(path.name)
    kind = type(model).__name__
    if kind == "Seq2SeqTransformer":
        check_signatures(signatures, ("translate",))
        return export_translator(model, directory, version, overwrite)
    if hasattr(model, "generate"):
        return export_language_model(
            model, directory, version, overwrite=overwrite, signatures=signatures
        )
    if kind in TEXT_ENCODERS:
        check_signatures(signatures, (TEXT_SIGNATURES[kind],))
        return export_text_encoder(model, directory, version, overwrite)
    raise ValueError(
        f"lmzoo cannot export a {kind}; it exports GPT, LSTMLanguageModel, "
        f"{', '.join(TEXT_ENCODERS)} and Seq2SeqTransformer."
    )

"""Pretrained decoders from other tools' files: GGUF and Hugging Face folders."""

import json
import pathlib

from lmzoo.models.gpt import GPT
from lmzoo.models.llama import Llama


def is_pretrained(path):
    """Whether `path` is a GGUF file or a Hugging Face folder (`config.json`).

    Args:
        path: str or path.

    Returns:
        bool.

    Example:
    >>> is_pretrained("tests/fixtures/hf_tiny_gpt2"), is_pretrained("runs/x")
    (True, False)
    """
    path = pathlib.Path(path)
    return (path.suffix == ".gguf" and path.is_file()) or (
        path / "config.json"
    ).is_file()


def load_pretrained(path, **kwargs):
    """A GPT or Llama-family model from a GGUF file or a Hugging Face folder.

    Args:
        path: a `.gguf` file (`Llama.from_gguf`), or a folder whose
            `config.json` names GPT-2 (`GPT.from_huggingface`) or Llama,
            Mistral or Qwen2 (`Llama.from_huggingface`).
        **kwargs: passed to the loader (`dtype`).

    Returns:
        The model, with its tokenizer when the files have one.

    Raises:
        ValueError: a model type lmzoo does not load, named.

    Example:
    >>> type(load_pretrained("tests/fixtures/hf_tiny_llama")).__name__
    'Llama'
    """
    path = pathlib.Path(path)
    if path.suffix == ".gguf":
        return Llama.from_gguf(path, **kwargs)
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    model_type = config.get("model_type")
    if model_type == "gpt2":
        return GPT.from_huggingface(path, **kwargs)
    if model_type in ("llama", "mistral", "qwen2"):
        return Llama.from_huggingface(path, **kwargs)
    raise ValueError(
        f"{path / 'config.json'}: unsupported model_type {model_type!r}; lmzoo "
        "loads gpt2, llama, mistral and qwen2 folders and llama GGUF files."
    )

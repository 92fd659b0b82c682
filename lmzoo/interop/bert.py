"""Hugging Face BERT checkpoints (`config.json` + `model.safetensors`) -> lmzoo."""

import json
import pathlib

import numpy as np

from lmzoo.layers.heads import MaskedLMHead
from lmzoo.models.bert import BertBackbone

_SUPPORTED = {"BertModel", "BertForMaskedLM", "BertForPreTraining"}


def _read(folder):
    from safetensors.numpy import load_file

    folder = pathlib.Path(folder)
    for name in ("config.json", "model.safetensors"):
        if not (folder / name).is_file():
            raise FileNotFoundError(
                f"{folder / name} not found: expected a Hugging Face BERT folder "
                "written by save_pretrained."
            )
    config = json.loads((folder / "config.json").read_text())
    unsupported = set(config.get("architectures") or []) - _SUPPORTED
    if unsupported:
        raise ValueError(
            f"Unsupported architectures {sorted(unsupported)} in {folder}; lmzoo "
            f"reads {sorted(_SUPPORTED)}."
        )
    if config.get("hidden_act", "gelu") != "gelu":
        raise ValueError(f"Unsupported hidden_act {config['hidden_act']!r}.")
    tensors = load_file(folder / "model.safetensors")
    return config, {
        name.removeprefix("bert."): value for name, value in tensors.items()
    }


def _dense(prefix, layer):
    return {
        f"{prefix}.weight": (layer.kernel, True),
        f"{prefix}.bias": (layer.bias, False),
    }


def _norm(prefix, layer):
    return {
        f"{prefix}.weight": (layer.gamma, False),
        f"{prefix}.bias": (layer.beta, False),
    }


def _backbone_targets(backbone):
    """HF tensor name -> (lmzoo variable, whether the tensor is transposed)."""
    targets = {
        "embeddings.word_embeddings.weight": (
            backbone.token_embedding.embeddings,
            False,
        ),
        "embeddings.position_embeddings.weight": (
            backbone.position_embedding.embeddings,
            False,
        ),
        "embeddings.token_type_embeddings.weight": (
            backbone.segment_embedding.embeddings,
            False,
        ),
        **_norm("embeddings.LayerNorm", backbone.embedding_layer_norm),
        **_dense("pooler.dense", backbone.pooler),
    }
    for index, block in enumerate(backbone.blocks):
        prefix = f"encoder.layer.{index}"
        attention = block.self_attention
        targets |= _dense(f"{prefix}.attention.self.query", attention.query_dense)
        targets |= _dense(f"{prefix}.attention.self.key", attention.key_dense)
        targets |= _dense(f"{prefix}.attention.self.value", attention.value_dense)
        targets |= _dense(f"{prefix}.attention.output.dense", attention.output_dense)
        targets |= _norm(
            f"{prefix}.attention.output.LayerNorm", block.self_attention_layer_norm
        )
        targets |= _dense(
            f"{prefix}.intermediate.dense", block.feedforward_intermediate
        )
        targets |= _dense(f"{prefix}.output.dense", block.feedforward_output)
        targets |= _norm(f"{prefix}.output.LayerNorm", block.feedforward_layer_norm)
    return targets


def _head_targets(head):
    return {
        **_dense("cls.predictions.transform.dense", head.transform),
        **_norm("cls.predictions.transform.LayerNorm", head.layer_norm),
        "cls.predictions.bias": (head.bias, False),
    }


def _assign(targets, tensors):
    for name, (variable, transposed) in targets.items():
        if name not in tensors:
            raise ValueError(f"The checkpoint has no tensor {name}.")
        value = tensors[name].T if transposed else tensors[name]
        if tuple(variable.shape) != value.shape:
            raise ValueError(
                f"Checkpoint tensor {name} has shape {tensors[name].shape}; the "
                f"config asks for {tuple(variable.shape)}."
            )
        variable.assign(value)


def load_hf_bert(folder):
    """Builds a `BertBackbone` (and masked-LM head) from a Hugging Face folder.

    Hugging Face stores dense kernels `[out, in]`; Keras `[in, out]`, so they
    are transposed. Every tensor of the checkpoint is used: a missing, extra
    or mis-shaped one is an error that names it. No PyTorch needed.

    Args:
        folder: path holding `config.json` and `model.safetensors`.

    Returns:
        `(backbone, masked_lm_head)`; the head is `None` when the checkpoint
        has none (`BertModel`).

    Example:
    >>> backbone, head = load_hf_bert("../shared/fixtures/hf_tiny_bert")
    >>> backbone.num_layers, backbone.hidden_dim, head.vocabulary_size
    (2, 32, 101)
    """
    config, tensors = _read(folder)
    backbone = BertBackbone(
        vocabulary_size=config["vocab_size"],
        num_layers=config["num_hidden_layers"],
        num_heads=config["num_attention_heads"],
        hidden_dim=config["hidden_size"],
        intermediate_dim=config["intermediate_size"],
        max_sequence_length=config["max_position_embeddings"],
        num_segments=config["type_vocab_size"],
        layer_norm_epsilon=config["layer_norm_eps"],
    )
    backbone(np.zeros((1, 1), "int32"))
    targets = _backbone_targets(backbone)
    head = None
    if "cls.predictions.bias" in tensors:
        head = MaskedLMHead(
            config["vocab_size"], layer_norm_epsilon=config["layer_norm_eps"]
        )
        head.build((1, config["hidden_size"]))
        targets |= _head_targets(head)
    # The decoder is tied to the word embeddings; older checkpoints also store
    # the `arange` of positions as a buffer.
    derived = {
        "cls.predictions.decoder.weight",
        "cls.predictions.decoder.bias",
        "embeddings.position_ids",
    }
    extra = sorted(set(tensors) - set(targets) - derived)
    if extra:
        raise ValueError(f"Checkpoint tensors lmzoo does not know: {extra}.")
    _assign(targets, tensors)
    return backbone, head

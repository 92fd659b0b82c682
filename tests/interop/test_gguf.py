"""GGUF files: a tiny Llama written by the `gguf` package loads as its Hugging Face
checkpoint does; damaged files and types lmzoo lacks are refused by name."""

import json

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import dequantize, quantize
from safetensors.numpy import load_file

from lmzoo.data.tokenizers.byte_pair import bytes_to_unicode
from lmzoo.interop.gguf import read_gguf
from lmzoo.models import Llama
from tests.conftest import FIXTURES

FOLDER = FIXTURES / "hf_tiny_llama"
NAMES = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
TYPES = ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1"]


def _permute(weight, heads):
    """llama.cpp's convert script: query/key rows in interleaved RoPE order."""
    return (
        weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def _gguf_name(name):
    if name.startswith("model.layers."):
        _, _, index, *rest = name.split(".")
        module = ".".join(rest[:-1])
        return f"blk.{index}.{NAMES[module]}.{rest[-1]}"
    return {
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    }[name]


CHAT_TEMPLATE = (
    "{% for m in messages %}<|end|>{{ m['role'] }}:{{ m['content'] }}{% endfor %}"
    "<|end|>assistant:"
)


def write_tiny_gguf(path, architecture="llama", quantized=False):
    """hf_tiny_llama as llama.cpp would write it, with a byte vocabulary and a chat
    template; with `quantized`, each matrix in one of `TYPES` in turn. Returns the
    dequantized matrices by GGUF name."""
    config = json.loads((FOLDER / "config.json").read_text())
    writer = GGUFWriter(str(path), architecture)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_freq_base(config.get("rope_theta", 10000.0))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    table = bytes_to_unicode()
    writer.add_token_list([table[byte] for byte in range(100)] + ["<|end|>"])
    writer.add_token_types([1] * 100 + [3])
    writer.add_token_merges([])
    writer.add_eos_token_id(100)
    writer.add_chat_template(CHAT_TEMPLATE)
    written = {}
    for index, (name, value) in enumerate(
        sorted(load_file(FOLDER / "model.safetensors").items())
    ):
        if name.endswith("q_proj.weight"):
            value = _permute(value, config["num_attention_heads"])
        elif name.endswith("k_proj.weight"):
            value = _permute(value, config["num_key_value_heads"])
        gguf_name = _gguf_name(name)
        kind = TYPES[index % len(TYPES)] if quantized and value.ndim == 2 else "F32"
        qtype = GGMLQuantizationType[kind]
        data = value if kind == "F32" else quantize(value, qtype)
        writer.add_tensor(gguf_name, data, raw_dtype=None if kind == "F32" else qtype)
        written[gguf_name] = dequantize(data, qtype).reshape(value.shape)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return written


def test_a_float32_gguf_gives_the_hugging_face_checkpoints_logits(tmp_path):
    write_tiny_gguf(tmp_path / "tiny.gguf")
    from_gguf = Llama.from_gguf(tmp_path / "tiny.gguf")
    ids = np.arange(1, 21)[None]
    np.testing.assert_allclose(
        from_gguf(ids), Llama.from_huggingface(FOLDER)(ids), atol=1e-6
    )
    assert from_gguf.end_token_ids == (100,)
    assert from_gguf.tokenizer.special_tokens == ["<|end|>"]


def test_each_quantization_type_dequantizes_as_the_gguf_package(tmp_path):
    written = write_tiny_gguf(tmp_path / "tiny.gguf", quantized=True)
    tensors = read_gguf(tmp_path / "tiny.gguf")["tensors"]
    value = tensors["layers.0.mlp.down_proj.weight"]
    np.testing.assert_array_equal(value, written["blk.0.ffn_down.weight"])
    kinds = {TYPES[i % len(TYPES)] for i in range(len(written))}
    assert kinds == set(TYPES)


def test_another_architecture_is_refused_by_name(tmp_path):
    write_tiny_gguf(tmp_path / "gemma.gguf", architecture="gemma")
    with pytest.raises(ValueError, match="unsupported GGUF architecture 'gemma'"):
        Llama.from_gguf(tmp_path / "gemma.gguf")


def test_a_quantization_type_lmzoo_lacks_is_refused_by_name(tmp_path):
    writer = GGUFWriter(str(tmp_path / "q5.gguf"), "llama")
    data = quantize(np.zeros((2, 32), np.float32), GGMLQuantizationType.Q5_0)
    writer.add_tensor("blk.0.attn_q.weight", data, raw_dtype=GGMLQuantizationType.Q5_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(
        ValueError, match=r"unsupported tensor type Q5_0 \(blk.0.attn_q"
    ):
        Llama.from_gguf(tmp_path / "q5.gguf")


def test_a_truncated_file_is_refused_by_name(tmp_path, smollm2_path):
    with open(smollm2_path, "rb") as file:
        (tmp_path / "cut.gguf").write_bytes(file.read(3_000_000))
    with pytest.raises(ValueError, match="cut.gguf is not a readable GGUF file"):
        Llama.from_gguf(tmp_path / "cut.gguf")

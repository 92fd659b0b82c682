"""The Llama family: the shared harness, caching, and parity with `transformers`
on tiny random Llama, Mistral and Qwen2 checkpoints that the test builds."""

import json
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from lmzoo import models
from lmzoo.models import Llama
from tests.conftest import FIXTURES, REPO
from tests.harness import run_layer_test

SMALL = {
    "vocabulary_size": 66,
    "num_layers": 2,
    "num_heads": 4,
    "num_key_value_heads": 2,
    "hidden_dim": 32,
    "max_sequence_length": 64,
}


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """Tiny `transformers` checkpoints and their logits, written in a process of their
    own (PyTorch and TensorFlow cannot share one)."""
    folder = tmp_path_factory.mktemp("llama_reference")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tests/models/llama_reference.py"),
            str(folder),
            "tiny",
        ],
        check=True,
        capture_output=True,
    )
    return folder


@pytest.mark.parametrize("tie", [True, False])
def test_llama_passes_the_layer_harness(token_batch, tmp_path, tie):
    run_layer_test(
        Llama,
        SMALL | {"tie_word_embeddings": tie},
        token_batch,
        (2, 16, 66),
        tmp_path=tmp_path,
        float32_output=True,
    )


def test_llama_backbone_passes_the_layer_harness(token_batch, tmp_path):
    run_layer_test(
        models.LlamaBackbone, SMALL, token_batch, (2, 16, 32), tmp_path=tmp_path
    )


def test_cached_forward_matches_full_forward(token_batch):
    model = Llama(**SMALL)
    full = model(token_batch)
    cache = model.init_cache(2)
    logits, cache = model.decode_step(token_batch[:, :10], cache, 0)
    np.testing.assert_allclose(logits, full[:, :10], atol=1e-5)
    for index in range(10, 16):
        step, cache = model.decode_step(token_batch[:, index : index + 1], cache, index)
        np.testing.assert_allclose(step[:, 0], full[:, index], atol=1e-5)


@pytest.mark.parametrize("family", ["llama", "mistral", "qwen2"])
def test_transformers_checkpoints_give_the_same_logits_and_greedy_tokens(
    references, family
):
    folder = references / family
    reference = np.load(folder / "reference.npz")
    model = Llama.from_huggingface(folder)
    assert model.backbone.num_key_value_heads == 2
    np.testing.assert_allclose(model(reference["ids"]), reference["logits"], atol=1e-4)
    greedy = model.generate(reference["ids"][:1, :5], max_new_tokens=12)
    np.testing.assert_array_equal(greedy["token_ids"], reference["greedy"])


def test_the_families_differ_where_transformers_says(references):
    llama = Llama.from_huggingface(references / "llama")
    mistral = Llama.from_huggingface(references / "mistral")
    qwen2 = Llama.from_huggingface(references / "qwen2")
    assert not llama.tie_word_embeddings and llama.lm_head is not None
    assert llama.backbone.blocks[0].self_attention.output_dense.use_bias
    assert mistral.backbone.sliding_window == 8
    assert qwen2.tie_word_embeddings
    attention = qwen2.backbone.blocks[0].self_attention
    assert attention.query_dense.use_bias and not attention.output_dense.use_bias
    assert len(list((references / "qwen2").glob("model-*.safetensors"))) > 1


def test_keras_file_round_trip_keeps_the_head_and_chat_settings(tmp_path):
    model = Llama.from_huggingface(FIXTURES / "hf_tiny_llama")
    model.chat_template = "{{ messages[0]['content'] }}"
    model.end_token_ids = (3,)
    ids = np.arange(1, 11)[None]
    model.save(tmp_path / "llama.keras")
    loaded = keras.saving.load_model(tmp_path / "llama.keras")
    np.testing.assert_allclose(loaded(ids), model(ids), atol=1e-6)
    assert loaded.chat_template == model.chat_template
    assert loaded.end_token_ids == (3,)


def _folder_with(tmp_path, config_changes):
    folder = tmp_path / "checkpoint"
    shutil.copytree(FIXTURES / "hf_tiny_llama", folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(config_changes)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_an_unsupported_architecture_is_refused_by_name(tmp_path):
    folder = _folder_with(
        tmp_path, {"architectures": ["GemmaForCausalLM"], "model_type": "gemma"}
    )
    with pytest.raises(ValueError, match="Unsupported architecture GemmaForCausalLM"):
        Llama.from_huggingface(folder)


def test_an_unknown_rope_scaling_is_refused_by_name(tmp_path):
    folder = _folder_with(
        tmp_path, {"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}
    )
    with pytest.raises(ValueError, match="Unsupported rope_scaling type 'yarn'"):
        Llama.from_huggingface(folder)


def test_a_pytorch_pickle_is_refused_with_how_to_convert_it(tmp_path):
    folder = _folder_with(tmp_path, {})
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04not unpickled")
    with pytest.raises(ValueError, match="never loads.*save_pretrained"):
        Llama.from_huggingface(folder)

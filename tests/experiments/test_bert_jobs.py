"""`lmzoo pretrain-bert` and `lmzoo finetune` end to end on slices of the real data."""

import json
import shutil
import string

import keras
import numpy as np
import pytest
import tensorflow as tf

import lmzoo_cli
from lmzoo.data import BertPreprocessor, WordPieceTokenizer, data_file, read_text
from lmzoo.experiments import load_bert_task
from lmzoo.experiments.pretrain_bert import unigram_baseline_accuracy
from lmzoo.models import GPT, BertClassifier, BertTokenClassifier
from tests.conftest import FIXTURES

TINY_BERT = FIXTURES / "hf_tiny_bert"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The first lines of SST-2, CoNLL-2003 and WikiText-2, in their layouts."""
    folder = tmp_path_factory.mktemp("data")
    slices = {
        "sst2/train.tsv": 97,
        "sst2/dev.tsv": 41,
        "conll2003/train.txt": 300,
        "conll2003/test.txt": 200,
        "wikitext-2/wiki.train.tokens": 400,
        "wikitext-2/wiki.valid.tokens": 200,
    }
    for name, count in slices.items():
        lines = read_text(data_file(*name.split("/"))).splitlines(keepends=True)
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text("".join(lines[:count]), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A Hugging Face folder: the tiny BERT checkpoint with a letter vocabulary."""
    folder = tmp_path_factory.mktemp("tiny_bert")
    for name in ("config.json", "model.safetensors"):
        shutil.copy(TINY_BERT / name, folder / name)
    letters = list(string.ascii_lowercase + string.digits)
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *letters]
    vocabulary += [f"##{letter}" for letter in letters] + list(".,'-")
    vocabulary += [f"[unused{i}]" for i in range(101 - len(vocabulary))]
    (folder / "vocab.txt").write_text("\n".join(vocabulary) + "\n")
    return folder


def _run(capsys, *argv):
    status = lmzoo_cli.main([*argv, "--quiet"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out.strip().splitlines()[-1])


def test_finetune_sst2_from_a_hugging_face_folder(
    capsys, data_dir, tiny_bert, tmp_path
):
    result = _run(
        capsys,
        "finetune", "sst2", "--model", str(tiny_bert), "--data-dir", str(data_dir),
        "--epochs", "2", "--batch-size", "16", "--sequence-length", "48",
        "--run-dir", str(tmp_path / "run"),
    )  # fmt: skip
    # 96 training sentences (the header line is not one), 16 a step, 2 epochs.
    assert (result["steps"], result["epochs"]) == (12, 2.0)
    assert result["dev_examples"] == 40
    assert 0.0 <= result["dev_accuracy"] <= 100.0
    assert result["examples_per_s"] > 0
    assert (tmp_path / "run" / "model.keras").is_file()
    saved = json.loads((tmp_path / "run" / "result.json").read_text())
    assert saved["dev_accuracy"] == result["dev_accuracy"]


def test_pretrain_then_finetune_conll_from_the_run(capsys, data_dir, tmp_path):
    pretrained = _run(
        capsys,
        "pretrain-bert", "--preset", "bert-tiny", "--data-dir", str(data_dir),
        "--vocabulary-size", "400", "--steps", "3", "--sequence-length", "64",
        "--run-dir", str(tmp_path / "pretrain"),
    )  # fmt: skip
    assert pretrained["steps"] == 3
    assert 0.0 < pretrained["unigram_baseline_accuracy"] < 100.0
    assert 0.0 <= pretrained["mlm_accuracy"] <= 100.0
    assert 0.0 <= pretrained["nsp_accuracy"] <= 100.0
    result = _run(
        capsys,
        "finetune", "conll2003", "--model", str(tmp_path / "pretrain"),
        "--data-dir", str(data_dir), "--epochs", "1", "--sequence-length", "64",
        "--run-dir", str(tmp_path / "tagger"),
    )  # fmt: skip
    assert result["test_sentences"] > 0
    assert 0.0 <= result["test_f1"] <= 100.0
    assert set(result["per_type"]) <= {"PER", "ORG", "LOC", "MISC"}


def test_finetune_refuses_what_is_not_a_model(capsys, data_dir, tmp_path):
    status = lmzoo_cli.main(
        ["finetune", "sst2", "--model", str(tmp_path), "--data-dir", str(data_dir)]
    )
    error = capsys.readouterr().err.strip()
    assert status == 1
    assert error == (
        f"lmzoo finetune: error: {tmp_path} is not a Hugging Face folder "
        "(config.json), a .keras file or a run folder holding model.keras."
    )


def test_the_unigram_baseline_counts_selected_positions_only():
    labels = {"mlm_logits": tf.constant([[5, 7, 5, 9], [5, 5, 2, 2]])}
    weights = {"mlm_logits": tf.constant([[1.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]])}
    # Selected: 5, 7, 9 and 5, 2; two of the five are 5.
    assert unigram_baseline_accuracy([(None, labels, weights)], 5) == 2 / 5


def test_a_task_from_a_keras_file_keeps_the_backbone_in_another_precision(tmp_path):
    tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "ok"])
    source = BertClassifier(
        vocabulary_size=5,
        num_layers=1,
        hidden_dim=8,
        num_heads=2,
        preprocessor=BertPreprocessor(tokenizer, sequence_length=8),
    )
    source(keras.ops.ones((1, 4), "int32"))
    source.save(tmp_path / "model.keras")
    tagger = load_bert_task(
        BertTokenClassifier, tmp_path, 16, "mixed_bfloat16", num_classes=3
    )
    assert tagger.dtype_policy.name == "mixed_bfloat16"
    assert tagger.preprocessor.sequence_length == 16
    for mine, theirs in zip(
        tagger.backbone.weights, source.backbone.weights, strict=True
    ):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    GPT(9, num_layers=1, hidden_dim=8).save(tmp_path / "gpt.keras")
    with pytest.raises(ValueError, match="holds a GPT, not a BERT task"):
        load_bert_task(BertClassifier, tmp_path / "gpt.keras")

"""`lmzoo pretrain-bert` and `lmzoo finetune` end to end on slices of the real data."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import lmzoo_cli
from lmzoo.data import BertPreprocessor, WordPieceTokenizer
from lmzoo.experiments import load_bert_task
from lmzoo.experiments.pretrain_bert import unigram_baseline_accuracy
from lmzoo.models import GPT, BertClassifier, BertTokenClassifier


def _run(capsys, *argv):
    status = lmzoo_cli.main([*argv, "--quiet"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out.strip().splitlines()[-1])


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

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from lmzoo.data import Corpus
from lmzoo.experiments import compare, format_table
from tests.harness import mean_cross_entropy


def test_compare_end_to_end_on_a_tiny_budget(shakespeare, tmp_path):
    # 4,000 validation characters: 15 batches of 8 x 32, more than a subset.
    corpus = Corpus(
        "tinyshakespeare",
        "char",
        {"train": shakespeare.train, "validation": shakespeare.validation[:4_000]},
    )
    table = compare(
        corpus,
        presets=("lstm-small", "gpt-nano"),
        max_seconds=None,
        max_tokens=12 * 8 * 32,
        sequence_length=32,
        batch_size=8,
        output_dir=tmp_path / "run",
        export_dir=tmp_path / "saved_models",
        sample_tokens=20,
        eval_interval=6,
        verbose=0,
    )
    assert list(table["model"]) == ["lstm-small", "gpt-nano"]
    assert (table["train tokens"] == 12 * 8 * 32).all()
    assert (table["val loss"] < np.log(66)).all()  # better than uniform after 12 steps
    written = pd.read_csv(tmp_path / "run" / "results.csv")
    assert list(written["model"]) == list(table["model"])
    assert np.allclose(written["val loss"], table["val loss"])
    # Both curves validate on the whole split, so each ends at the table's loss.
    curves = pd.read_csv(tmp_path / "run" / "curves.csv").groupby("model")["val_loss"]
    assert list(curves.size()[table["model"]]) == [2, 2]
    assert np.allclose(curves.last()[table["model"]], table["val loss"], rtol=1e-5)
    png = (tmp_path / "run" / "learning_curves.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    validation_ids = corpus.build_tokenizer().encode(corpus.validation)
    for preset, val_loss in zip(table["model"], table["val loss"], strict=True):
        assert list((tmp_path / "run" / "tensorboard" / preset).glob("*/events.out.*"))
        export = tmp_path / "saved_models" / preset / "1"
        model = keras.models.load_model(export / "assets" / "model.keras")
        assert val_loss == pytest.approx(
            mean_cross_entropy(model, validation_ids, 32), rel=1e-4
        )
        served = tf.saved_model.load(str(export))
        ids = validation_ids[None, :40]
        np.testing.assert_allclose(served.serve(ids)["logits"], model(ids), atol=1e-5)
        prompt = model.tokenizer.decode(validation_ids[:8])
        generated = served.generate(tf.constant([prompt]), 12, 0.0, 0, 0)["generated"]
        assert generated.numpy()[0].decode() == model.generate(prompt, 12)
    samples = (tmp_path / "run" / "samples.txt").read_text()
    # The validation split starts mid-speech; samples start at its first speaker.
    assert list(table["prompt"]) == ["GREMIO:", "GREMIO:"]
    assert "== gpt-nano (prompt 'GREMIO:') ==\nGREMIO:" in samples
    text = format_table(table)
    assert "val perplexity" in text and "gpt-nano" in text


def test_compare_on_ptb_pits_the_stateful_lstm_against_gpt_ptb(ptb_head, tmp_path):
    table = compare(
        ptb_head,
        max_seconds=None,
        max_tokens=4_000,
        output_dir=tmp_path / "run",
        export_dir=None,
        sample_tokens=5,
        verbose=0,
    )
    assert list(table["model"]) == ["lstm-ptb-small", "gpt-ptb"]
    # Each preset keeps its recipe's windows: 20 x 20 streams, 16 x 128 windows.
    assert list(table["train tokens"]) == [10 * 20 * 20, 2 * 16 * 128]
    assert (table["test perplexity"] < ptb_head.build_tokenizer().vocabulary_size).all()
    # Without an eval interval, each curve has 12 points spread over the budget.
    curves = pd.read_csv(tmp_path / "run" / "curves.csv")
    assert curves.groupby("model").size().to_dict() == {
        "gpt-ptb": 2,
        "lstm-ptb-small": 10,
    }


def test_compare_refuses_bad_names_and_budgets_before_training(tmp_path):
    with pytest.raises(ValueError, match="Unknown preset 'gpt-huge'"):
        compare(presets=("gpt-nano", "gpt-huge"), output_dir=tmp_path / "run")
    with pytest.raises(ValueError, match="max_tokens must be positive, got 0"):
        compare(max_tokens=0, output_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()

"""Training a translator: a falling loss on real pairs, and the two commands."""

import gzip
import itertools
import json

import keras
import numpy as np
import pytest

import lmzoo_cli
from lmzoo import models
from lmzoo.data import (
    SentencePieceTokenizer,
    TranslationPreprocessor,
    data_file,
    read_pairs,
    split_pairs,
    translation_dataset,
)
from lmzoo.experiments.translation import compile_translator
from tests.test_cli import lmzoo

SPANISH = data_file("translation", "spa-eng.txt")
FRENCH = data_file("translation", "fra-eng.txt")


def test_loss_falls_on_real_pairs_in_a_few_steps():
    pairs = split_pairs(read_pairs(SPANISH, "reverse")[20_000:23_000])["train"]
    assert pairs[0][1].isascii()  # Spanish to English
    tokenizers = [
        SentencePieceTokenizer.train([pair[side] for pair in pairs], 400)
        for side in (0, 1)
    ]
    preprocessor = TranslationPreprocessor(*tokenizers, sequence_length=32)
    model = models.get(
        "transformer-tiny",
        tokenizers[0].vocabulary_size,
        target_vocabulary_size=tokenizers[1].vocabulary_size,
        preprocessor=preprocessor,
    )
    model.build()
    compile_translator(model, learning_rate=3e-3)
    batches = translation_dataset(pairs, preprocessor, 64, shuffle_seed=0)
    held_out = translation_dataset(pairs[:256], preprocessor, 64)
    before = model.evaluate(held_out, return_dict=True, verbose=0)
    model.fit(batches.repeat(), steps_per_epoch=60, epochs=1, shuffle=False, verbose=0)
    after = model.evaluate(held_out, return_dict=True, verbose=0)
    assert before["loss"] == pytest.approx(
        np.log(tokenizers[1].vocabulary_size), abs=0.3
    )
    assert after["loss"] < before["loss"] - 1.0
    assert after["accuracy"] > before["accuracy"] + 0.1


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory):
    """The first 1,600 pairs of Tatoeba's English-French file (short sentences)."""
    path = tmp_path_factory.mktemp("pairs") / "fra-eng.txt.gz"
    with gzip.open(FRENCH, "rt", encoding="utf-8") as lines:
        head = "".join(itertools.islice(lines, 1600))
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.write(head)
    return path


def test_train_translation_and_translate_commands(pairs_file, tmp_path):
    run_dir = tmp_path / "run"
    result = lmzoo(
        "train-translation",
        "--pairs",
        str(pairs_file),
        "--preset",
        "transformer-tiny",
        "--epochs",
        "1",
        "--vocabulary-size",
        "300",
        "--batch-size",
        "32",
        "--run-dir",
        str(run_dir),
        "--quiet",
        cwd=tmp_path,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {
        "bleu_greedy",
        "bleu_beam4",
        "train_seconds",
        "parameters",
        "test_pairs",
    }
    assert expected <= set(summary)
    assert summary["direction"] == "forward" and summary["epochs"] == 1.0
    assert (
        summary["train_pairs"] + summary["validation_pairs"] + summary["test_pairs"]
        == 1600
    )
    assert 0.0 <= summary["bleu_greedy"] <= 100.0
    assert (run_dir / "model.keras").is_file()
    assert json.loads((run_dir / "result.json").read_text()) == summary
    output = lmzoo(
        "translate",
        "--model",
        str(run_dir),
        "Hola.",
        "Vete.",
        "--num-beams",
        "2",
        cwd=tmp_path,
    )
    model = keras.saving.load_model(run_dir / "model.keras")
    expected = model.translate(["Hello.", "Go away."], num_beams=2)
    assert output.stdout.split("\n")[:2] == expected


def test_a_malformed_pairs_file_is_one_line_naming_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("Hi.\tHola.\nGo.\tVe.\nno tab on this line\n", encoding="utf-8")
    status = lmzoo_cli.main(["train-translation", "--pairs", str(bad), "--quiet"])
    error = capsys.readouterr().err.strip()
    assert status == 1
    assert error == (
        f"lmzoo train-translation: error: {bad}, line 3: expected "
        "'source<TAB>target', got 'no tab on this line'."
    )


def test_translate_refuses_a_model_that_is_not_a_translator(tmp_path, capsys):
    model = models.GPT(vocabulary_size=10, num_layers=1, hidden_dim=8, num_heads=2)
    model(np.ones((1, 4), "int32"))
    model.save(tmp_path / "gpt.keras")
    status = lmzoo_cli.main(
        ["translate", "--model", str(tmp_path / "gpt.keras"), "Hola."]
    )
    assert status == 1
    assert "holds a GPT, not a Seq2SeqTransformer" in capsys.readouterr().err

"""Training a translator: a falling loss on real pairs, and the two commands."""

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

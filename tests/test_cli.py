import json
import subprocess
import sys

import pytest

from lmzoo import models
from lmzoo.cli import main
from lmzoo.export import export_language_model


def test_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "lmzoo.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("compare", "train", "generate", "presets"):
        assert command in result.stdout


def test_presets_command(capsys):
    assert main(["presets"]) == 0
    assert "gpt-mini" in capsys.readouterr().out


def test_train_prints_one_json_line(capsys):
    code = main(
        [
            "train",
            "--preset",
            "gpt-nano",
            "--steps",
            "4",
            "--sequence-length",
            "16",
            "--batch-size",
            "4",
            "--eval-interval",
            "2",
            "--quiet",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["preset"] == "gpt-nano" and result["corpus"] == "tinyshakespeare"
    assert result["steps"] == 4 and result["train_tokens"] == 4 * 4 * 16
    assert result["val_perplexity"] == pytest.approx(2.718281828 ** result["val_loss"])
    assert "test_perplexity" not in result


def test_unknown_preset_is_a_clear_error(capsys):
    assert main(["train", "--preset", "nope", "--steps", "1"]) == 2
    assert "known presets" in capsys.readouterr().err


def test_generate_from_an_exported_model(shakespeare_tokenizer, tmp_path, capsys):
    model = models.get(
        "gpt-nano",
        shakespeare_tokenizer.vocabulary_size,
        tokenizer=shakespeare_tokenizer,
    )
    path = export_language_model(model, tmp_path / "gpt")
    args = ["generate", "--model", str(path), "--prompt", "ROMEO:"]
    args += ["--max-new-tokens", "12", "--seed", "3"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    expected = model.generate(
        "ROMEO:", max_new_tokens=12, strategy="sample", temperature=0.8, seed=3
    )
    assert first.rstrip("\n") == expected and expected.startswith("ROMEO:")
    greedy = model.generate("ROMEO:", max_new_tokens=12)
    assert main(args[:-2] + ["--strategy", "greedy"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == greedy


def test_generate_from_a_missing_model_is_a_clear_error(tmp_path, capsys):
    assert main(["generate", "--model", str(tmp_path), "--prompt", "x"]) == 2
    assert "model.keras not found" in capsys.readouterr().err

"""Every notebook runs top to bottom in a fresh kernel, on a small budget."""

import json
import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = pathlib.Path(__file__).parent.parent / "notebooks"

# name -> (environment for a small budget, text the printed outputs must hold)
EXPECTED = {
    "01_quickstart.ipynb": (
        {"LMZOO_NOTEBOOK_STEPS": "20"},
        ["training characters, vocabulary of 66", "(1, 6, 66)", "validation loss"],
    ),
    "02_lstm_vs_transformer.ipynb": (
        {"LMZOO_NOTEBOOK_TOKENS": "3000"},
        [
            "val perplexity",
            "== gpt-mini (prompt ",
            "models the text better on this budget",
        ],
    ),
    "03_bert_finetune.ipynb": (
        {"LMZOO_NOTEBOOK_EXAMPLES": "64"},
        ["64 training sentences", "dev accuracy", "a sleepy cat\n  "],
    ),
    "04_translation.ipynb": (
        {
            "LMZOO_NOTEBOOK_MINUTES": "0.3",
            "LMZOO_NOTEBOOK_PRESET": "transformer-tiny",
            "LMZOO_NOTEBOOK_PAIRS": "3000",
        },
        ["{'train': 2", "'parameters':", "Where is the train station?\n  greedy: "],
    ),
    "05_attention.ipynb": (
        {"LMZOO_NOTEBOOK_STEPS": "20"},
        ["lmzoo equals NumPy", "(2, 4, 57, 57) rows sum to 1.0 - 1.0"],
    ),
    "06_export_and_serve.ipynb": (
        {"LMZOO_NOTEBOOK_STEPS": "10"},
        ["inputs['prompt']", "classify: [b'", "lmzoo imported: False"],
    ),
    "08_chat_with_smollm2.ipynb": (
        {"LMZOO_NOTEBOOK_NEW_TOKENS": "8"},
        [
            "30 blocks, width 576",
            "The capital of France is Paris.",
            "' Paris' 0.7",
            "lmzoo imported: False",
            "same as model.generate: True",
        ],
    ),
}


def test_every_notebook_is_tested():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_top_to_bottom(name, monkeypatch):
    environment, expected = EXPECTED[name]
    monkeypatch.delenv("LMZOO_TRANSLATOR", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": NOTEBOOKS}},
    ).execute()
    outputs = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    for text in expected:
        assert text in printed
    assert (NOTEBOOKS / name).stat().st_size < 1_000_000


def test_saved_outputs_have_no_terminal_codes_and_no_private_imports():
    for path in NOTEBOOKS.glob("*.ipynb"):
        text = path.read_text()
        assert "\\u001b" not in text and "\x1b" not in text, path.name
        notebook = json.loads(text)
        for cell in notebook["cells"]:
            source = "".join(cell["source"])
            assert not re.search(r"import _|\._[a-z]", source), (path.name, source)

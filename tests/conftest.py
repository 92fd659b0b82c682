"""Shared fixtures: seeds, small corpora, and where the reference files are.

Real data comes through `lmzoo.data.data_file`: from `$LMZOO_DATA` when it is
set, otherwise from the cache (downloaded once, checksums verified).
"""

import pathlib

import keras
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent

FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _seed_and_cache(monkeypatch, tmp_path_factory):
    keras.utils.set_random_seed(1234)
    monkeypatch.setenv("LMZOO_CACHE", str(tmp_path_factory.mktemp("cache")))


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

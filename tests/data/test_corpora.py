import gzip
import hashlib

import pytest

from lmzoo.data import CORPORA, Corpus, corpora, load_corpus
from tests.conftest import SHARED_DATA


def test_tinyshakespeare_uses_nanogpt_split(shakespeare):
    full = (SHARED_DATA / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    assert len(full) == 1_115_394
    assert len(shakespeare.train) == int(len(full) * 0.9) == 1_003_854
    assert shakespeare.train + shakespeare.validation == full
    assert shakespeare.test is None
    assert shakespeare.level == "char"


def test_ptb_reads_gz_train_and_plain_valid_test():
    ptb = load_corpus("ptb")
    assert ptb.level == "word"
    assert ptb.train.count("\n") == 42_068
    assert ptb.validation.count("\n") == 3_370
    assert ptb.test.count("\n") == 3_761


def test_unknown_name_lists_known_corpora():
    with pytest.raises(ValueError, match="ptb.*tinyshakespeare"):
        load_corpus("shakespeare-typo")


def test_missing_file_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("LMZOO_DATA", str(tmp_path / "empty"))
    spec = CORPORA["ptb"]
    broken = {
        split: (name, "file:///nonexistent/" + name, digest)
        for split, (name, _, digest) in spec.files.items()
    }
    monkeypatch.setitem(CORPORA, "ptb", corpora.CorpusSpec("ptb", "word", broken))
    with pytest.raises(FileNotFoundError) as error:
        load_corpus("ptb")
    message = str(error.value)
    assert str(tmp_path / "empty" / "ptb" / "ptb.train.txt") in message
    assert "LMZOO_DATA" in message


def _fake_source(tmp_path, text):
    source = tmp_path / "source.txt"
    source.write_text(text, encoding="utf-8")
    return source, hashlib.sha256(text.encode()).hexdigest()


def test_download_verifies_checksum_and_caches(monkeypatch, tmp_path):
    source, digest = _fake_source(tmp_path, "First Citizen:\n" * 100)
    monkeypatch.setenv("LMZOO_DATA", str(tmp_path / "empty"))
    monkeypatch.setitem(
        CORPORA,
        "toy",
        corpora.CorpusSpec(
            "toy", "char", {"all": ("toy.txt", source.as_uri(), digest)}
        ),
    )
    corpus = load_corpus("toy")
    assert corpus.train + corpus.validation == "First Citizen:\n" * 100
    assert (corpora.cache_dir() / "toy" / "toy.txt").is_file()


def test_download_with_wrong_checksum_leaves_nothing(monkeypatch, tmp_path):
    source, _ = _fake_source(tmp_path, "tampered")
    destination = tmp_path / "cache" / "toy.txt"
    with pytest.raises(ValueError, match="Checksum mismatch"):
        corpora.download(source.as_uri(), destination, "0" * 64)
    assert not destination.exists()
    assert list(destination.parent.iterdir()) == []


def test_explicit_path_and_gz_file(tmp_path):
    text = "abcdefghij" * 10
    plain = tmp_path / "text.txt"
    plain.write_text(text, encoding="utf-8")
    packed = tmp_path / "text.txt.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as handle:
        handle.write(text)
    for path in (plain, packed):
        corpus = load_corpus(path)
        assert (len(corpus.train), len(corpus.validation)) == (90, 10)
        assert corpus.train + corpus.validation == text


def test_explicit_data_dir_wins_over_environment(monkeypatch, tmp_path):
    (tmp_path / "tinyshakespeare").mkdir()
    (tmp_path / "tinyshakespeare" / "input.txt").write_text("x" * 50, encoding="utf-8")
    corpus = load_corpus("tinyshakespeare", data_dir=tmp_path)
    assert corpus.train == "x" * 45


def test_corpus_vocabulary_sizes_match_their_tokenizers(shakespeare):
    assert shakespeare.build_tokenizer().vocabulary_size == 66
    assert CORPORA["tinyshakespeare"].vocabulary_size == 66
    ptb = load_corpus("ptb")
    assert ptb.build_tokenizer().vocabulary_size == CORPORA["ptb"].vocabulary_size


def test_empty_and_non_utf8_files_are_named_with_the_byte_offset(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with pytest.raises(ValueError, match=r"empty\.txt is empty"):
        load_corpus(empty)
    packed = tmp_path / "latin1.txt.gz"
    packed.write_bytes(gzip.compress("naïve text".encode("latin-1")))
    with pytest.raises(
        ValueError, match=r"latin1\.txt\.gz is not UTF-8 text: byte 0xef at offset 2"
    ):
        load_corpus(packed)


def test_an_empty_training_split_is_named():
    corpus = Corpus("notes", "char", {"train": "", "validation": "abc"})
    with pytest.raises(ValueError, match="training split of corpus 'notes' is empty"):
        corpus.build_tokenizer()

import gzip
import hashlib

import numpy as np
import pytest

from lmzoo.data import (
    CORPORA,
    DATASETS,
    Corpus,
    DataFile,
    cache_dir,
    data_file,
    download,
    load_corpus,
    read_text,
)
from lmzoo.data.corpora.named import CorpusSpec


def test_tinyshakespeare_uses_nanogpt_split(shakespeare):
    full = read_text(data_file("tinyshakespeare", "input.txt"))
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
    broken = tuple(
        DataFile(entry.name, "file:///nonexistent/" + entry.name, entry.sha256)
        for entry in DATASETS["ptb"]
    )
    monkeypatch.setitem(DATASETS, "ptb", broken)
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
        DATASETS, "toy", (DataFile("toy.txt", source.as_uri(), digest),)
    )
    monkeypatch.setitem(CORPORA, "toy", CorpusSpec("toy", "char", {"all": "toy.txt"}))
    corpus = load_corpus("toy")
    assert corpus.train + corpus.validation == "First Citizen:\n" * 100
    assert (cache_dir() / "toy" / "toy.txt").is_file()


def test_download_with_wrong_checksum_leaves_nothing(monkeypatch, tmp_path):
    source, _ = _fake_source(tmp_path, "tampered")
    destination = tmp_path / "cache" / "toy.txt"
    with pytest.raises(ValueError, match="Checksum mismatch"):
        download(source.as_uri(), destination, "0" * 64)
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


WIKITEXT_COUNTS = {"train": 2_088_628, "validation": 217_646, "test": 245_569}


@pytest.fixture(scope="module")
def wikitext_folder():
    corpus = load_corpus(data_file("wikitext-2", "wiki.train.tokens").parent)
    return corpus, corpus.build_tokenizer()


def test_a_wikitext_folder_loads_as_the_named_corpus(wikitext_folder):
    corpus, tokenizer = wikitext_folder
    assert (corpus.name, corpus.level) == ("wikitext-2", "word")
    assert tokenizer.vocabulary_size == 33_278 == CORPORA["wikitext-2"].vocabulary_size
    counts = {
        split: len(tokenizer.encode(text)) for split, text in corpus.splits.items()
    }
    assert counts == WIKITEXT_COUNTS  # as published, one <eos> per line
    by_name = load_corpus("wikitext-2")
    assert by_name.splits == corpus.splits


def test_explicit_split_paths(wikitext_folder, tmp_path):
    corpus, _ = wikitext_folder
    explicit = load_corpus(
        train=data_file("wikitext-2", "wiki.train.tokens"),
        validation=data_file("wikitext-2", "wiki.valid.tokens"),
        test=data_file("wikitext-2", "wiki.test.tokens"),
    )
    assert explicit.splits == corpus.splits and explicit.level == "word"
    (tmp_path / "mine.txt").write_text("one two\n" * 50)
    (tmp_path / "held.txt").write_text("two one\n" * 5)
    mine = load_corpus(train=tmp_path / "mine.txt", validation=tmp_path / "held.txt")
    assert mine.splits == {"train": "one two\n" * 50, "validation": "two one\n" * 5}
    assert mine.level == "char"


@pytest.mark.parametrize(
    "names",
    [
        ("train.txt", "valid.txt", "test.txt"),
        ("train.tokens.gz", "validation.tokens", "test.tokens"),
        ("my-train.txt", "my-valid.txt", "my-test.txt"),
    ],
)
def test_folders_of_split_files(names, tmp_path):
    for name, text in zip(names, ("a b\n", "b a\n", "a a\n"), strict=True):
        path = tmp_path / name
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
    (tmp_path / "README.md").write_text("not a split")
    corpus = load_corpus(tmp_path, level="word")
    assert corpus.splits == {"train": "a b\n", "validation": "b a\n", "test": "a a\n"}


def test_folder_errors_name_the_problem(tmp_path):
    (tmp_path / "valid.txt").write_text("x")
    with pytest.raises(ValueError, match="has no training file"):
        load_corpus(tmp_path)
    (tmp_path / "train.txt").write_text("x")
    (tmp_path / "train.tokens").write_text("x")
    with pytest.raises(ValueError, match="two train files: train.tokens and train.txt"):
        load_corpus(tmp_path)


def test_an_archive_member_is_downloaded_checked_and_cached(monkeypatch, tmp_path):
    import zipfile

    archive = tmp_path / "corpus-v1.zip"
    texts = {"train": "First Citizen:\n" * 30, "test": "Second Citizen:\n" * 3}
    with zipfile.ZipFile(archive, "w") as zipped:
        for split, text in texts.items():
            zipped.writestr(f"corpus/{split}.txt", text)
    files = tuple(
        DataFile(
            f"{split}.txt",
            f"{archive.as_uri()}#corpus/{split}.txt",
            hashlib.sha256(text.encode()).hexdigest(),
        )
        for split, text in texts.items()
    )
    monkeypatch.setenv("LMZOO_DATA", str(tmp_path / "empty"))
    monkeypatch.setitem(DATASETS, "toy", files)
    splits = {split: f"{split}.txt" for split in texts}
    monkeypatch.setitem(CORPORA, "toy", CorpusSpec("toy", "char", splits))
    corpus = load_corpus("toy")
    assert corpus.splits["test"] == texts["test"]
    cached = cache_dir() / "toy"
    assert sorted(p.name for p in cached.iterdir()) == [
        "corpus-v1.zip",
        "test.txt",
        "train.txt",
    ]


def _tatoeba_english():
    lines = read_text(data_file("translation", "spa-eng.txt")).splitlines()
    return "".join(line.split("\t")[0] + "\n" for line in lines)


def test_independent_sorted_lines_are_shuffled_before_the_split(tmp_path):
    path = tmp_path / "english.txt"
    path.write_text(_tatoeba_english(), encoding="utf-8")

    def mean_lengths(corpus):
        return [
            np.mean([len(line) for line in corpus.splits[split].splitlines()])
            for split in ("train", "validation")
        ]

    detected = load_corpus(path)
    train, validation = mean_lengths(detected)
    assert abs(validation - train) < 0.05 * train
    assert load_corpus(path, split="lines", seed=0).splits == detected.splits
    assert load_corpus(path, split="lines", seed=1).splits != detected.splits
    tail_train, tail_validation = mean_lengths(load_corpus(path, split="tail"))
    assert tail_validation > 2 * tail_train  # the file is sorted by length
    shakespeare = load_corpus(data_file("tinyshakespeare", "input.txt"))
    assert shakespeare.splits == load_corpus("tinyshakespeare").splits  # a tail

"""Datasets fetched over HTTP from a loopback server: checksums, mirrors, cache."""

import contextlib
import functools
import hashlib
import http.server
import os
import subprocess
import sys
import threading
import zipfile

import pytest

from lmzoo.data import (
    DATASETS,
    DataFile,
    cache_dir,
    data_file,
    fetch,
    load_corpus,
)


@contextlib.contextmanager
def serving(folder):
    """An HTTP server on 127.0.0.1 that serves `folder`, for this block only."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(folder)
    )
    handler.log_message = lambda *_: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _digest(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def toy_dataset(monkeypatch, tmp_path):
    """A dataset `toy` of one plain file and one zip member, served on loopback."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "notes.txt").write_bytes(b"the cat sat\n" * 10)
    with zipfile.ZipFile(site / "bundle.zip", "w") as bundle:
        bundle.writestr("bundle/labels.tsv", "sentence\tlabel\ngood\t1\n")
    monkeypatch.setenv("LMZOO_DATA", str(tmp_path / "empty"))
    monkeypatch.delenv("LMZOO_MIRROR", raising=False)
    with serving(site) as url:
        files = (
            DataFile("notes.txt", f"{url}/notes.txt", _digest(b"the cat sat\n" * 10)),
            DataFile(
                "labels.tsv",
                f"{url}/bundle.zip#bundle/labels.tsv",
                _digest(b"sentence\tlabel\ngood\t1\n"),
            ),
        )
        monkeypatch.setitem(DATASETS, "toy", files)
        yield site


def test_files_download_over_http_into_the_cache(toy_dataset):
    paths = fetch("toy")
    assert [path.name for path in paths] == ["notes.txt", "labels.tsv"]
    assert paths[0].read_bytes() == b"the cat sat\n" * 10
    assert paths[1].read_text() == "sentence\tlabel\ngood\t1\n"
    assert all(path.parent == cache_dir() / "toy" for path in paths)
    (toy_dataset / "notes.txt").unlink()
    assert data_file("toy", "notes.txt") == paths[0]  # from the cache now


def test_a_wrong_checksum_keeps_nothing(toy_dataset):
    (toy_dataset / "notes.txt").write_bytes(b"tampered")
    with pytest.raises(ValueError, match="Checksum mismatch for http://127.0.0.1"):
        data_file("toy", "notes.txt")
    folder = cache_dir() / "toy"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_unreachable_source_says_where_to_put_the_file(toy_dataset, tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        data_file("toy", "notes.txt", mirror="http://127.0.0.1:9")
    message = str(error.value)
    assert str(tmp_path / "empty" / "toy" / "notes.txt") in message
    assert "Put the file (or a .gz copy) in <dir>/toy/" in message


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="known: tinyshakespeare, ptb, wikitext-2"):
        fetch("imdb")
    with pytest.raises(ValueError, match="has no file 'valid.tsv'; it has train.tsv"):
        data_file("sst2", "valid.tsv")


def test_every_named_dataset_has_a_public_source_and_a_checksum():
    for files in DATASETS.values():
        for entry in files:
            assert entry.url.startswith("https://")
            assert len(entry.sha256) == 64


def test_fetch_all_from_a_loopback_mirror_fills_an_empty_cache(tmp_path):
    """`lmzoo data fetch all --mirror URL`, then every dataset from the cache alone."""
    mirror = tmp_path / "mirror"
    for dataset, files in DATASETS.items():
        (mirror / dataset).mkdir(parents=True)
        for entry in files:
            local = data_file(dataset, entry.name)
            (mirror / dataset / local.name).symlink_to(local)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LMZOO_DATA", "LMZOO_MIRROR")
    } | {"LMZOO_CACHE": str(tmp_path / "cache")}
    with serving(mirror) as url:
        fetched = subprocess.run(
            [sys.executable, "-m", "lmzoo", "data", "fetch", "all", "--mirror", url],
            capture_output=True,
            text=True,
            env=environment,
        )
    assert fetched.returncode == 0, fetched.stderr
    expected = sum(len(files) for files in DATASETS.values())
    assert len(fetched.stdout.splitlines()) == expected
    offline = environment | {"LMZOO_MIRROR": "http://127.0.0.1:9"}
    check = (
        "from lmzoo.data import DATASETS, data_file, load_corpus, read_text\n"
        "for name in ('tinyshakespeare', 'ptb', 'wikitext-2'):\n"
        "    print(name, len(load_corpus(name).train))\n"
        "for dataset in ('sst2', 'conll2003', 'translation'):\n"
        "    for entry in DATASETS[dataset]:\n"
        "        print(entry.name, len(read_text(data_file(dataset, entry.name))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=offline
    )
    assert loaded.returncode == 0, loaded.stderr
    local = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    assert loaded.stdout == local.stdout
    assert "tinyshakespeare 1003854\n" in loaded.stdout


def test_a_tampered_mirror_file_is_one_line_on_the_command_line(tmp_path):
    mirror = tmp_path / "mirror" / "tinyshakespeare"
    mirror.mkdir(parents=True)
    (mirror / "input.txt").write_text("not Shakespeare")
    environment = {
        key: value for key, value in os.environ.items() if key != "LMZOO_DATA"
    } | {"LMZOO_CACHE": str(tmp_path / "cache")}
    with serving(tmp_path / "mirror") as url:
        result = subprocess.run(
            [sys.executable, "-m", "lmzoo", "data", "fetch", "tinyshakespeare"]
            + ["--mirror", url],
            capture_output=True,
            text=True,
            env=environment,
        )
    assert result.returncode == 1
    assert result.stderr.startswith("lmzoo data: error: Checksum mismatch for http")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "cache" / "tinyshakespeare").iterdir())


def test_the_train_split_of_a_named_corpus_comes_through_data_file():
    corpus = load_corpus("ptb")
    assert data_file("ptb", "ptb.train.txt").name.startswith("ptb.train.txt")
    assert corpus.train.count("\n") == 42_068

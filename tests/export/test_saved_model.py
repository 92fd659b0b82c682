import json
import os
import pathlib
import stat
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from lmzoo import atomic, models
from lmzoo.export import export_language_model

_LOADER = """
import json, sys
import numpy as np
import tensorflow as tf
served = tf.saved_model.load(sys.argv[1])
ids = served.tokenize(tf.constant("ROMEO: hi"))["token_ids"].numpy()
logits = served.serve(tf.constant([ids]))["logits"].numpy()
text = served.detokenize(tf.constant(ids))["text"].numpy().decode()
print(json.dumps({"ids": ids.tolist(), "logits": logits.tolist(), "text": text,
                  "lmzoo_loaded": any(m.startswith("lmzoo") for m in sys.modules)}))
"""


@pytest.mark.parametrize("preset", ["gpt-nano", "lstm-small"])
def test_export_serves_from_a_process_without_lmzoo(
    preset, shakespeare_tokenizer, tmp_path
):
    model = models.get(
        preset, shakespeare_tokenizer.vocabulary_size, tokenizer=shakespeare_tokenizer
    )
    ids = shakespeare_tokenizer.encode("ROMEO: hi")
    expected = model(ids[None]).numpy()
    path = export_language_model(model, tmp_path / preset)
    assert path == tmp_path / preset / "1"
    result = subprocess.run(
        [sys.executable, "-I", "-c", _LOADER, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["ids"] == ids.tolist()
    assert served["text"] == "ROMEO: hi"
    assert not served["lmzoo_loaded"]
    np.testing.assert_allclose(np.array(served["logits"]), expected, atol=1e-5)


def test_versions_increment_and_never_overwrite(tmp_path):
    model = models.get("gpt-nano", 20)
    model(np.zeros((1, 4), "int32"))
    first = export_language_model(model, tmp_path / "m")
    second = export_language_model(model, tmp_path / "m")
    assert (first.name, second.name) == ("1", "2")
    with pytest.raises(FileExistsError, match="exists already"):
        export_language_model(model, tmp_path / "m", version=1)


def test_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    model = models.get("gpt-nano", 20)
    model(np.zeros((1, 4), "int32"))

    def broken_rename(source, destination, overwrite=False):
        assert (pathlib.Path(source) / "saved_model.pb").is_file()
        raise OSError("disk full")

    monkeypatch.setattr(atomic.tf.io.gfile, "rename", broken_rename)
    with pytest.raises(OSError, match="disk full"):
        export_language_model(model, tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from lmzoo.data import CharTokenizer

    tokenizer = CharTokenizer.from_text("abcdef ")
    model = models.get("gpt-nano", tokenizer.vocabulary_size, tokenizer=tokenizer)
    model(np.zeros((1, 1), "int32"))
    path = export_language_model(model, tmp_path_factory.mktemp("export") / "nano")
    return model, path


def test_export_folders_follow_the_umask(exported):
    _, path = exported
    umask = os.umask(0)
    os.umask(umask)
    for folder in (path, path / "variables", path / "assets"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((path / "saved_model.pb").stat().st_mode) & 0o044


@pytest.mark.parametrize(
    "token_ids, message",
    [
        ([[1, -1, 2]], r"token id out of range: got\] \[-1\] \[but the vocabulary"),
        ([[1, 8, 2]], r"token id out of range: got\] \[8\] \[but the vocabulary size"),
        ([[1] * 129], r"sequence too long: got\] \[129\] \[tokens but max_seq"),
    ],
)
def test_serve_refuses_bad_ids_and_lengths(exported, token_ids, message):
    _, path = exported
    served = tf.saved_model.load(str(path))
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        served.serve(tf.constant(token_ids, tf.int32))


def test_tokenize_takes_one_string_and_tokenize_batch_a_batch(exported):
    model, path = exported
    served = tf.saved_model.load(str(path))
    ids = served.tokenize(tf.constant("bad"))["token_ids"]
    assert ids.numpy().tolist() == [3, 2, 5]
    batch = served.tokenize_batch(tf.constant(["bad", "a", ""]))
    assert batch["token_ids"].numpy().tolist() == [[3, 2, 5], [2, 0, 0], [0, 0, 0]]
    assert batch["padding_mask"].numpy().sum(axis=1).tolist() == [3, 1, 0]
    with pytest.raises((TypeError, ValueError)):
        served.tokenize(tf.constant(["bad", "a"]))


def test_a_stateful_lstm_serves_each_request_from_a_zero_state(tmp_path):
    sizes = {"hidden_dim": 8, "embedding_dim": 8}
    model = models.get("lstm-ptb-small", 50, **sizes)
    model(np.arange(100).reshape(20, 5) % 50)  # training batch of 20: state is set
    carried = [state.numpy() for state in model.backbone.lstm_layers[0].states]
    assert np.abs(carried[0]).sum() > 0
    served = tf.saved_model.load(str(export_language_model(model, tmp_path / "lstm")))
    fresh = models.get("lstm-ptb-small", 50, stateful=False, **sizes)
    ids = np.array([[1, 2, 3, 4]], "int32")
    fresh(ids)
    fresh.set_weights(model.get_weights())
    expected = fresh(ids).numpy()
    for batch in (1, 3, 1):
        logits = served.serve(tf.constant(np.repeat(ids, batch, axis=0)))
        logits = logits["logits"].numpy()
        np.testing.assert_allclose(logits, np.repeat(expected, batch, 0), atol=1e-6)
    for before, after in zip(
        carried, model.backbone.lstm_layers[0].states, strict=True
    ):
        np.testing.assert_array_equal(before, after.numpy())

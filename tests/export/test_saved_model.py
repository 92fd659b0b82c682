import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from lmzoo import models
from lmzoo.export import export_language_model, saved_model

_LOADER = """
import json, sys
import numpy as np
import tensorflow as tf
served = tf.saved_model.load(sys.argv[1])
ids = served.tokenize(tf.constant("ROMEO: hi")).numpy()
logits = served.serve(tf.constant([ids])).numpy()
text = served.detokenize(tf.constant(ids)).numpy().decode()
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

    def broken_replace(source, destination):
        assert (pathlib.Path(source) / "saved_model.pb").is_file()
        raise OSError("disk full")

    monkeypatch.setattr(saved_model.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        export_language_model(model, tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []

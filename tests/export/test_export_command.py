"""`lmzoo export` and `lmzoo.export.save`: version folders, overwrite, refusals."""

import numpy as np
import pytest
import tensorflow as tf

import lmzoo_cli
from lmzoo import models
from lmzoo.export import save


@pytest.fixture(scope="module")
def gpt_file(tmp_path_factory):
    model = models.GPT(vocabulary_size=12, num_layers=1, hidden_dim=8, num_heads=2)
    model(np.ones((1, 4), "int32"))
    path = tmp_path_factory.mktemp("model") / "gpt.keras"
    model.save(path)
    return path, np.asarray(model(np.array([[1, 2, 3]], "int32")))


def _export(capsys, *argv):
    status = lmzoo_cli.main(["export", *map(str, argv)])
    captured = capsys.readouterr()
    return status, captured.out.strip(), captured.err.strip()


def test_export_writes_the_version_and_refuses_to_overwrite_it(
    gpt_file, tmp_path, capsys
):
    path, logits = gpt_file
    target = tmp_path / "saved_models" / "gpt" / "3"
    status, out, _ = _export(capsys, path, target)
    assert status == 0 and out == str(target)
    served = tf.saved_model.load(str(target))
    np.testing.assert_allclose(
        served.serve(tf.constant([[1, 2, 3]]))["logits"].numpy(), logits, atol=1e-5
    )
    (target / "marker").write_text("the old version")
    status, _, error = _export(capsys, path, target)
    assert status == 1
    assert error == (
        f"lmzoo export: error: {target} exists already; pick another version or "
        "overwrite it (overwrite=True, lmzoo export --overwrite)."
    )
    assert (target / "marker").is_file()
    status, _, _ = _export(capsys, path, target, "--overwrite")
    assert status == 0
    assert not (target / "marker").exists()
    assert (target / "saved_model.pb").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["3"]


def test_export_path_must_end_in_a_version(gpt_file, tmp_path, capsys):
    status, _, error = _export(capsys, gpt_file[0], tmp_path / "saved_models" / "gpt")
    assert status == 1
    assert "an export path ends in its version number" in error


def test_a_kind_without_an_export_is_named():
    model = models.BertSpanQA(vocabulary_size=20, num_layers=1, hidden_dim=8)
    with pytest.raises(ValueError, match="cannot export a BertSpanQA; it exports GPT"):
        save(model, "saved_models/qa/1")

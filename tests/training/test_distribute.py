"""Scale-out through tf.distribute: mirrored replicas and loopback workers.

TensorFlow fixes its devices when it starts, so each run is a fresh
process: one that splits the CPU into 2 logical devices for
`MirroredStrategy`, and two `lmzoo train --strategy multiworker` workers
on 127.0.0.1.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from lmzoo.training.distribute import get_strategy, is_chief

_MIRRORED = """
import json, sys, tempfile
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
import keras
import lmzoo
from lmzoo.data import Corpus
from lmzoo.experiments import train_preset
from lmzoo.training import fit, optimizers

# The same arithmetic on both sides: under several CPU replicas XLA is off,
# for the train step and for the fused AdamW update.
fit.default_jit_compile = lambda model: False
optimizers.xla_reaches_every_replica = lambda: False

text = lmzoo.data.load_corpus("tinyshakespeare").train
corpus = Corpus("head", "char", {"train": text[:30000], "validation": text[-6000:]})
figures = {}
for name, strategy in [
    ("one", tf.distribute.OneDeviceStrategy("/cpu:0")),
    ("mirrored", tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])),
]:
    model, result = train_preset(
        "gpt-nano", corpus, max_steps=6, sequence_length=32, batch_size=8,
        eval_tokens=None, strategy=strategy, verbose=0,
        model_overrides={"dropout": 0.0},
    )
    ids = model.tokenizer.encode("ROMEO: wh")[None]
    path = lmzoo.export.export_language_model(model, tempfile.mkdtemp() + "/m")
    served = tf.saved_model.load(str(path))
    figures[name] = {
        "replicas": result["replicas"],
        "val_loss": result["val_loss"],
        "curve": [point["val_loss"] for point in result["curve"]],
        "weights": [w.tolist() for w in model.get_weights()[:2]],
        "generated": model.generate("ROMEO:", max_new_tokens=8),
        "served_error": float(
            np.abs(served.serve(ids)["logits"].numpy() - model(ids).numpy()).max()
        ),
    }
print(json.dumps(figures))
"""


def _run(code, *arguments, env=None):
    result = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"} | (env or {}),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_mirrored_on_two_devices_trains_as_one_device_with_the_same_batch():
    figures = _run(_MIRRORED)
    one, mirrored = figures["one"], figures["mirrored"]
    assert (one["replicas"], mirrored["replicas"]) == (1, 2)
    assert mirrored["val_loss"] == pytest.approx(one["val_loss"], abs=1e-5)
    assert mirrored["curve"] == pytest.approx(one["curve"], abs=1e-5)
    for got, want in zip(mirrored["weights"], one["weights"], strict=True):
        np.testing.assert_allclose(np.array(got), np.array(want), atol=1e-5)
    for run in (one, mirrored):
        assert run["generated"].startswith("ROMEO:") and len(run["generated"]) == 14
        assert run["served_error"] < 1e-5


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_loopback_workers_end_with_the_same_weights(tmp_path, shakespeare):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "train.txt").write_text(shakespeare.train[:30000])
    (folder / "valid.txt").write_text(shakespeare.validation[:6000])
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    lmzoo = os.path.join(os.path.dirname(sys.executable), "lmzoo")
    run_dir = tmp_path / "run"
    processes = []
    for index in range(2):
        config = {
            "cluster": {"worker": workers},
            "task": {"type": "worker", "index": index},
        }
        processes.append(
            subprocess.Popen(
                [
                    lmzoo,
                    "train",
                    "--preset",
                    "gpt-nano",
                    "--corpus",
                    str(folder),
                    "--steps",
                    "6",
                    "--sequence-length",
                    "32",
                    "--batch-size",
                    "8",
                    "--checkpoint-every",
                    "3",
                    "--strategy",
                    "multiworker",
                    "--run-dir",
                    str(run_dir),
                    "--no-export",
                    "--quiet",
                ],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=os.environ
                | {"TF_CONFIG": json.dumps(config), "TF_CPP_MIN_LOG_LEVEL": "3"},
            )
        )
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    chief, worker = results
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["steps"] == worker["steps"] == 6
    assert chief["weights_sha256"] == worker["weights_sha256"]
    assert (run_dir / "model.keras").is_file()
    assert (run_dir / "checkpoints" / "step-6").is_dir()
    assert (run_dir / "worker-1" / "checkpoints" / "step-6").is_dir()
    assert not (run_dir / "worker-1" / "model.keras").exists()


def test_a_strategy_is_named_and_multiworker_needs_tf_config(monkeypatch):
    assert is_chief(get_strategy())
    with pytest.raises(ValueError, match="use default, mirrored, multiworker or tpu"):
        get_strategy("parameter-server")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="reads its cluster from TF_CONFIG"):
        get_strategy("multiworker")

"""Checkpoints: atomic, complete (model, optimizer, budget), refused when foreign."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from lmzoo import data, models
from lmzoo.training import (
    TrainingDivergedError,
    check_run,
    compile_language_model,
    restore_checkpoint,
    save_checkpoint,
    train_language_model,
    weights_sha256,
)
from lmzoo.training.checkpoints import CHECKPOINTS, checkpoint_steps

IDS = np.arange(2000) % 20


class _Crash(keras.callbacks.Callback):
    def __init__(self, at_step):
        super().__init__()
        self.at_step = at_step
        self.step = 0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step == self.at_step:
            raise RuntimeError("crash")


def _trained(steps, run_dir=None, **kwargs):
    keras.utils.set_random_seed(0)
    model = models.LSTMLanguageModel(20, 8, 8)
    compile_language_model(model)
    dataset = data.language_model_dataset(IDS, 16, 4, shuffle=True, seed=0)
    budget = train_language_model(
        model,
        dataset,
        data.language_model_dataset(IDS[:200], 16, 4),
        64,
        max_steps=steps,
        verbose=0,
        run_dir=run_dir,
        **kwargs,
    )
    return model, budget


def test_a_checkpoint_holds_model_optimizer_and_state(tmp_path):
    model, _ = _trained(5)
    save_checkpoint(model, tmp_path, {"step": 5, "note": "five"})
    fresh, _ = _trained(1)
    assert weights_sha256(fresh) != weights_sha256(model)
    assert restore_checkpoint(fresh, tmp_path) == {"step": 5, "note": "five"}
    assert weights_sha256(fresh) == weights_sha256(model)
    for restored, saved in zip(
        fresh.optimizer.variables, model.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy())


def test_only_the_two_newest_checkpoints_are_kept(tmp_path):
    model, _ = _trained(1)
    for step in (10, 20, 30):
        save_checkpoint(model, tmp_path, {"step": step})
    assert checkpoint_steps(tmp_path) == [20, 30]
    assert sorted(p.name for p in (tmp_path / CHECKPOINTS).iterdir()) == [
        "step-20",
        "step-30",
    ]


def test_a_resumed_run_ends_as_an_uninterrupted_one(tmp_path):
    whole, _ = _trained(30)
    with pytest.raises(RuntimeError, match="crash"):
        _trained(30, run_dir=tmp_path, checkpoint_every=10, callbacks=[_Crash(23)])
    assert checkpoint_steps(tmp_path) == [10, 20]
    resumed, budget = _trained(30, run_dir=tmp_path, checkpoint_every=10)
    assert budget.resumed_from_step == 20 and budget.steps == 30
    assert checkpoint_steps(tmp_path) == [20, 30]
    assert weights_sha256(resumed) == weights_sha256(whole)


_KILLED_WHILE_WRITING = """
import os, signal, sys
import numpy as np
from lmzoo import models
from lmzoo.training import checkpoints, compile_language_model, save_checkpoint
model = compile_language_model(models.LSTMLanguageModel(20, 8, 8))
model(np.ones((1, 2), "int32"))
save_checkpoint(model, sys.argv[1], {"step": 10})
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
checkpoints.write_text = killed
save_checkpoint(model, sys.argv[1], {"step": 20})
"""


def test_a_process_killed_while_writing_leaves_the_previous_checkpoint(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_WRITING, str(tmp_path)],
        capture_output=True,
        env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == -9
    folder = tmp_path / CHECKPOINTS
    assert any(p.name.startswith(".step-20-") for p in folder.iterdir())
    assert checkpoint_steps(tmp_path) == [10]
    model = compile_language_model(models.LSTMLanguageModel(20, 8, 8))
    model(np.ones((1, 2), "int32"))
    assert restore_checkpoint(model, tmp_path) == {"step": 10}


def test_a_truncated_checkpoint_is_refused_by_name(tmp_path):
    model, _ = _trained(2)
    target = save_checkpoint(model, tmp_path, {"step": 2})
    (shard,) = pathlib.Path(target).glob("variables.data-*")
    shard.write_bytes(shard.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"The checkpoint .*step-2 is corrupt"):
        restore_checkpoint(model, tmp_path)


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    model, _ = _trained(2)
    save_checkpoint(model, tmp_path, {"step": 2})
    other = compile_language_model(models.LSTMLanguageModel(20, 8, 16))
    other(np.ones((1, 2), "int32"))
    with pytest.raises(ValueError, match="corrupt or belongs to another model"):
        restore_checkpoint(other, tmp_path)


def test_a_folder_of_another_run_is_refused(tmp_path):
    check_run(tmp_path, {"preset": "gpt-nano", "seed": 0})
    check_run(tmp_path, {"preset": "gpt-nano", "seed": 0})
    with pytest.raises(ValueError, match="holds a run of seed=0, not 1; refusing"):
        check_run(tmp_path, {"preset": "gpt-nano", "seed": 1})
    recorded = json.loads((tmp_path / "run.json").read_text())
    assert recorded == {"preset": "gpt-nano", "seed": 0}


def test_a_nan_loss_stops_training_and_names_the_last_good_checkpoint(tmp_path):
    with pytest.raises(TrainingDivergedError) as error:
        _trained(
            40,
            run_dir=tmp_path,
            checkpoint_every=5,
            schedule=lambda progress: 1e-3 if progress < 0.5 else 1e38,
        )
    message = str(error.value)
    steps = checkpoint_steps(tmp_path)
    assert steps == [15, 20]
    assert f"{CHECKPOINTS}/step-{steps[-1]} (step {steps[-1]})" in message
    assert "The training loss became nan at step" in message
    model = compile_language_model(models.LSTMLanguageModel(20, 8, 8))
    model(np.ones((1, 2), "int32"))
    restore_checkpoint(model, tmp_path)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_weights_sha256_changes_with_any_weight():
    model, _ = _trained(1)
    before = weights_sha256(model)
    weights = model.get_weights()
    weights[-1] = weights[-1] + np.float32(1e-6)
    model.set_weights(weights)
    assert weights_sha256(model) != before
    assert len(before) == 64 and int(before, 16) >= 0


def test_run_folders_work_on_any_tensorflow_filesystem():
    run_dir = "ram://runs/test-checkpoints"
    model, _ = _trained(2)
    check_run(run_dir, {"preset": "lstm"})
    for step in (2, 4, 6):
        save_checkpoint(model, run_dir, {"step": step})
    assert checkpoint_steps(run_dir) == [4, 6]
    restored = compile_language_model(models.LSTMLanguageModel(20, 8, 8))
    restored(np.ones((1, 2), "int32"))
    assert restore_checkpoint(restored, run_dir) == {"step": 6}
    assert weights_sha256(restored) == weights_sha256(model)
    with pytest.raises(ValueError, match="holds a run of preset='lstm'"):
        check_run(run_dir, {"preset": "gpt"})

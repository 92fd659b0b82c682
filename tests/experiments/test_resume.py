"""`lmzoo train --run-dir` survives kill -9: the rerun ends with the same weights.

For GPT and for the stateful LSTM (whose carried state and stream position
must come back too), a training process is killed at a random step after a
few checkpoints, the same command is run again, and its final
`weights_sha256` must equal that of a run that was never interrupted. Op
determinism is on and the seed fixed.
"""

import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time

import pytest

from lmzoo.training.checkpoints import checkpoint_steps

COMMANDS = {
    "gpt": [
        "--preset",
        "gpt-nano",
        "--corpus",
        "{shakespeare}",
        "--sequence-length",
        "32",
        "--batch-size",
        "8",
    ],
    "lstm": ["--preset", "lstm-ptb-small", "--corpus", "{ptb}"],
}


def _command(arguments, run_dir, steps):
    lmzoo = os.path.join(os.path.dirname(sys.executable), "lmzoo")
    return [
        lmzoo,
        "train",
        *arguments,
        "--steps",
        str(steps),
        "--checkpoint-every",
        "5",
        "--eval-tokens",
        "2000",
        "--run-dir",
        str(run_dir),
        "--no-export",
        "--quiet",
    ]


def _environment():
    return os.environ | {"TF_DETERMINISTIC_OPS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def _finish(command, cwd):
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=_environment()
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _kill_after_checkpoint(command, run_dir, cwd, at_least, sig):
    """Sends `sig` once a checkpoint of step `at_least` or later exists;
    returns that step and what the process wrote on stderr."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not checkpoint_steps(run_dir) or checkpoint_steps(run_dir)[-1] < at_least:
        assert process.poll() is None, "training ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert process.returncode == 130, stderr
    return checkpoint_steps(run_dir)[-1], stderr


@pytest.fixture
def corpora(ptb_head, shakespeare, tmp_path):
    """A PTB head (5-step passes) and 40,000 characters of Shakespeare."""
    folders = {"ptb": tmp_path / "ptb", "shakespeare": tmp_path / "shakespeare"}
    for folder in folders.values():
        folder.mkdir()
    for split, text in ptb_head.splits.items():
        (folders["ptb"] / f"{split}.txt").write_text(text)
    (folders["shakespeare"] / "train.txt").write_text(shakespeare.train[:40_000])
    (folders["shakespeare"] / "valid.txt").write_text(shakespeare.validation[:8_000])
    return folders


@pytest.mark.parametrize(
    "kind, sig", [("gpt", signal.SIGINT), ("lstm", signal.SIGKILL)], ids=["gpt", "lstm"]
)
def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(
    kind, sig, corpora, tmp_path
):
    """kill -9 for the LSTM; Ctrl-C (SIGINT) for GPT, which ends with one line
    naming the step, the last checkpoint and the command that resumes; the
    test runs that command."""
    arguments = [
        a.format(**{name: str(folder) for name, folder in corpora.items()})
        for a in COMMANDS[kind]
    ]
    steps = 40
    whole = _finish(_command(arguments, tmp_path / "whole", steps), tmp_path)
    run_dir = tmp_path / "killed"
    command = _command(arguments, run_dir, steps)
    killed_at, stderr = _kill_after_checkpoint(
        command, run_dir, tmp_path, random.Random(kind).choice([10, 15, 20]), sig
    )
    assert not (run_dir / "model.keras").exists()
    if sig == signal.SIGINT:
        # Determinism keeps Keras from XLA: its one warning line comes first.
        line = stderr.strip().splitlines()[-1]
        stopped, resume = line.split("; resume with: ")
        assert stopped.startswith("lmzoo train: interrupted: stopped at step ")
        assert stopped.endswith(
            f"; last checkpoint {run_dir}/checkpoints/step-{killed_at}"
        )
        assert shlex.split(resume)[1:] == command[1:]
    resumed = _finish(command, tmp_path)
    assert resumed["resumed_from_step"] == killed_at > 0
    assert whole["resumed_from_step"] == 0
    assert resumed["steps"] == whole["steps"] == steps
    assert resumed["weights_sha256"] == whole["weights_sha256"]
    assert (run_dir / "model.keras").is_file()


def test_a_run_folder_of_another_preset_is_refused(tmp_path):
    lmzoo = os.path.join(os.path.dirname(sys.executable), "lmzoo")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"preset": "gpt-mini"}))
    result = subprocess.run(
        [
            lmzoo,
            "train",
            "--preset",
            "gpt-nano",
            "--steps",
            "2",
            "--run-dir",
            str(run_dir),
            "--no-export",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_environment(),
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lmzoo train: error: {run_dir} holds a run of preset='gpt-mini', not "
        "'gpt-nano'; refusing to resume into it. Give another --run-dir (or "
        "delete this one to start over)."
    ]

"""Resumable training: atomic checkpoints in a run folder, a NaN guard, a weights hash.

A checkpoint is a folder `RUN_DIR/checkpoints/step-<N>` holding a
`tf.train.Checkpoint` of the model's variables (weights, and the carried
state of a stateful LSTM), the optimizer's variables, and `state.json`:
the step, the budget's progress and learning curve. It is written into a
temporary folder and renamed into place once complete, so a process killed
while writing leaves the previous checkpoint whole; the two newest are kept.
The data position is the step itself: training data is a seeded, repeated
stream that a resumed run skips to its step.
"""

import hashlib
import json

import keras
import numpy as np
import tensorflow as tf

from lmzoo.atomic import atomic_path, join, write_text

CHECKPOINTS = "checkpoints"
RUN_FILE = "run.json"
_PREFIX = "step-"


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; nothing after the last good step was saved."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C); says where it stopped and what was kept.

    Args:
        step: int. The last step completed.
        run_dir: the run folder, or `None`.

    Example:
    >>> str(TrainingInterrupted(7, None))
    'stopped at step 7; no run folder, nothing was kept'
    """

    def __init__(self, step, run_dir):
        self.step = step
        self.run_dir = run_dir
        self.checkpoint = last_checkpoint(run_dir) if run_dir is not None else None
        if run_dir is None:
            kept = "no run folder, nothing was kept"
        elif self.checkpoint is None:
            kept = f"no checkpoint yet in {run_dir}"
        else:
            kept = f"last checkpoint {self.checkpoint}"
        super().__init__(f"stopped at step {step}; {kept}")


def last_checkpoint(run_dir):
    """The newest complete checkpoint folder of `run_dir`, or `None`.

    Example:
    >>> last_checkpoint("/nonexistent") is None
    True
    """
    steps = checkpoint_steps(run_dir)
    return join(run_dir, CHECKPOINTS, f"{_PREFIX}{steps[-1]}") if steps else None


def weights_sha256(model):
    """A SHA-256 of all of `model`'s weights, in the model's fixed order.

    Each weight contributes its position, dtype, shape and bytes (not its
    name, which Keras numbers per instance), so two models of one
    architecture hash alike exactly when every weight is bitwise equal.

    Args:
        model: a built `keras.Model`.

    Returns:
        str, 64 hex digits.

    Example:
    >>> import lmzoo
    >>> a = lmzoo.models.LSTMLanguageModel(20, 8, 8)
    >>> b = lmzoo.models.LSTMLanguageModel(20, 8, 8)
    >>> _ = a(np.ones((1, 2), "int32")), b(np.ones((1, 2), "int32"))
    >>> b.set_weights(a.get_weights())
    >>> weights_sha256(a) == weights_sha256(b), len(weights_sha256(a))
    (True, 64)
    """
    digest = hashlib.sha256()
    for index, weight in enumerate(model.weights):
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
        digest.update(f"{index}|{value.dtype}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _checkpoint(model):
    """Every variable a resumed run needs: the model's (weights, dropout seeds,
    a stateful LSTM's carried state) and the optimizer's."""
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    carried = getattr(model, "carried_state", None) or []
    return tf.train.Checkpoint(
        model=[variable.value for variable in model.variables],
        carried_state=[variable.value for variable in carried],
        optimizer=[variable.value for variable in optimizer.variables],
    )


def checkpoint_steps(run_dir):
    """Steps of the complete checkpoints in `run_dir`, oldest first.

    Args:
        run_dir: the run folder.

    Returns:
        list of int.

    Example:
    >>> checkpoint_steps("/nonexistent")
    []
    """
    folder = join(run_dir, CHECKPOINTS)
    if not tf.io.gfile.isdir(folder):
        return []
    steps = [
        int(name.rstrip("/")[len(_PREFIX) :])
        for name in tf.io.gfile.listdir(folder)
        if name.startswith(_PREFIX)
        and name.rstrip("/")[len(_PREFIX) :].isdigit()
        and tf.io.gfile.exists(join(folder, name.rstrip("/"), "state.json"))
    ]
    return sorted(steps)


def save_checkpoint(model, run_dir, state, keep=2):
    """Writes a checkpoint of `model`, its optimizer and `state` atomically.

    Args:
        model: a compiled, built model.
        run_dir: the run folder.
        state: JSON-serialisable dict; must hold `"step"` (int).
        keep: int. Complete checkpoints kept, newest first. Defaults to `2`.

    Returns:
        str, the checkpoint folder.
    """
    folder = join(run_dir, CHECKPOINTS)
    target = join(folder, f"{_PREFIX}{state['step']}")
    with atomic_path(target, folder=True) as staging:
        _checkpoint(model).write(join(staging, "variables"))
        write_text(join(staging, "state.json"), json.dumps(state))
    for step in checkpoint_steps(run_dir)[:-keep]:
        tf.io.gfile.rmtree(join(folder, f"{_PREFIX}{step}"))
    return target


def restore_checkpoint(model, run_dir):
    """Loads the newest complete checkpoint of `run_dir` into `model`.

    The model must be built and compiled (its optimizer's variables built)
    as the run built it.

    Args:
        model: the model.
        run_dir: the run folder.

    Returns:
        The checkpoint's `state` dict, or `None` when there is none.

    Raises:
        ValueError: the checkpoint is unreadable or does not fit the model;
            the message names its folder.
    """
    steps = checkpoint_steps(run_dir)
    if not steps:
        return None
    target = join(run_dir, CHECKPOINTS, f"{_PREFIX}{steps[-1]}")
    try:
        state = json.loads(tf.io.gfile.GFile(join(target, "state.json")).read())
        _checkpoint(model).read(join(target, "variables")).assert_consumed()
    except (ValueError, AssertionError, IndexError, OSError, tf.errors.OpError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ValueError(
            f"The checkpoint {target} is corrupt or belongs to another model "
            f"({reason}). Delete it to resume from the one before, or the "
            "run folder to start over."
        ) from None
    return state


def check_run(run_dir, description):
    """Records what a run trains in `run_dir`, or refuses a folder of another run.

    Args:
        run_dir: the run folder.
        description: JSON-serialisable dict (preset, model config, corpus,
            windows, seed) that a resumed run must match.

    Raises:
        ValueError: `run_dir` holds a run of something else; the message
            names the first field that differs, in `description`'s order.

    Example:
    >>> folder = "ram://runs/nano"  # any filesystem TensorFlow knows
    >>> check_run(folder, {"preset": "gpt-nano"})
    >>> check_run(folder, {"preset": "gpt-mini"})
    Traceback (most recent call last):
    ...
    ValueError: ... holds a run of preset='gpt-nano', not 'gpt-mini'; ...
    """
    path = join(run_dir, RUN_FILE)
    description = json.loads(json.dumps(description))
    if tf.io.gfile.exists(path):
        recorded = json.loads(tf.io.gfile.GFile(path).read())
        for key in [*description, *(k for k in recorded if k not in description)]:
            if recorded.get(key) != description.get(key):
                raise ValueError(
                    f"{run_dir} holds a run of {key}={recorded.get(key)!r}, not "
                    f"{description.get(key)!r}; refusing to resume into it. Give "
                    "another --run-dir (or delete this one to start over)."
                )
        return
    write_text(path, json.dumps(description, indent=1, sort_keys=True) + "\n")


class Checkpointing(keras.callbacks.Callback):
    """Saves a checkpoint every `every` steps and stops `fit` on a NaN loss.

    Args:
        run_dir: the run folder, or `None` to guard without saving.
        every: int. Steps between checkpoints.
        state: function `() -> dict` of what to save besides the variables
            (it must include `"step"`, the global step).
        start_step: int. The global step `fit` starts at. Defaults to `0`.

    Attributes:
        diverged: `None`, or `(step, loss)` once a loss was not finite.
    """

    def __init__(self, run_dir, every, state, start_step=0):
        super().__init__()
        self.run_dir = run_dir
        self.every = every
        self.state = state
        self.step = start_step
        self.diverged = None

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self.diverged = (self.step, float(loss))
            self.model.stop_training = True
            return
        if self.run_dir is not None and self.step % self.every == 0:
            save_checkpoint(self.model, self.run_dir, self.state())

    def raise_if_diverged(self):
        """Raises `TrainingDivergedError`: the step, and the last good checkpoint."""
        if self.diverged is None:
            return
        step, loss = self.diverged
        steps = checkpoint_steps(self.run_dir) if self.run_dir else []
        last = (
            f"{last_checkpoint(self.run_dir)} (step {steps[-1]})"
            if steps
            else "none yet"
        )
        raise TrainingDivergedError(
            f"The training loss became {loss} at step {step}; nothing was saved "
            f"after it. The last good checkpoint is {last}. Lower the learning "
            "rate, or check the data, and train again."
        )

"""Upgrades `.keras` files saved before the backbone/task split."""

import json
import pathlib
import re
import shutil
import tempfile
import zipfile

import h5py
import keras

from lmzoo.models.gpt import GPT
from lmzoo.models.lstm import LSTMLanguageModel

_TASKS = {"GPT": GPT, "LSTMLanguageModel": LSTMLanguageModel}
_TASK_ARGUMENTS = ("name", "trainable", "tokenizer", "tie_embeddings")


def upgrade_keras_file(source, target):
    """Rewrites a pre-split GPT or LSTM `.keras` file in today's layout.

    Before the split, a `GPT` or `LSTMLanguageModel` held its layers and
    tokenizer directly; now a task holds a backbone and a preprocessor. The
    weights are moved under the backbone, the tokenizer becomes the
    preprocessor's, and the model is saved anew (without the optimizer
    state, which training would rebuild).

    Args:
        source: path of the old `.keras` file.
        target: path of the new `.keras` file (must differ from `source`).

    Returns:
        The upgraded model, as loaded back from `target`.

    Example:
    >>> import tempfile
    >>> target = tempfile.mkdtemp() + "/gpt.keras"
    >>> model = upgrade_keras_file("tests/models/legacy/gpt.keras", target)
    >>> type(model.backbone).__name__, type(model.preprocessor).__name__
    ('GPTBackbone', 'CausalLMPreprocessor')
    """
    source, target = pathlib.Path(source), pathlib.Path(target)
    if source.resolve() == target.resolve():
        raise ValueError("Write the upgraded model to a new path, not over the old.")
    with zipfile.ZipFile(source) as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.h5")
    if config.get("class_name") not in _TASKS or "backbone" in config["config"]:
        raise ValueError(
            f"{source} is not a pre-split lmzoo GPT or LSTMLanguageModel file."
        )
    model = _task_from_flat_config(config["class_name"], config["config"])
    with tempfile.TemporaryDirectory() as folder:
        moved = pathlib.Path(folder) / "model.weights.h5"
        moved.write_bytes(weights)
        with h5py.File(moved, "r+") as store:
            _move_under_backbone(store, model.backbone)
        model.load_weights(moved)
        staged = pathlib.Path(folder) / "model.keras"
        model.save(staged)
        shutil.move(staged, target)
    return keras.models.load_model(target)


def _move_under_backbone(store, backbone):
    """Moves the backbone's groups of a pre-split weights file under `backbone/`.

    Keras files a layer under its attribute name, and the layers it finds in
    lists under `layers/<class name in snake case>[_<count>]`.
    """
    store.require_group("backbone/layers")
    backbone_layers = {_snake_case(type(layer).__name__) for layer in backbone.layers}
    for name in list(store):
        if name == "tokenizer":
            del store[name]
        elif name == "layers":
            for child in list(store[name]):
                if re.sub(r"_\d+$", "", child) in backbone_layers:
                    store.move(f"layers/{child}", f"backbone/layers/{child}")
        elif name not in ("vars", "backbone") and hasattr(backbone, name):
            store.move(name, f"backbone/{name}")


def _snake_case(name):
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _task_from_flat_config(class_name, flat):
    task = {key: flat[key] for key in _TASK_ARGUMENTS if key in flat}
    if task.get("tokenizer") is not None:
        task["tokenizer"] = keras.saving.deserialize_keras_object(task["tokenizer"])
    backbone = {k: v for k, v in flat.items() if k not in _TASK_ARGUMENTS}
    model = _TASKS[class_name](**task, **backbone)
    model(keras.ops.zeros((1, 1), "int32"))
    return model

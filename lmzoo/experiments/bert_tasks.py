"""Load a BERT task from a checkpoint or a run, and fit it under a budget."""

import math
import pathlib

import keras

from lmzoo.data import BertPreprocessor
from lmzoo.export import load_keras
from lmzoo.models import BertBackbone
from lmzoo.training import (
    TrainingBudget,
    default_jit_compile,
    fit_under_budget,
    transformer_adamw,
)

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def load_bert_task(task_class, path, sequence_length=128, precision=None, **kwargs):
    """A BERT task over the backbone of a checkpoint folder or an lmzoo run.

    Args:
        task_class: a BERT task class (`BertClassifier`, `BertTokenClassifier`,
            `BertSpanQA`, ...).
        path: a Hugging Face BERT folder (`config.json`, `model.safetensors`,
            `vocab.txt`), a `.keras` file holding any BERT task, or a run
            folder holding `model.keras` (`lmzoo pretrain-bert` writes one).
        sequence_length: int. Word pieces per packed row.
        precision: optional dtype policy name (`"mixed_bfloat16"`, ...).
        **kwargs: the task's own arguments (`num_classes`, `label_names`).

    Returns:
        A built `task_class` with the source's backbone weights and
        tokenizer, and a freshly initialised head.

    Raises:
        FileNotFoundError: `path` is none of the above.
        ValueError: the `.keras` file holds no BERT backbone, or an unknown
            precision.

    Example:
    >>> from lmzoo.models import BertClassifier
    >>> load_bert_task(BertClassifier, "no/such/folder")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no/such/folder is not a Hugging Face folder ...
    """
    if precision is not None and precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; use one of {PRECISIONS}.")
    path = pathlib.Path(path)
    if (path / "config.json").is_file():
        return task_class.from_huggingface(
            path, sequence_length=sequence_length, dtype=precision, **kwargs
        )
    keras_file = path if path.suffix == ".keras" else path / "model.keras"
    if not keras_file.is_file():
        raise FileNotFoundError(
            f"{path} is not a Hugging Face folder (config.json), a .keras file "
            "or a run folder holding model.keras."
        )
    source = load_keras(keras_file)
    backbone = getattr(source, "backbone", None)
    if not isinstance(backbone, BertBackbone) or source.preprocessor is None:
        raise ValueError(
            f"{keras_file} holds a {type(source).__name__}, not a BERT task "
            "with a preprocessor."
        )
    if precision is not None:
        backbone = _with_precision(backbone, precision)
    preprocessor = BertPreprocessor(source.preprocessor.tokenizer, sequence_length)
    model = task_class(backbone=backbone, preprocessor=preprocessor, **kwargs)
    model(keras.ops.zeros((1, 1), "int32"))
    return model


def _with_precision(backbone, precision):
    config = backbone.get_config() | {"dtype": precision}
    copy = type(backbone).from_config(config)
    copy(keras.ops.zeros((1, 1), "int32"))
    copy.set_weights(backbone.get_weights())
    return copy


def padding_multiple(model):
    """The width a fine-tuning batch is padded to a multiple of, for `model`.

    Under XLA every batch width is one compiled program, so widths are
    rounded up to a multiple of 8 (16 programs up to 128 pieces). Without XLA
    (bfloat16 on a CPU) a new width costs nothing, so batches of sentences of
    one length carry no padding at all. Measured on SST-2 from MiniLM
    (Xeon with AMX, 2 cores): bfloat16 200 examples/s exact against 148 at a
    multiple of 16; float32 with XLA 90 at 8 against 74 at 16.

    Args:
        model: the task to train.

    Returns:
        int.

    Example:
    >>> from lmzoo.models import BertClassifier
    >>> padding_multiple(BertClassifier(vocabulary_size=9, hidden_dim=8))
    8
    """
    return 8 if default_jit_compile(model) else 1


def fit_task(
    model,
    dataset,
    steps_per_epoch,
    epochs,
    learning_rate,
    max_seconds=None,
    weight_decay=0.01,
    warmup_share=0.1,
    verbose=1,
):
    """Fine-tunes a task with `model.fit`: AdamW, warmup then cosine to zero.

    Training stops after `epochs` passes or when `max_seconds` of training
    steps are spent, whichever comes first; the schedule spans that budget.
    Biases and LayerNorm parameters get no weight decay.

    Args:
        model: a BERT task.
        dataset: a `tf.data.Dataset` of `(features, labels[, sample_weight])`
            batches (repeated as the budget needs).
        steps_per_epoch: int.
        epochs: int.
        learning_rate: float. Peak learning rate.
        max_seconds: optional float. Training-time budget.
        weight_decay: float. Defaults to `0.01`.
        warmup_share: float. Share of the epochs' steps spent warming up.
        verbose: 0 for silence, otherwise progress lines.

    Returns:
        The `TrainingBudget` callback (`steps`, `train_seconds`).
    """
    model.compile(
        optimizer=transformer_adamw(learning_rate, weight_decay),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["sparse_categorical_accuracy"],
        jit_compile=default_jit_compile(model),
    )
    total = steps_per_epoch * epochs
    budget = TrainingBudget(
        learning_rate,
        tokens_per_step=1,
        max_steps=total,
        max_seconds=max_seconds,
        warmup_steps=math.ceil(warmup_share * total),
        final_learning_rate_ratio=0.0,
    )
    return fit_under_budget(model, dataset, budget, steps_per_epoch, verbose=verbose)

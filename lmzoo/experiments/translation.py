"""`lmzoo train-translation`: a Transformer trained on sentence pairs, and BLEU."""

import time

import keras

from lmzoo import models
from lmzoo.data import (
    SentencePieceTokenizer,
    TranslationPreprocessor,
    data_file,
    read_pairs,
    references_by_source,
    split_pairs,
    translation_dataset,
)
from lmzoo.training import (
    SmoothedCrossEntropy,
    TrainingBudget,
    default_jit_compile,
    fit_under_budget,
    transformer_adamw,
)
from lmzoo.training.bleu import corpus_bleu

_TATOEBA = ("spa-eng", "fra-eng")


def compile_translator(
    model, learning_rate=1e-3, label_smoothing=0.1, jit_compile=None
):
    """Compiles a translator: AdamW, label-smoothed loss, masked accuracy.

    The loss and the accuracy count target positions only (the batches'
    sample weights are 0 at padding).

    Args:
        model: a `Seq2SeqTransformer`.
        learning_rate: float. Defaults to `1e-3`.
        label_smoothing: float. Defaults to `0.1`.
        jit_compile: optional bool. Defaults to
            `lmzoo.training.default_jit_compile(model)` (XLA in float32, not
            in bfloat16).

    Returns:
        The model.
    """
    model.compile(
        optimizer=transformer_adamw(learning_rate),
        loss=SmoothedCrossEntropy(label_smoothing),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=default_jit_compile(model) if jit_compile is None else jit_compile,
    )
    return model


def bleu_scores(model, pairs, beams=(1, 4), batch_size=64):
    """Corpus BLEU of `model` on `pairs`, each source decoded once.

    A source with several translations in `pairs` is scored against all of
    them (`references_by_source`).

    Args:
        model: a `Seq2SeqTransformer` with a preprocessor.
        pairs: list of `(source, target)` pairs.
        beams: beam widths; 1 means greedy. Defaults to `(1, 4)`.
        batch_size: int. Defaults to `64`.

    Returns:
        dict: `"bleu_greedy"` / `"bleu_beam4"` ..., the seconds each took
        (`"seconds_greedy"` ...), `"sources"` (distinct sources decoded) and
        `"examples"`, a few
        `(source, translation, references)` triples from the widest beam.
    """
    sources, references = references_by_source(pairs)
    result = {}
    for width in beams:
        name = "greedy" if width == 1 else f"beam{width}"
        started = time.perf_counter()
        translations = model.translate(
            sources,
            strategy="greedy" if width == 1 else "beam",
            num_beams=width,
            batch_size=batch_size,
        )
        result[f"seconds_{name}"] = round(time.perf_counter() - started, 1)
        result[f"bleu_{name}"] = round(corpus_bleu(translations, references), 2)
    result["sources"] = len(sources)
    result["examples"] = list(
        zip(sources[:8], translations[:8], references[:8], strict=True)
    )
    return result


def train_translation(
    pairs_path,
    direction="forward",
    preset="transformer-small",
    max_seconds=2700.0,
    epochs=None,
    vocabulary_size=8000,
    batch_size=128,
    learning_rate=1e-3,
    label_smoothing=0.1,
    warmup_steps=500,
    precision=None,
    max_pairs=None,
    seed=0,
    verbose=1,
):
    """Trains a translator on a pairs file and scores it on the held-out test split.

    Reads the pairs, splits them by source (`split_pairs`: 90/5/5), learns a
    SentencePiece vocabulary per language on the training split, and trains
    the preset with `model.fit` on length-bucketed, teacher-forced batches
    until `max_seconds` of training (or `epochs`) are spent, with warmup
    then cosine decay to zero over that budget. Then corpus BLEU on the test
    split, greedy and with a beam of 4.

    Args:
        pairs_path: a `source<TAB>target` file (Tatoeba's, English first), or
            `"spa-eng"` / `"fra-eng"`, the Tatoeba pairs of `lmzoo.data.DATASETS`
            (found or downloaded by `data_file`).
        direction: `"forward"` (first column to second) or `"reverse"`.
        preset: str. A `Seq2SeqTransformer` preset. Defaults to
            `"transformer-small"`.
        max_seconds: float. Training time in seconds. Defaults to `2700` (45
            minutes).
        epochs: optional int. Stop after this many passes instead (whichever
            comes first).
        vocabulary_size: int. SentencePiece pieces per language.
        batch_size: int. Sentence pairs per batch. Defaults to `128`.
        learning_rate: float. Peak learning rate. Defaults to `1e-3`.
        label_smoothing: float. Defaults to `0.1`.
        warmup_steps: int. Defaults to `500`.
        precision: optional dtype policy (`"mixed_bfloat16"`).
        max_pairs: optional int. Use only the file's first pairs (tests).
        seed: int. Defaults to `0`.
        verbose: 0 for silence, otherwise progress lines.

    Returns:
        `(model, result)`: the trained `Seq2SeqTransformer` and a dict with
        `bleu_greedy`, `bleu_beam4`, `train_seconds`, `parameters`,
        `test_pairs` (and `test_sources`), the split sizes, steps and the
        validation loss and accuracy.
    """
    keras.utils.set_random_seed(seed)
    if str(pairs_path) in _TATOEBA:
        pairs_path = data_file("translation", f"{pairs_path}.txt")
    pairs = read_pairs(pairs_path, direction)[:max_pairs]
    splits = split_pairs(pairs)
    if not splits["train"] or not splits["test"]:
        raise ValueError(
            f"{pairs_path}: {len(pairs)} pairs are too few for a train and a test "
            "split."
        )
    train = splits["train"]
    tokenizers = [
        SentencePieceTokenizer.train([pair[side] for pair in train], vocabulary_size)
        for side in (0, 1)
    ]
    sequence_length = models.get_preset(preset).arguments["max_sequence_length"]
    preprocessor = TranslationPreprocessor(*tokenizers, sequence_length)
    overrides = {} if precision is None else {"dtype": precision}
    model = models.get(
        preset,
        tokenizers[0].vocabulary_size,
        target_vocabulary_size=tokenizers[1].vocabulary_size,
        preprocessor=preprocessor,
        **overrides,
    )
    model.build()
    compile_translator(model, learning_rate, label_smoothing)
    batches = translation_dataset(train, preprocessor, batch_size, shuffle_seed=seed)
    steps_per_epoch = int(batches.cardinality())
    budget = TrainingBudget(
        learning_rate,
        tokens_per_step=batch_size,
        max_steps=steps_per_epoch * epochs if epochs else None,
        max_seconds=max_seconds,
        warmup_steps=warmup_steps,
        final_learning_rate_ratio=0.0,
    )
    fit_under_budget(model, batches, budget, steps_per_epoch, verbose=verbose)
    validation = model.evaluate(
        translation_dataset(
            splits["validation"] or train[:batch_size], preprocessor, 128
        ),
        return_dict=True,
        verbose=0,
    )
    scores = bleu_scores(model, splits["test"])
    result = {
        "direction": direction,
        "preset": preset,
        "precision": model.dtype_policy.name,
        "bleu_greedy": scores["bleu_greedy"],
        "bleu_beam4": scores["bleu_beam4"],
        "train_seconds": round(budget.train_seconds, 1),
        "steps": budget.steps,
        "epochs": round(budget.steps / steps_per_epoch, 2),
        "parameters": model.count_params(),
        "train_pairs": len(train),
        "validation_pairs": len(splits["validation"]),
        "test_pairs": len(splits["test"]),
        "test_sources": scores["sources"],
        "vocabulary_sizes": [t.vocabulary_size for t in tokenizers],
        "validation_loss": round(validation["loss"], 4),
        "validation_accuracy": round(validation["accuracy"], 4),
        "decode_seconds": {
            "greedy": scores["seconds_greedy"],
            "beam4": scores["seconds_beam4"],
        },
        "examples": scores["examples"],
    }
    return model, result

"""Train one preset on one corpus under a budget and report its figures."""

import math

import keras

from lmzoo import models
from lmzoo.data import Corpus, language_model_dataset, load_corpus
from lmzoo.training import compile_language_model, train_language_model


def evaluate_split(model, token_ids, sequence_length, batch_size):
    """Exact loss and perplexity of `model` over a whole split.

    Args:
        model: a compiled lmzoo language model.
        token_ids: 1-D int array of the split.
        sequence_length: int. Window length.
        batch_size: int.

    Returns:
        dict with `loss` (mean cross-entropy per predicted token, nats) and
        `perplexity`.

    Example:
    >>> evaluate_split(model, ids, 128, 32)  # doctest: +SKIP
    {'loss': 1.52, 'perplexity': 4.57}
    """
    dataset = language_model_dataset(token_ids, sequence_length, batch_size)
    perplexity = model.evaluate(dataset, return_dict=True, verbose=0)["perplexity"]
    return {"loss": math.log(perplexity), "perplexity": perplexity}


def train_preset(
    preset,
    corpus="tinyshakespeare",
    tokenizer=None,
    data_dir=None,
    sequence_length=128,
    batch_size=32,
    max_steps=None,
    max_tokens=None,
    max_seconds=None,
    learning_rate=None,
    warmup_steps=100,
    eval_interval=100,
    eval_batches=8,
    seed=0,
    callbacks=(),
    verbose=1,
    **model_overrides,
):
    """Builds a preset, trains it on a corpus under a budget and evaluates it.

    Args:
        preset: str. A name in `lmzoo.models.PRESETS`.
        corpus: a `Corpus` or anything `load_corpus` takes. Defaults to
            `"tinyshakespeare"`.
        tokenizer: optional tokenizer; defaults to one built from the
            training split.
        data_dir: optional data folder for `load_corpus`.
        sequence_length: int. Training window. Defaults to `128`.
        batch_size: int. Defaults to `32`.
        max_steps, max_tokens, max_seconds: the training budget (at least one).
        learning_rate: optional float; defaults to the preset's.
        warmup_steps: int. Defaults to `100`.
        eval_interval: int. Steps between validations. Defaults to `100`.
        eval_batches: optional int. Validation batches used during training.
        seed: int. Seeds weights and batches. Defaults to `0`.
        callbacks: extra Keras callbacks.
        verbose: Keras verbosity. Defaults to `1`.
        **model_overrides: constructor arguments for the model (`dtype`, ...).

    Returns:
        `(model, result)`, where `result` is a dict with `preset`, `corpus`,
        `parameters`, `steps`, `train_tokens`, `train_seconds`,
        `tokens_per_second`, `val_loss`, `val_perplexity`, `test_loss` and
        `test_perplexity` (when the corpus has a test split) and `curve`.

    Example:
    >>> model, result = train_preset("gpt-nano", max_seconds=60)  # doctest: +SKIP
    """
    if not isinstance(corpus, Corpus):
        corpus = load_corpus(corpus, data_dir=data_dir)
    tokenizer = tokenizer or corpus.build_tokenizer()
    keras.utils.set_random_seed(seed)
    model = models.get(
        preset, tokenizer.vocabulary_size, tokenizer=tokenizer, **model_overrides
    )
    max_length = getattr(model, "max_sequence_length", None)
    split_ids = {
        split: tokenizer.encode(text) for split, text in corpus.splits.items() if text
    }
    train_dataset = language_model_dataset(
        split_ids["train"],
        sequence_length,
        batch_size,
        shuffle=True,
        seed=seed,
        max_sequence_length=max_length,
    )
    validation_dataset = language_model_dataset(
        split_ids["validation"],
        sequence_length,
        batch_size,
        max_sequence_length=max_length,
    )
    learning_rate = learning_rate or models.get_preset(preset).learning_rate
    compile_language_model(model, learning_rate=learning_rate)
    budget = train_language_model(
        model,
        train_dataset,
        validation_dataset,
        tokens_per_step=batch_size * sequence_length,
        learning_rate=learning_rate,
        max_steps=max_steps,
        max_tokens=max_tokens,
        max_seconds=max_seconds,
        warmup_steps=warmup_steps,
        eval_interval=eval_interval,
        eval_batches=eval_batches,
        callbacks=callbacks,
        verbose=verbose,
    )
    result = {
        "preset": preset,
        "corpus": corpus.name,
        "parameters": model.count_params(),
        "steps": budget.steps,
        "train_tokens": budget.tokens,
        "train_seconds": budget.train_seconds,
        "tokens_per_second": budget.steady_tokens_per_second(),
    }
    for split in ("validation", "test"):
        if split in split_ids:
            figures = evaluate_split(
                model, split_ids[split], sequence_length, batch_size
            )
            prefix = "val" if split == "validation" else "test"
            result[f"{prefix}_loss"] = figures["loss"]
            result[f"{prefix}_perplexity"] = figures["perplexity"]
    result["curve"] = budget.curve
    return model, result

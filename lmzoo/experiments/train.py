"""Train one preset on one corpus under a budget and report its figures."""

import hashlib
import json
import math

import keras

from lmzoo import models
from lmzoo.atomic import join
from lmzoo.data import language_model_dataset, stateful_streams
from lmzoo.experiments.inputs import (
    PREFIXES,
    build_tokenizer,
    default_eval_tokens,
    evaluation_batch_size,
    prepare_corpus,
    unknown_shares,
)
from lmzoo.training import (
    check_budget,
    check_run,
    get_recipe,
    train_with_recipe,
    validation_perplexity,
    weights_sha256,
)
from lmzoo.training.distribute import get_strategy, is_chief


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
    >>> import numpy as np, lmzoo
    >>> model = lmzoo.models.get("gpt-nano", 20)
    >>> figures = evaluate_split(model, np.arange(300) % 20, 16, 4)
    >>> 2.0 < figures["loss"] < 4.0  # about log(20) = 3.0 before training
    True
    """
    batch_size = evaluation_batch_size(
        sequence_length, model.vocabulary_size, batch_size
    )
    dataset = language_model_dataset(token_ids, sequence_length, batch_size)
    return _figures(validation_perplexity(model, dataset))


def _figures(perplexity):
    return {"loss": math.log(perplexity), "perplexity": perplexity}


def _report(result, split, figures):
    prefix = PREFIXES.get(split, split)
    result[f"{prefix}_loss"] = figures["loss"]
    result[f"{prefix}_perplexity"] = figures["perplexity"]


def train_preset(
    preset,
    corpus="tinyshakespeare",
    tokenizer=None,
    data_dir=None,
    level=None,
    max_vocabulary=None,
    split=None,
    max_steps=None,
    max_tokens=None,
    max_seconds=None,
    learning_rate=None,
    eval_tokens="auto",
    seed=0,
    callbacks=(),
    verbose=1,
    model_overrides=None,
    precision=None,
    run_dir=None,
    checkpoint_every=100,
    strategy=None,
    **recipe,
):
    """Builds a preset, trains it on a corpus and evaluates it on every split.

    Each preset trains with its recipe (`lmzoo.training.get_recipe(preset)`):
    window, batch, optimizer, schedule, steps or epochs. Arguments given here
    override it. A stateful model (`lstm-ptb-small`) trains on
    `stateful_streams`; the others on shuffled random windows.

    Args:
        preset: str. A name in `lmzoo.models.PRESETS`.
        corpus: a `Corpus` or anything `load_corpus` takes. Defaults to
            `"tinyshakespeare"`.
        tokenizer: optional tokenizer; defaults to one built from the
            training split.
        data_dir: optional data folder for `load_corpus`.
        level: optional `"char"` or `"word"`; defaults to the corpus'.
        max_vocabulary: optional int. Caps a word vocabulary (most frequent
            words first, the rest `<unk>`).
        split: optional `"tail"` or `"lines"`: how a single text file is cut
            (`load_corpus`); detected by default.
        max_steps, max_tokens, max_seconds: the budget; defaults to the
            recipe's `max_steps` (or `epochs` for a stateful recipe).
        learning_rate: optional float; defaults to the preset's.
        eval_tokens: int, `"auto"` or `None`. Learning-curve points are
            measured on a fixed, seeded sample of about this many validation
            tokens (`None`: the whole split; `"auto"`:
            `default_eval_tokens(vocabulary_size)`, 32,768 for characters);
            the final figures always cover whole splits. Defaults to `"auto"`.
        seed: int. Seeds weights and batches. Defaults to `0`.
        callbacks: extra Keras callbacks.
        verbose: 0 for silence, otherwise progress lines. Defaults to `1`.
        model_overrides: optional dict of constructor arguments (`hidden_dim`,
            `dropout`, ...).
        precision: optional Keras dtype policy name (`"mixed_bfloat16"`,
            `"mixed_float16"`); `None` or `"float32"` trains in float32.
        run_dir: optional folder for resumable checkpoints: a run that finds
            its own checkpoints there goes on from the newest; a folder that
            holds a run of another preset, corpus, model or windows is
            refused (`lmzoo.training.checkpoints.check_run`).
        checkpoint_every: int. Steps between checkpoints. Defaults to `100`.
        strategy: optional `tf.distribute.Strategy` or a name in
            `lmzoo.training.distribute.STRATEGIES`: the model is built and
            trained under it, the batch being the global batch. Under
            `multiworker`, workers other than the chief keep their
            checkpoints in `run_dir/worker-<index>`. Defaults to one device.
        **recipe: `Recipe` fields to override (`sequence_length`,
            `batch_size`, `warmup_steps`, `eval_interval`, `epochs`,
            `clipnorm`, ...); `None` values are ignored.

    Returns:
        `(model, result)`, where `result` is a dict with `preset`, `corpus`,
        `parameters`, `steps`, `train_tokens`, `train_seconds`,
        `tokens_per_second`, `val_loss`, `val_perplexity`, `test_loss` and
        `test_perplexity` (when the corpus has a test split), the share of
        `<unk>` per split (`train_unknown_share`, `val_unknown_share`, ...),
        `weights_sha256` (`lmzoo.training.weights_sha256`) and `curve`.

    Example:
    >>> from lmzoo.data import Corpus
    >>> splits = {"train": "abcd" * 300, "validation": "abcd" * 40}
    >>> corpus = Corpus("toy", "char", splits)
    >>> model, result = train_preset("gpt-nano", corpus, max_steps=2, verbose=0)
    >>> result["steps"], result["train_tokens"], sorted(result)[:3]
    (2, 8192, ['corpus', 'curve', 'parameters'])
    """
    models.get_preset(preset, language_model=True)
    recipe = get_recipe(preset).updated(learning_rate=learning_rate, **recipe)
    budget = {
        "max_steps": max_steps,
        "max_tokens": max_tokens,
        "max_seconds": max_seconds,
    }
    if any(value is not None for value in budget.values()):
        check_budget(**budget)
    elif not recipe.max_steps and not recipe.epochs:
        raise ValueError(
            f"Preset {preset!r} has no default training length: give max_steps, "
            "max_tokens or max_seconds (--steps, --budget-tokens or "
            "--budget-minutes)."
        )
    corpus = prepare_corpus(corpus, data_dir, level, split)
    tokenizer = tokenizer or build_tokenizer(corpus, max_vocabulary)
    if not hasattr(strategy, "scope"):
        strategy = get_strategy(strategy or "default")
    with strategy.scope():
        keras.utils.set_random_seed(seed)
        model = models.get(
            preset,
            tokenizer.vocabulary_size,
            tokenizer=tokenizer,
            **(model_overrides or {}),
            **({} if precision in (None, "float32") else {"dtype": precision}),
        )
    split_ids = {
        split: tokenizer.encode(text) for split, text in corpus.splits.items() if text
    }
    if run_dir is not None:
        if not is_chief(strategy):
            run_dir = join(run_dir, f"worker-{strategy.cluster_resolver.task_id}")
        check_run(run_dir, _description(preset, corpus, model, recipe, seed))
    run = {
        "run_dir": run_dir,
        "checkpoint_every": checkpoint_every,
        "callbacks": list(callbacks),
        "verbose": verbose,
        "seed": seed,
        "eval_tokens": (
            default_eval_tokens(tokenizer.vocabulary_size)
            if eval_tokens == "auto"
            else eval_tokens
        ),
    }
    train = _train_stateful if getattr(model, "stateful", False) else _train_windows
    with strategy.scope():
        progress, evaluate = train(model, tokenizer, split_ids, recipe, budget, run)
        result = {
            "preset": preset,
            "corpus": corpus.name,
            "parameters": model.count_params(),
            "steps": progress.steps,
            "resumed_from_step": progress.resumed_from_step,
            "train_tokens": progress.tokens,
            "train_seconds": progress.train_seconds,
            "tokens_per_second": progress.steady_tokens_per_second(),
            "replicas": strategy.num_replicas_in_sync,
        } | unknown_shares(tokenizer, split_ids)
        for split in ("validation", "test"):
            if split in split_ids:
                _report(result, split, evaluate(split))
    result["weights_sha256"] = weights_sha256(model)
    result["curve"] = progress.curve
    return model, result


def _description(preset, corpus, model, recipe, seed):
    """What a resumed run must share with the run in its folder."""
    config = json.dumps(keras.saving.serialize_keras_object(model), sort_keys=True)
    return {
        "preset": preset,
        "corpus": corpus.name,
        "vocabulary_size": model.vocabulary_size,
        "sequence_length": recipe.sequence_length,
        "batch_size": recipe.batch_size,
        "seed": seed,
        "model_config_sha256": hashlib.sha256(config.encode()).hexdigest(),
    }


def _train_windows(model, tokenizer, split_ids, recipe, budget, run):
    """Shuffled random windows, validated on a fixed sample."""
    max_length = getattr(model, "max_sequence_length", None)
    windows = {
        "sequence_length": recipe.sequence_length,
        "batch_size": recipe.batch_size,
        "seed": run["seed"],
        "max_sequence_length": max_length,
    }
    train_dataset = language_model_dataset(
        split_ids["train"], shuffle=True, repeat=True, **windows
    )
    validation_sample = language_model_dataset(
        split_ids["validation"], max_tokens=run["eval_tokens"], **windows
    )
    if recipe.epochs and not recipe.max_steps and _no_limit(budget):
        # An epoch of random windows: as many as tile the split once.
        windows_per_epoch = (len(split_ids["train"]) - 1) // recipe.sequence_length
        budget = budget | {
            "max_steps": recipe.epochs * max(windows_per_epoch // recipe.batch_size, 1)
        }
    progress = train_with_recipe(
        model,
        recipe,
        train_dataset,
        validation_sample,
        callbacks=run["callbacks"],
        verbose=run["verbose"],
        run_dir=run["run_dir"],
        checkpoint_every=run["checkpoint_every"],
        **budget,
    )
    return progress, lambda split: evaluate_split(
        model, split_ids[split], recipe.sequence_length, recipe.batch_size
    )


def _no_limit(budget):
    return all(value is None for value in budget.values())


def _train_stateful(model, tokenizer, split_ids, recipe, budget, run):
    """Truncated BPTT over stateful streams, validated on their first windows."""
    start = getattr(tokenizer, "end_of_line_id", None)
    streams = {
        split: stateful_streams(
            ids, recipe.batch_size, recipe.sequence_length, start_token=start
        )
        for split, ids in split_ids.items()
    }
    validation_sample = streams["validation"]
    if run["eval_tokens"] is not None:
        validation_sample = validation_sample.take(
            -(-run["eval_tokens"] // recipe.tokens_per_step)
        )
    progress = train_with_recipe(
        model,
        recipe,
        streams["train"],
        validation_sample,
        callbacks=run["callbacks"],
        verbose=run["verbose"],
        run_dir=run["run_dir"],
        checkpoint_every=run["checkpoint_every"],
        **budget,
    )

    def evaluate(split):
        model.reset_state()
        return _figures(validation_perplexity(model, streams[split]))

    return progress, evaluate

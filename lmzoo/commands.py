"""What the `lmzoo` command does once `lmzoo_cli` has parsed its arguments."""

import contextlib
import json
import pathlib
import secrets
import shlex
import sys
import time

import keras
import numpy as np

from lmzoo import models
from lmzoo.atomic import atomic_path, join, write_text
from lmzoo.data import CORPORA
from lmzoo.export import KERAS_FILE, export_language_model, load_keras, save_keras
from lmzoo.training import TrainingInterrupted, get_recipe
from lmzoo.training.distribute import get_strategy, is_chief


def run(args):
    """Runs one parsed `lmzoo` command.

    Args:
        args: the `argparse.Namespace` from `lmzoo_cli.build_parser()`.

    Returns:
        int exit status.

    Example:
    >>> import lmzoo_cli
    >>> args = lmzoo_cli.build_parser().parse_args(
    ...     ["generate", "--model", "missing", "--prompt", "ROMEO:"])
    >>> run(args)
    Traceback (most recent call last):
    ...
    FileNotFoundError: No model.keras at missing: give a SavedModel folder ...
    """
    return _COMMANDS[args.command](args)


def _seconds(minutes):
    return None if minutes is None else minutes * 60.0


def _training_arguments(args):
    """The arguments `compare` and `train` share, as keyword arguments."""
    return {
        "data_dir": args.data_dir,
        "level": args.level,
        "max_vocabulary": args.max_vocabulary,
        "split": args.split,
        "sequence_length": args.sequence_length,
        "batch_size": args.batch_size,
        "eval_interval": args.eval_interval,
        "eval_tokens": args.eval_tokens or "auto",
        "seed": args.seed,
        "verbose": 0 if args.quiet else 1,
    }


@contextlib.contextmanager
def _resumable(args, run_dir):
    """Turns Ctrl-C during training into one line: where it stopped, what was
    kept, and the command that resumes (the one given, with its run folder)."""
    try:
        yield
    except TrainingInterrupted as stop:
        given = args.run_dir is not None
        again = ["lmzoo", *args.argv] + ([] if given else ["--run-dir", run_dir])
        raise KeyboardInterrupt(f"{stop}; resume with: {shlex.join(again)}") from None


def _compare(args):
    from lmzoo.experiments import compare, format_table

    table = compare(
        corpus=args.corpus,
        presets=args.models.split(",") if args.models else None,
        max_seconds=_seconds(args.budget_minutes),
        max_tokens=args.budget_tokens,
        output_dir=args.output_dir,
        export_dir=None if args.no_export else args.export_dir,
        slice_seconds=args.slice_seconds,
        **_training_arguments(args),
    )
    print()
    print(format_table(table))
    switching = table["switch_seconds"].sum() / table["train time (s)"].sum()
    print(f"\nThe models took turns; switching cost {switching:.2%} of training time.")
    for _, row in table.iterrows():
        print(f"\n--- {row['model']}, from the prompt {row['prompt']!r} ---")
        print(row["sample"])
    output_dir = table.attrs["output_dir"]
    print(f"\nResults: {output_dir}/results.csv, {output_dir}/learning_curves.png")
    print(f"TensorBoard: tensorboard --logdir {output_dir}/tensorboard")
    if "export_path" in table:
        print("SavedModels: " + ", ".join(table["export_path"]))
    return 0


def _train(args):
    from lmzoo.experiments import train_preset

    models.get_preset(args.preset, language_model=True)
    strategy = get_strategy(args.strategy)
    run_dir = args.run_dir or f"runs/{args.preset}-{time.strftime('%Y%m%d-%H%M%S')}"
    with _resumable(args, run_dir):
        model, result = train_preset(
            args.preset,
            args.corpus,
            max_steps=args.steps,
            max_tokens=args.budget_tokens,
            max_seconds=_seconds(args.budget_minutes),
            learning_rate=args.learning_rate,
            epochs=args.epochs,
            run_dir=run_dir,
            checkpoint_every=args.checkpoint_every,
            strategy=strategy,
            precision=args.precision,
            **_training_arguments(args),
        )
    result.pop("curve")
    if is_chief(strategy):
        result["model_path"] = str(save_keras(model, join(run_dir, KERAS_FILE)))
        if not args.no_export:
            export = export_language_model(
                model, pathlib.Path(args.export_dir) / args.preset
            )
            result["export_path"] = str(export)
        write_text(join(run_dir, "result.json"), json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))
    return 0


def _load_model(path):
    """A model saved by lmzoo, or a pretrained one (GGUF, Hugging Face folder)."""
    if models.is_pretrained(path):
        return models.load_pretrained(path)
    return load_keras(path)


def _sampling(args):
    """The sampling keyword arguments of `generate` and `chat`, seed included."""
    settings = {"strategy": args.strategy}
    if args.strategy == "sample":
        seed = args.seed
        if seed is None:
            seed = secrets.randbelow(2**31)
            print(
                f"lmzoo {args.command}: seed {seed} (--seed repeats it)",
                file=sys.stderr,
            )
        settings |= {
            "temperature": args.temperature,
            "top_k": args.top_k,
            "top_p": args.top_p,
            "seed": seed,
        }
    elif args.strategy == "beam":
        settings["num_beams"] = args.num_beams
    return settings


def _generate(args):
    model = _load_model(args.model)
    settings = _sampling(args)
    print(
        model.generate(
            args.prompt,
            max_new_tokens=args.max_new_tokens,
            allow_unknown=args.allow_unknown,
            **settings,
        )
    )
    return 0


def _chat(args):
    model = _load_model(args.model)
    if not hasattr(model, "chat"):
        raise ValueError(f"{args.model} is not a chat model (no chat template).")
    messages = (
        [] if args.system is None else [{"role": "system", "content": args.system}]
    )
    settings = _sampling(args)
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        messages.append({"role": "user", "content": line.rstrip("\n")})
        reply = model.chat(
            messages,
            max_new_tokens=args.max_new_tokens,
            on_text=lambda text: print(text, end="", flush=True),
            **settings,
        )
        print(flush=True)
        messages.append({"role": "assistant", "content": reply})


def _presets(args):
    rows = [("preset", "model", "parameters", "for corpus", "size")]
    for name, preset in models.PRESETS.items():
        corpus = get_recipe(name).corpus if preset.is_language_model else "-"
        vocabulary_size = preset.vocabulary_size or CORPORA[corpus].vocabulary_size
        model = models.get(name, vocabulary_size)
        if isinstance(model, models.Seq2SeqTransformer):
            model.build()
        else:
            model(keras.ops.zeros((1, 1), "int32"))
        rows.append(
            (
                name,
                preset.model_class.__name__,
                f"{model.count_params():,}",
                corpus,
                preset.summary(),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        cells[2] = row[2].rjust(widths[2])
        print("  ".join(cells + [row[4]]).rstrip())
    return 0


def _embed(args):
    from lmzoo.data import read_text

    output = pathlib.Path(args.output)
    sentences = read_text(args.input).splitlines()
    encoder = models.SentenceEncoder.from_huggingface(
        args.model, sequence_length=args.max_length
    )
    start = time.perf_counter()
    embeddings = encoder.encode(sentences, batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    with atomic_path(output) as staging, open(staging, "wb") as out:
        np.save(out, embeddings)
    summary = {
        "sentences": len(sentences),
        "dimensions": int(embeddings.shape[1]),
        "output": str(output),
        "sentences_per_s": round(len(sentences) / seconds, 1),
    }
    print(json.dumps(summary))
    return 0


def _save_run(model, result, run_dir):
    result["model_path"] = str(save_keras(model, join(run_dir, KERAS_FILE)))
    write_text(join(run_dir, "result.json"), json.dumps(result, indent=1) + "\n")
    print(json.dumps(result))
    return 0


def _bert_training_arguments(args):
    return {
        "data_dir": args.data_dir,
        "max_seconds": _seconds(args.budget_minutes),
        "batch_size": args.batch_size,
        "sequence_length": args.sequence_length,
        "precision": None if args.precision == "float32" else args.precision,
        "seed": args.seed,
        "verbose": 0 if args.quiet else 2,
    }


def _pretrain_bert(args):
    from lmzoo.experiments.pretrain_bert import pretrain_bert

    if args.budget_minutes is None and args.steps is None:
        raise ValueError("Give --budget-minutes or --steps.")
    model, result = pretrain_bert(
        args.preset,
        args.corpus,
        max_steps=args.steps,
        vocabulary_size=args.vocabulary_size,
        learning_rate=args.learning_rate,
        **_bert_training_arguments(args),
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return _save_run(
        model, result, args.run_dir or f"runs/pretrain-{args.preset}-{stamp}"
    )


def _finetune(args):
    from lmzoo.experiments.finetune import FINETUNE_JOBS

    job = FINETUNE_JOBS[args.task]
    learning_rate = (
        {} if args.learning_rate is None else {"learning_rate": args.learning_rate}
    )
    model, result = job(
        args.model,
        epochs=args.epochs,
        **learning_rate,
        **_bert_training_arguments(args),
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return _save_run(model, result, args.run_dir or f"runs/{args.task}-{stamp}")


def _train_translation(args):
    from lmzoo.experiments.translation import train_translation

    model, result = train_translation(
        args.pairs,
        direction=args.direction,
        preset=args.preset,
        max_seconds=_seconds(args.budget_minutes),
        epochs=args.epochs,
        vocabulary_size=args.vocabulary_size,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        precision=None if args.precision == "float32" else args.precision,
        seed=args.seed,
        verbose=0 if args.quiet else 2,
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return _save_run(
        model, result, args.run_dir or f"runs/translation-{args.preset}-{stamp}"
    )


def _translate(args):
    model = load_keras(args.model)
    if not isinstance(model, models.Seq2SeqTransformer):
        raise ValueError(
            f"{args.model} holds a {type(model).__name__}, not a Seq2SeqTransformer."
        )
    translations = model.translate(
        args.sentences,
        strategy="greedy" if args.num_beams == 1 else "beam",
        num_beams=args.num_beams,
        length_penalty=args.length_penalty,
    )
    print("\n".join(translations))
    return 0


def _export(args):
    from lmzoo.export import save

    model = _load_model(args.model)
    signatures = args.signatures.split(",") if args.signatures else None
    print(save(model, args.path, overwrite=args.overwrite, signatures=signatures))
    return 0


def _data(args):
    from lmzoo.data import fetch

    for path in fetch(args.name, mirror=args.mirror):
        print(path)
    return 0


_COMMANDS = {
    "data": _data,
    "chat": _chat,
    "compare": _compare,
    "train": _train,
    "generate": _generate,
    "embed": _embed,
    "presets": _presets,
    "pretrain-bert": _pretrain_bert,
    "finetune": _finetune,
    "train-translation": _train_translation,
    "translate": _translate,
    "export": _export,
}

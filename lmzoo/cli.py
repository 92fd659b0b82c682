"""The `lmzoo` command line: `lmzoo compare | train | generate | presets`."""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _add_budget_arguments(parser, default_minutes):
    parser.add_argument(
        "--budget-minutes",
        type=float,
        default=default_minutes,
        help=f"training wall-clock budget per model (default {default_minutes})",
    )
    parser.add_argument(
        "--budget-tokens", type=int, help="training-token budget per model"
    )
    parser.add_argument(
        "--sequence-length", type=int, help="window length (default: the recipe's)"
    )
    parser.add_argument("--batch-size", type=int, help="default: the recipe's")
    parser.add_argument(
        "--data-dir", help="folder holding <corpus>/<files> (else $LMZOO_DATA)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-interval", type=int)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _minutes_to_seconds(minutes):
    return None if minutes is None else minutes * 60.0


def _run_compare(args):
    from lmzoo.experiments import compare, format_table

    table = compare(
        corpus=args.corpus,
        presets=args.models.split(",") if args.models else None,
        budget_seconds=_minutes_to_seconds(args.budget_minutes),
        budget_tokens=args.budget_tokens,
        sequence_length=args.sequence_length,
        batch_size=args.batch_size,
        output_dir=args.output_dir,
        export_dir=None if args.no_export else args.export_dir,
        data_dir=args.data_dir,
        seed=args.seed,
        eval_interval=args.eval_interval,
        verbose=0 if args.quiet else 1,
    )
    print()
    print(format_table(table))
    for _, row in table.iterrows():
        print(f"\n--- sample from {row['model']} ---\n{row['sample']}")
    output_dir = table.attrs["output_dir"]
    print(f"\nResults: {output_dir}/results.csv, {output_dir}/learning_curves.png")
    print(f"TensorBoard: tensorboard --logdir {output_dir}/tensorboard")
    if "export_path" in table:
        print("SavedModels: " + ", ".join(table["export_path"]))


def _run_train(args):
    from lmzoo.experiments import train_preset

    _, result = train_preset(
        args.preset,
        args.corpus,
        data_dir=args.data_dir,
        sequence_length=args.sequence_length,
        batch_size=args.batch_size,
        max_steps=args.steps,
        max_tokens=args.budget_tokens,
        max_seconds=_minutes_to_seconds(args.budget_minutes),
        learning_rate=args.learning_rate,
        eval_interval=args.eval_interval,
        epochs=args.epochs,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
    )
    result.pop("curve")
    print(json.dumps(result))


def _run_generate(args):
    import pathlib

    import keras

    from lmzoo.export import KERAS_FILE

    keras_file = pathlib.Path(args.model)
    if keras_file.is_dir():
        keras_file = keras_file / "assets" / KERAS_FILE
    if not keras_file.is_file():
        raise FileNotFoundError(
            f"{keras_file} not found: give a SavedModel folder written by lmzoo "
            "(saved_models/<name>/<version>) or a .keras file."
        )
    model = keras.saving.load_model(keras_file)
    print(
        model.generate(
            args.prompt,
            max_new_tokens=args.max_new_tokens,
            strategy=args.strategy,
            temperature=args.temperature,
            top_k=args.top_k,
            top_p=args.top_p,
            num_beams=args.num_beams,
            seed=args.seed,
        )
    )


def _run_presets(args):
    from lmzoo.models import PRESETS

    for name, preset in PRESETS.items():
        arguments = ", ".join(
            f"{key}={value}" for key, value in preset.arguments.items()
        )
        print(
            f"{name:14s} {preset.model_class.__name__}({arguments}), "
            f"lr={preset.learning_rate}"
        )


def build_parser():
    """The argument parser of the `lmzoo` command.

    Returns:
        `argparse.ArgumentParser`.

    Example:
    >>> build_parser().parse_args(["presets"]).command
    'presets'
    """
    parser = argparse.ArgumentParser(
        prog="lmzoo", description="Language models for Keras: train, compare, generate."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compare = commands.add_parser(
        "compare", help="train the LSTM baseline and GPT on one budget and compare them"
    )
    compare.add_argument("--corpus", default="tinyshakespeare")
    compare.add_argument(
        "--models",
        help="comma-separated presets (default: lstm-ptb-small,gpt-ptb on ptb, "
        "else lstm-small,gpt-mini)",
    )
    compare.add_argument(
        "--output-dir", help="run folder (default runs/compare-<time>)"
    )
    compare.add_argument("--export-dir", default="saved_models")
    compare.add_argument("--no-export", action="store_true")
    _add_budget_arguments(compare, default_minutes=3.0)
    compare.set_defaults(run=_run_compare)

    train = commands.add_parser("train", help="train one preset; prints one JSON line")
    train.add_argument("--preset", required=True)
    train.add_argument("--corpus", default="tinyshakespeare")
    train.add_argument("--steps", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument(
        "--epochs", type=int, help="for stateful presets (lstm-ptb-small)"
    )
    _add_budget_arguments(train, None)
    train.set_defaults(run=_run_train)

    generate = commands.add_parser(
        "generate", help="continue a prompt with an exported model (cached, compiled)"
    )
    generate.add_argument(
        "--model", required=True, help="saved_models/<name>/<version> or a .keras file"
    )
    generate.add_argument("--prompt", required=True)
    generate.add_argument("--max-new-tokens", type=int, default=100)
    generate.add_argument(
        "--strategy", choices=("greedy", "sample", "beam"), default="sample"
    )
    generate.add_argument("--temperature", type=float, default=0.8)
    generate.add_argument("--top-k", type=int)
    generate.add_argument("--top-p", type=float)
    generate.add_argument("--num-beams", type=int, default=4)
    generate.add_argument("--seed", type=int)
    generate.set_defaults(run=_run_generate)

    presets = commands.add_parser("presets", help="list the named model presets")
    presets.set_defaults(run=_run_presets)
    return parser


def main(argv=None):
    """Entry point of the `lmzoo` console script.

    Args:
        argv: optional list of arguments; defaults to `sys.argv[1:]`.

    Returns:
        int exit status.

    Example:
    >>> main(["presets"])  # doctest: +SKIP
    """
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"lmzoo {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `lmzoo` command: parses and checks its arguments before TensorFlow loads.

`import lmzoo` imports TensorFlow (a few seconds), because it registers every
lmzoo class with Keras. This module sits outside the package so that a typo
on the command line is answered at once; `lmzoo.commands` does the work.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import warnings

CORPUS_HELP = (
    "a named corpus (tinyshakespeare, ptb, wikitext-2), a folder of split files, "
    "a UTF-8 text file, or tfds:<name>"
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: `lmzoo CMD: error: ...`."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each flag's default, except where it has none."""

    def _get_help_string(self, action):
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def _number(kind, minimum, inclusive):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
            ) from None
        if value < minimum or (value == minimum and not inclusive):
            relation = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(
                f"must be {relation} {minimum:g}, got {text}"
            )
        return value

    parse.__name__ = kind.__name__
    return parse


positive_int = _number(int, 0, inclusive=False)
positive_float = _number(float, 0.0, inclusive=False)
non_negative_float = _number(float, 0.0, inclusive=True)


def _probability(text):
    value = positive_float(text)
    if value > 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _npy_file(text):
    if not text.endswith(".npy"):
        raise argparse.ArgumentTypeError(
            f"must end in .npy (numpy.save's format), got {text!r}"
        )
    return text


def _add_common(parser):
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's start-up and absl log lines",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show a full traceback on errors"
    )


def _add_training(parser, default_minutes):
    parser.add_argument("--corpus", default="tinyshakespeare", help=CORPUS_HELP)
    parser.add_argument(
        "--level",
        choices=("char", "word"),
        help="tokens are characters or words (default: the corpus': characters "
        "for tiny Shakespeare and files, words for PTB and WikiText-2)",
    )
    parser.add_argument(
        "--max-vocabulary",
        type=positive_int,
        help="word level: keep this many ids, most frequent words first; the "
        "rest become <unk>",
    )
    parser.add_argument(
        "--split",
        choices=("tail", "lines"),
        help="how one text file is cut into train and validation: its last 10%% "
        "(a running text) or a seeded shuffle of lines (independent lines) "
        "(default: detected)",
    )
    minutes_help = "wall-clock training budget per model, in minutes"
    if default_minutes is not None:
        minutes_help += f" (default {default_minutes:g} when no budget is given)"
    parser.add_argument("--budget-minutes", type=positive_float, help=minutes_help)
    parser.add_argument(
        "--budget-tokens",
        type=positive_int,
        help="training-token budget per model (compares at equal tokens on any "
        "machine)",
    )
    parser.add_argument(
        "--sequence-length",
        type=positive_int,
        help="tokens per training window (default: each preset's recipe)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        help="windows per batch (default: each preset's recipe)",
    )
    parser.add_argument(
        "--data-dir",
        help="folder holding <corpus>/<files> (default: $LMZOO_DATA, then the "
        "cache, then a download)",
    )
    parser.add_argument(
        "--export-dir",
        default="saved_models",
        help="SavedModels go to EXPORT_DIR/<preset>/<next version>",
    )
    parser.add_argument(
        "--no-export", action="store_true", help="do not write a SavedModel"
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds weights and data")
    parser.add_argument(
        "--eval-interval",
        type=positive_int,
        help="training steps between validations (default: 12 validations "
        "spread over the budget)",
    )
    parser.add_argument(
        "--eval-tokens",
        type=positive_int,
        help="validation tokens (a fixed, seeded sample) behind each "
        "learning-curve point (default: 32,768, fewer for a large vocabulary); "
        "final figures use whole splits",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_common(parser)


def build_parser():
    """The argument parser of the `lmzoo` command.

    Returns:
        `argparse.ArgumentParser`.

    Example:
    >>> build_parser().parse_args(["presets"]).command
    'presets'
    """
    parser = _Parser(
        prog="lmzoo",
        description="Language models for Keras: train, compare, generate.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    formatter = {"formatter_class": _HelpFormatter}

    for add in (
        _add_compare,
        _add_train,
        _add_generate,
        _add_chat,
        _add_embed,
        _add_presets,
        _add_pretrain_bert,
        _add_finetune,
        _add_train_translation,
        _add_translate,
        _add_export,
        _add_data,
    ):
        add(commands, formatter)
    return parser


def _add_data(commands, formatter):
    parser = commands.add_parser(
        "data",
        help="download the named datasets into the cache",
        description="Fetches a dataset's files from their public sources (or a "
        "mirror) into $LMZOO_CACHE (default ~/.cache/lmzoo), checking each "
        "SHA-256; files already in --data-dir, $LMZOO_DATA or the cache are "
        "kept. Prints one path per file.",
        **formatter,
    )
    parser.add_argument("action", choices=("fetch",), help="what to do")
    parser.add_argument(
        "name",
        help="tinyshakespeare, ptb, wikitext-2, sst2, conll2003, translation, or all",
    )
    parser.add_argument(
        "--mirror",
        help="base URL laid out as <mirror>/<dataset>/<file>[.gz] "
        "(default: $LMZOO_MIRROR, else each file's public source)",
    )
    _add_common(parser)


def _add_compare(commands, formatter):
    parser = commands.add_parser(
        "compare",
        help="train the LSTM baseline and GPT on one budget and compare them",
        description="Trains each model on the same corpus, tokenizer, seed and "
        "budget, prints a table and writes results, curves and samples.",
        **formatter,
    )
    parser.add_argument(
        "--models",
        help="comma-separated presets (default: lstm-ptb-small,gpt-ptb on ptb "
        "and wikitext-2, else lstm-small,gpt-mini)",
    )
    parser.add_argument(
        "--output-dir", help="run folder (default: runs/compare-<time>)"
    )
    parser.add_argument(
        "--slice-seconds",
        type=positive_float,
        default=5.0,
        help="training seconds per turn: the models take turns until each has "
        "spent its budget",
    )
    _add_training(parser, default_minutes=3.0)


def _add_train(commands, formatter):
    parser = commands.add_parser(
        "train",
        help="train one preset; saves it and prints one JSON line",
        description="Trains one preset, evaluates it on every split, saves "
        "RUN_DIR/model.keras and a SavedModel, and prints one JSON line.",
        **formatter,
    )
    parser.add_argument("--preset", required=True, help="a name from `lmzoo presets`")
    parser.add_argument(
        "--steps",
        type=positive_int,
        help="training steps (at most, with a budget); without --steps or a "
        "budget, only presets whose recipe has a length train (gpt-shakespeare-cpu "
        "2,000 steps, lstm-ptb-small 13 epochs)",
    )
    parser.add_argument(
        "--learning-rate", type=positive_float, help="default: the preset's"
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        help="passes over the data, for stateful presets (lstm-ptb-small)",
    )
    parser.add_argument(
        "--run-dir",
        help="folder for checkpoints, model.keras and result.json; the same "
        "command resumes from its newest checkpoint (default: "
        "runs/<preset>-<time>)",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=100,
        help="steps between checkpoints",
    )
    parser.add_argument(
        "--strategy",
        choices=("default", "mirrored", "multiworker", "tpu"),
        default="default",
        help="tf.distribute strategy: one device, every GPU of this host, the "
        "hosts of TF_CONFIG, or a TPU; --batch-size is the global batch",
    )
    _add_precision(parser)
    _add_training(parser, default_minutes=None)


def _add_generate(commands, formatter):
    parser = commands.add_parser(
        "generate",
        help="continue a prompt with a saved model (cached, XLA-compiled)",
        description="Continues a prompt with a model saved by lmzoo (a "
        "SavedModel folder saved_models/<name>/<version>, a training run's "
        "folder, or a .keras file) or a pretrained one (a .gguf file or a "
        "Hugging Face folder). Samples (temperature 0.8, top-k 20) unless "
        "--strategy says otherwise.",
        **formatter,
    )
    parser.add_argument(
        "--model",
        required=True,
        help="saved_models/<name>/<version>, a run folder, a .keras file, a "
        ".gguf file or a Hugging Face folder",
    )
    parser.add_argument("--prompt", required=True, help="the text to continue")
    parser.add_argument(
        "--max-new-tokens", type=positive_int, default=100, help="tokens to add"
    )
    _add_sampling(parser, ("greedy", "sample", "beam"), "sample")
    parser.add_argument(
        "--num-beams",
        type=positive_int,
        default=4,
        help="beam width (with --strategy beam)",
    )
    parser.add_argument(
        "--allow-unknown",
        action="store_true",
        help="let the model emit the unknown token <unk>",
    )
    _add_common(parser)


def _add_sampling(parser, strategies, default):
    parser.add_argument(
        "--strategy",
        choices=strategies,
        default=default,
        help="how the next token is chosen",
    )
    parser.add_argument(
        "--temperature",
        type=positive_float,
        default=0.8,
        help="divides the logits (with --strategy sample)",
    )
    parser.add_argument(
        "--top-k",
        type=positive_int,
        default=20,
        help="sample among the k most likely tokens (with --strategy sample)",
    )
    parser.add_argument(
        "--top-p",
        type=_probability,
        help="nucleus sampling: the smallest set of tokens holding this "
        "probability (with --strategy sample)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="makes sampling reproducible (default: a fresh seed, printed on stderr)",
    )


def _add_chat(commands, formatter):
    parser = commands.add_parser(
        "chat",
        help="talk to a pretrained instruct model (streams its replies)",
        description="Reads one user message per line from standard input and "
        "streams the model's reply to each, keeping the conversation. The "
        "model is a GGUF file, a Hugging Face folder or a model saved by "
        "lmzoo, with a chat template. Greedy unless --strategy sample.",
        **formatter,
    )
    parser.add_argument(
        "--model",
        required=True,
        help="a .gguf file, a Hugging Face folder, a SavedModel or run folder",
    )
    parser.add_argument("--system", help="a system message that opens the chat")
    parser.add_argument(
        "--max-new-tokens", type=positive_int, default=256, help="reply length cap"
    )
    _add_sampling(parser, ("greedy", "sample"), "greedy")
    _add_common(parser)


def _add_embed(commands, formatter):
    parser = commands.add_parser(
        "embed",
        help="embed sentences with a sentence encoder; writes a .npy file",
        description="Embeds each line of a UTF-8 text file with a sentence "
        "encoder (mean pooling, L2-normalised), batched by length, and writes "
        "the [lines, width] float32 array with numpy.save.",
        **formatter,
    )
    parser.add_argument(
        "--model",
        required=True,
        help="a Hugging Face BERT or sentence-transformers folder "
        "(config.json, model.safetensors, vocab.txt)",
    )
    parser.add_argument(
        "--input", required=True, help="a UTF-8 text file, one sentence per line"
    )
    parser.add_argument(
        "--output", required=True, type=_npy_file, help="the .npy file to write"
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=32, help="sentences per batch"
    )
    parser.add_argument(
        "--max-length",
        type=positive_int,
        help="tokens per sentence, [CLS] and [SEP] included (default: the "
        "folder's max_seq_length, else 128)",
    )
    _add_common(parser)


def _add_presets(commands, formatter):
    parser = commands.add_parser(
        "presets",
        help="list the named model presets",
        description="Lists each preset with its size and the corpus it is for.",
        **formatter,
    )
    _add_common(parser)


def _add_bert_training(parser, batch_size, learning_rate, run_dir):
    parser.add_argument(
        "--sequence-length",
        type=positive_int,
        default=128,
        help="word pieces per example at most",
    )
    parser.add_argument(
        "--data-dir", help="folder holding the corpus (default: $LMZOO_DATA)"
    )
    _add_run_options(parser, batch_size, learning_rate, run_dir)


def _add_precision(parser):
    parser.add_argument(
        "--precision",
        choices=("float32", "mixed_bfloat16", "mixed_float16"),
        default="float32",
        help="dtype policy of the model (mixed_float16 with dynamic loss scaling)",
    )


def _add_run_options(parser, batch_size, learning_rate, run_dir, minutes=None):
    parser.add_argument(
        "--budget-minutes",
        type=positive_float,
        default=minutes,
        help="wall-clock training budget in minutes",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=batch_size, help="examples per step"
    )
    parser.add_argument(
        "--learning-rate",
        type=positive_float,
        default=learning_rate,
        help="peak learning rate, warmup then cosine"
        + ("" if learning_rate else " (default: 5e-5 for sst2, 1e-4 for conll2003)"),
    )
    _add_precision(parser)
    parser.add_argument(
        "--run-dir", help=f"folder for model.keras (default: {run_dir})"
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds weights and data")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_common(parser)


def _add_pretrain_bert(commands, formatter):
    parser = commands.add_parser(
        "pretrain-bert",
        help="pre-train a BERT preset (masked LM + next sentence); one JSON line",
        description="Learns a WordPiece vocabulary on the corpus, pre-trains "
        "the preset with masked-LM and next-sentence prediction, saves "
        "RUN_DIR/model.keras and prints one JSON line with held-out accuracies "
        "and the unigram baseline.",
        **formatter,
    )
    parser.add_argument("--preset", default="bert-tiny", help="a BERT preset")
    parser.add_argument(
        "--corpus", default="wikitext-2", choices=("wikitext-2",), help="documents"
    )
    parser.add_argument(
        "--steps", type=positive_int, help="training steps (with or without a budget)"
    )
    parser.add_argument(
        "--vocabulary-size",
        type=positive_int,
        default=8192,
        help="WordPiece vocabulary to learn",
    )
    _add_bert_training(parser, 32, 1e-3, "runs/pretrain-<preset>-<time>")


def _add_finetune(commands, formatter):
    parser = commands.add_parser(
        "finetune",
        help="fine-tune BERT on SST-2 or CoNLL-2003; one JSON line",
        description="Fine-tunes a BERT checkpoint with model.fit on one task "
        "(sst2: sentiment, dev accuracy; conll2003: named entities, seqeval "
        "test F1), saves RUN_DIR/model.keras and prints one JSON line.",
        **formatter,
    )
    parser.add_argument("task", choices=("sst2", "conll2003"), help="the task")
    parser.add_argument(
        "--model",
        required=True,
        help="a Hugging Face BERT folder, a .keras file or a pretrain-bert run folder",
    )
    parser.add_argument("--epochs", type=positive_int, default=3, help="passes at most")
    _add_bert_training(parser, 32, None, "runs/<task>-<time>")


def _add_train_translation(commands, formatter):
    parser = commands.add_parser(
        "train-translation",
        help="train an encoder-decoder translator on sentence pairs; one JSON line",
        description="Splits a source<TAB>target file by source sentence "
        "(90/5/5), learns a SentencePiece vocabulary per language, trains a "
        "Transformer preset with model.fit, scores the test split with "
        "sacreBLEU (greedy and beam 4), saves RUN_DIR/model.keras and prints "
        "one JSON line.",
        **formatter,
    )
    parser.add_argument(
        "--pairs",
        required=True,
        help="spa-eng or fra-eng (the Tatoeba pairs, fetched once), or a "
        "two-column text file, gzipped or not (English first)",
    )
    parser.add_argument(
        "--direction",
        choices=("forward", "reverse"),
        default="forward",
        help="forward translates the first column into the second (English to "
        "Spanish for spa-eng), reverse the other way",
    )
    parser.add_argument(
        "--preset", default="transformer-small", help="a translation preset"
    )
    parser.add_argument(
        "--epochs", type=positive_int, help="passes at most (with the budget)"
    )
    parser.add_argument(
        "--vocabulary-size",
        type=positive_int,
        default=8000,
        help="SentencePiece pieces per language",
    )
    _add_run_options(parser, 128, 1e-3, "runs/translation-<preset>-<time>", 45.0)


def _add_translate(commands, formatter):
    parser = commands.add_parser(
        "translate",
        help="translate sentences with a trained translator",
        description="Loads a translator (.keras file or train-translation run "
        "folder) and prints one translation per line.",
        **formatter,
    )
    parser.add_argument("sentences", nargs="+", help="source sentences")
    parser.add_argument(
        "--model", required=True, help="a .keras file or a train-translation run folder"
    )
    parser.add_argument(
        "--num-beams", type=positive_int, default=4, help="beam width; 1 is greedy"
    )
    parser.add_argument(
        "--length-penalty",
        type=non_negative_float,
        default=1.0,
        help="beam scores are divided by length ** this",
    )
    _add_common(parser)


def _add_export(commands, formatter):
    parser = commands.add_parser(
        "export",
        help="write a model as a SavedModel for TensorFlow Serving",
        description="Reads a .keras file or a training run's folder and writes "
        "a SavedModel with its serving signatures to PATH "
        "(saved_models/<name>/<version>), atomically.",
        **formatter,
    )
    parser.add_argument("model", help="a .keras file or a training run's folder")
    parser.add_argument("path", help="saved_models/<name>/<version>")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing version"
    )
    parser.add_argument(
        "--signatures",
        help="comma-separated signatures to export (default: all of the "
        "model's kind, docs/serving.md)",
    )
    _add_common(parser)


@contextlib.contextmanager
def _quiet_stderr(enabled):
    """Hides what TensorFlow's C++ start-up writes to the stderr descriptor.

    Those lines (oneDNN, CUDA, absl) come before TF_CPP_MIN_LOG_LEVEL applies.
    What was written is shown after all when the import fails.
    """
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _one_line(error):
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def main(argv=None):
    """Entry point of the `lmzoo` console script.

    Args:
        argv: optional list of arguments; defaults to `sys.argv[1:]`.

    Returns:
        int exit status: 0, 1 when the command failed, 2 for bad arguments.

    Example:
    >>> main(["generate", "--model", "missing", "--prompt", "ROMEO:"])
    1

    (stderr: `lmzoo generate: error: No model.keras at missing: ...`)
    """
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if not args.verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    prog = f"lmzoo {args.command}"
    try:
        with _quiet_stderr(not args.verbose):
            from lmzoo import commands
        warnings.showwarning = lambda message, *_, **__: print(
            f"{prog}: warning: {message}", file=sys.stderr
        )
        return commands.run(args)
    except KeyboardInterrupt as stop:
        detail = f": {stop}" if str(stop) else ""
        print(f"{prog}: interrupted{detail}", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        print(f"{prog}: error: {_one_line(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The compare job: the LSTM baseline and GPT on the same data and budget."""

import pathlib
import time

import keras
import pandas as pd

from lmzoo.experiments.inputs import build_tokenizer, prepare_corpus
from lmzoo.experiments.plots import plot_learning_curves
from lmzoo.experiments.train import train_preset
from lmzoo.experiments.turns import TakeTurns
from lmzoo.export import export_language_model
from lmzoo.models import get_preset
from lmzoo.training import check_budget

TABLE_COLUMNS = {
    "model": "model",
    "parameters": "parameters",
    "train_seconds": "train time (s)",
    "train_tokens": "train tokens",
    "tokens_per_second": "train tokens/s",
    "val_loss": "val loss",
    "val_perplexity": "val perplexity",
    "test_perplexity": "test perplexity",
    "val_unknown_share": "val <unk> share",
}


DEFAULT_BUDGET_SECONDS = 180.0

DEFAULT_PRESETS = {
    "tinyshakespeare": ("lstm-small", "gpt-mini"),
    "ptb": ("lstm-ptb-small", "gpt-ptb"),
    "wikitext-2": ("lstm-ptb-small", "gpt-ptb"),
}


def compare(
    corpus="tinyshakespeare",
    presets=None,
    max_seconds=None,
    max_tokens=None,
    sequence_length=None,
    batch_size=None,
    output_dir=None,
    export_dir="saved_models",
    data_dir=None,
    level=None,
    max_vocabulary=None,
    split=None,
    seed=0,
    sample_prompt=None,
    sample_tokens=100,
    eval_interval=None,
    eval_tokens="auto",
    slice_seconds=5.0,
    verbose=1,
):
    """Trains each preset on the same corpus, tokenizer and budget; compares them.

    The models take turns (`TakeTurns`): `slice_seconds` of training for one,
    then for the next, each with its own optimizer, schedule and data
    position, until each has spent its budget. Load from other programs then
    falls on every model alike. A wall-clock budget still compares models on
    one machine at one time; `max_tokens` compares them on any machine.

    Writes into `output_dir`: `results.csv`, `curves.csv` (one row per
    validation: model, step, tokens, train_seconds, val_loss),
    `learning_curves.png`, `samples.txt` and TensorBoard logs under
    `tensorboard/<preset>`; exports each trained model to
    `export_dir/<preset>/<version>`.

    Args:
        corpus: a `Corpus` or anything `load_corpus` takes. Defaults to
            `"tinyshakespeare"`.
        presets: names from `lmzoo.models.PRESETS`. Defaults to
            `DEFAULT_PRESETS[corpus]`: the LSTM baseline and a GPT for that
            corpus (`lstm-small` and `gpt-mini` for other corpora).
        max_seconds: optional float. Training wall-clock budget per model
            (evaluation excluded).
        max_tokens: optional int. Training-token budget per model. With
            neither budget, each model trains for 180 seconds.
        sequence_length: optional int for every preset; by default each
            preset trains with its own recipe's window (the stateful PTB
            LSTM: 20 steps of truncated backprop; GPTs: their context).
        batch_size: optional int for every preset; defaults to each
            preset's recipe.
        output_dir: folder for the run; defaults to `runs/compare-<time>`.
        export_dir: folder for SavedModels; `None` skips the export.
        data_dir: optional data folder for `load_corpus`.
        level: optional `"char"` or `"word"`; defaults to the corpus' own
            (characters for tiny Shakespeare and files, words for PTB and
            WikiText-2).
        max_vocabulary: optional int. Caps a word vocabulary (most frequent
            words first, the rest `<unk>`).
        split: optional `"tail"` or `"lines"`: how a single text file is cut
            (`load_corpus`); detected by default.
        seed: int. Defaults to `0`.
        sample_prompt: optional str to start the samples from; defaults to the
            first line of the validation split's first paragraph (`first_line`).
        sample_tokens: int. New tokens in each sample, drawn with the cached
            decoding loop (temperature 0.8). Defaults to `100`.
        eval_interval: optional int. Steps between validations; by default
            each model validates 12 times, spread evenly over its budget.
        eval_tokens: optional int. The learning curves are measured on the
            same fixed, seeded sample of about this many validation tokens for
            every model (`None`: the whole split; `"auto"`:
            `default_eval_tokens(vocabulary_size)`); the table's figures always
            cover whole splits. Defaults to `"auto"`.
        slice_seconds: float. Training seconds per turn. Defaults to `5.0`.
        verbose: int. `1` prints a status line now and then and each
            model's figures when it ends; `0` prints nothing. Defaults to `1`.

    Returns:
        A `pandas.DataFrame`, one row per preset, with the columns of
        `TABLE_COLUMNS` plus `prompt`, `sample`, `export_path` and
        `switch_seconds`
        (training time lost to switching between models).
        `df.attrs["output_dir"]` holds the run folder.

    Example:
    >>> import tempfile
    >>> from lmzoo.data import Corpus
    >>> splits = {"train": "abcd" * 300, "validation": "abcd" * 40}
    >>> corpus = Corpus("toy", "char", splits)
    >>> table = compare(corpus, ["lstm-small", "gpt-nano"], max_tokens=8192,
    ...                 output_dir=tempfile.mkdtemp(), export_dir=None,
    ...                 sample_tokens=4, verbose=0)
    >>> table["model"].tolist(), table["train tokens"].tolist()
    (['lstm-small', 'gpt-nano'], [8192, 8192])
    """
    for preset in presets or ():
        get_preset(preset, language_model=True)
    if max_seconds is None and max_tokens is None:
        max_seconds = DEFAULT_BUDGET_SECONDS
    check_budget(max_seconds=max_seconds, max_tokens=max_tokens)
    corpus = prepare_corpus(corpus, data_dir, level, split)
    if presets is None:
        presets = DEFAULT_PRESETS.get(corpus.name, DEFAULT_PRESETS["tinyshakespeare"])
    output_dir = pathlib.Path(
        output_dir or f"runs/compare-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(corpus, max_vocabulary)
    prompt = sample_prompt or first_line(corpus.validation, corpus.level)
    log = (lambda line: print(line, flush=True)) if verbose else None
    turns = TakeTurns(slice_seconds, log=log)

    def job(preset):
        def run(slice_callback):
            model, result = train_preset(
                preset,
                corpus,
                tokenizer=tokenizer,
                sequence_length=sequence_length,
                batch_size=batch_size,
                max_seconds=max_seconds,
                max_tokens=max_tokens,
                eval_interval=eval_interval,
                eval_tokens=eval_tokens,
                seed=seed,
                callbacks=[
                    keras.callbacks.TensorBoard(
                        str(output_dir / "tensorboard" / preset)
                    ),
                    slice_callback,
                ],
                verbose=0,
            )
            result["model"] = preset
            result["prompt"] = prompt
            result["sample"] = model.generate(
                prompt, sample_tokens, strategy="sample", temperature=0.8, seed=seed
            )
            if export_dir is not None:
                result["export_path"] = str(
                    export_language_model(model, pathlib.Path(export_dir) / preset)
                )
            if log:
                log(_summary(result))
            return result

        return run

    rows = list(turns.run({preset: job(preset) for preset in presets}).values())
    for row in rows:
        row["switch_seconds"] = turns.overhead_seconds(row["model"])
    curves = {row["model"]: row.pop("curve") for row in rows}
    table = pd.DataFrame(rows).rename(columns=TABLE_COLUMNS)
    table.attrs["output_dir"] = str(output_dir)
    table.to_csv(output_dir / "results.csv", index=False)
    pd.DataFrame(
        [{"model": name} | point for name, curve in curves.items() for point in curve]
    ).to_csv(output_dir / "curves.csv", index=False)
    plot_learning_curves(curves, output_dir / "learning_curves.png")
    (output_dir / "samples.txt").write_text(
        "".join(
            f"== {row['model']} (prompt {row['prompt']!r}) ==\n{row['sample']}\n\n"
            for row in rows
        ),
        encoding="utf-8",
    )
    return table


def _summary(result):
    figures = f"{result['model']}: trained {result['train_seconds']:.0f} s"
    figures += f", {result['train_tokens']:,} tokens"
    figures += f", val perplexity {result['val_perplexity']:.3f}"
    if "test_perplexity" in result:
        figures += f", test perplexity {result['test_perplexity']:.3f}"
    return figures


def first_line(text, level, words=8, characters=40):
    """The prompt a compare samples from: the first line of the first paragraph.

    A running text (tiny Shakespeare's validation split starts mid-speech) is
    read from its first blank line on; the line is cut to `words` words at
    word level, to `characters` characters at character level.

    Args:
        text: str, usually the validation split.
        level: `"char"` or `"word"`.
        words: int. Words kept at word level. Defaults to `8`.
        characters: int. Characters kept at character level. Defaults to `40`.

    Returns:
        str.

    Example:
    >>> first_line("ing.\\n\\nGREMIO:\\nGood morrow, neighbour.", "char")
    'GREMIO:'
    >>> first_line(" the cat sat on the mat and then it slept\\n", "word", words=3)
    'the cat sat'
    """
    head = text[:5000]
    start = head.find("\n\n") + 2 if "\n\n" in head else 0
    lines = [line.strip() for line in text[start:].splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return " ".join(line.split()[:words]) if level == "word" else line[:characters]


def format_table(table):
    """The comparison table as aligned text, for the terminal and the README.

    The `<unk>` share is left out when it is zero (characters).

    Args:
        table: a DataFrame returned by `compare`.

    Returns:
        str.

    Example:
    >>> import pandas as pd
    >>> print(format_table(pd.DataFrame({"model": ["gpt"], "val loss": [1.5]})))
    model val loss
      gpt   1.5000
    """
    columns = [name for name in TABLE_COLUMNS.values() if name in table.columns]
    if "val <unk> share" in columns and not table["val <unk> share"].any():
        columns.remove("val <unk> share")
    return table[columns].to_string(
        index=False,
        formatters={
            "train time (s)": "{:.0f}".format,
            "train tokens/s": "{:,.0f}".format,
            "parameters": "{:,}".format,
            "train tokens": "{:,}".format,
            "val loss": "{:.4f}".format,
            "val perplexity": "{:.3f}".format,
            "test perplexity": "{:.3f}".format,
            "val <unk> share": "{:.2%}".format,
        },
    )

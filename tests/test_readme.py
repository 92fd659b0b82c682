"""The README's Python blocks and commands, run as written from a fresh folder."""

import json
import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def readme_blocks(language):
    return [
        code for lang, code in BLOCK.findall(README.read_text()) if lang == language
    ]


def python_sessions():
    """Consecutive Python blocks form one session; a block that starts with an
    import starts a new one, as a reader would start a new process."""
    sessions = []
    for code in readme_blocks("python"):
        if code.startswith(("import", "from")) or not sessions:
            sessions.append(code)
        else:
            sessions[-1] += code
    return sessions


def environment(folder):
    bin_dir = str(pathlib.Path(sys.executable).parent)
    return os.environ | {"PATH": bin_dir + os.pathsep + os.environ["PATH"]}


def run_command(command, folder, env=None):
    """Runs a shell command in `folder`; fails with its stderr."""
    result = subprocess.run(
        command,
        shell=True,
        cwd=folder,
        capture_output=True,
        text=True,
        env=env or environment(folder),
    )
    assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
    return result


def run_python(code, folder):
    """Runs `code` in a fresh interpreter in `folder`; fails with its stderr."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        capture_output=True,
        text=True,
        env=environment(folder),
    )
    assert result.returncode == 0, f"{code}\n{result.stderr[-3000:]}"
    return result


def test_readme_python_blocks_run_as_written(tmp_path):
    sessions = python_sessions()
    assert len(sessions) >= 4
    outputs = [run_python(code, tmp_path).stdout for code in sessions]
    pairs = list(zip(sessions, outputs, strict=True))
    bert = next(out for code, out in pairs if "SentenceEncoder" in code)
    shape, cosine = bert.splitlines()[0].split(") ")
    assert shape == "(2, 384" and 0.5 < float(cosine) < 1.0
    assert bert.splitlines()[1] == "(1, 2)"
    assert (tmp_path / "gpt-mini.keras").is_file()
    assert (tmp_path / "saved_models" / "gpt-mini" / "1" / "saved_model.pb").is_file()
    chat = next(out for code, out in pairs if "from_gguf" in code)
    assert chat.splitlines()[0] == "The capital of France is Paris."
    assert chat.splitlines()[1].startswith("Once upon a time")


def test_readme_commands_run_as_written(tmp_path):
    # The install block (`make demo`, `make test`) is what CI itself runs.
    commands = [
        line.split("#")[0].strip()
        for block in readme_blocks("bash")
        if "make test" not in block
        for line in block.splitlines()
        if line.strip()
    ]
    assert [command.split()[1] for command in commands] == [
        "presets",
        "train",
        "generate",
        "export",
        "compare",
    ]
    outputs = [run_command(command, tmp_path).stdout for command in commands]
    assert (tmp_path / "runs" / "gpt-nano" / "model.keras").is_file()
    assert outputs[2].startswith("ROMEO:")
    assert outputs[3].strip() == "saved_models/gpt-nano/7"
    assert (tmp_path / "saved_models" / "gpt-nano" / "7" / "saved_model.pb").is_file()
    assert "lstm-small" in outputs[4] and "val perplexity" in outputs[4]
    _serving_guide_runs_on(tmp_path)


def _serving_guide():
    return BLOCK.findall((README.parent / "docs" / "serving.md").read_text())


def serving_python():
    """docs/serving.md's Python block."""
    (python,) = [code for lang, code in _serving_guide() if lang == "python"]
    return python


def serving_cli():
    """docs/serving.md's saved_model_cli block."""
    (cli,) = [
        code for _, code in _serving_guide() if code.startswith("saved_model_cli")
    ]
    return cli


def _serving_guide_runs_on(folder):
    """docs/serving.md's blocks on the README's `lmzoo train` export
    (saved_models/gpt-nano/1): Python and saved_model_cli as written; the
    TensorFlow Serving container's mount holds version folders; the REST
    request body, sent to the same signature from a process without lmzoo."""
    assert run_python(serving_python(), folder).stdout.startswith("ROMEO:")
    result = run_command(serving_cli(), folder)
    assert "signature_def['generate']" in result.stdout
    assert "Result for output key generated:\n[b'ROMEO:" in result.stdout
    docker, curl = [
        code for _, code in _serving_guide() if code.startswith(("docker", "curl"))
    ]
    mount = re.search(r'-v "\$PWD/([^:]+):', docker).group(1)
    assert (folder / mount / "1" / "saved_model.pb").is_file()
    body = json.loads(re.search(r"-d '(.*?)'", curl, re.S).group(1))
    request = (
        "import json, sys, tensorflow as tf\n"
        f"body = json.loads({json.dumps(body)!r})\n"
        f"served = tf.saved_model.load({mount + '/1'!r})\n"
        "signature = served.signatures[body['signature_name']]\n"
        "specs = signature.structured_input_signature[1]\n"
        "inputs = {k: tf.constant(v, specs[k].dtype)\n"
        "          for k, v in body['inputs'].items()}\n"
        "outputs = signature(**inputs)\n"
        "print(outputs['generated'].numpy()[0].decode())\n"
        "assert not any(m.startswith('lmzoo') for m in sys.modules)\n"
    )
    assert run_python(request, folder).stdout.startswith("ROMEO:")

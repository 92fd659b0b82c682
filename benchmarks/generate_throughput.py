"""Greedy generation speed: lmzoo's cached XLA loop against keras-hub's GPT2CausalLM.

Same sizes for both (vocabulary 65, 4 layers, 4 heads, width 128), random
weights, a 16-token prompt and 256 new tokens, batch 1 and batch 8. Rounds
interleave the two libraries; the figure is the median of the rounds. The
first call (tracing + XLA compilation + one run) is reported separately.

Run: .venv/bin/python benchmarks/generate_throughput.py [--rounds 3]
The last line printed is JSON.
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402

from lmzoo.models import GPT  # noqa: E402

SIZES = {"num_layers": 4, "num_heads": 4, "hidden_dim": 128, "intermediate_dim": 512}
VOCABULARY, PROMPT, NEW_TOKENS, MAX_LENGTH = 65, 16, 256, 512


def _lmzoo_runner(batch):
    model = GPT(vocabulary_size=VOCABULARY, max_sequence_length=MAX_LENGTH, **SIZES)
    prompts = np.random.default_rng(batch).integers(1, VOCABULARY, (batch, PROMPT))
    return lambda: model.generate(prompts, max_new_tokens=NEW_TOKENS)


def _keras_hub_runner(batch):
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=VOCABULARY,
        max_sequence_length=MAX_LENGTH,
        dropout=0.0,
        **SIZES,
    )
    causal_lm = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
    causal_lm.compile(sampler="greedy", jit_compile=True)  # its fastest mode, XLA
    token_ids = np.zeros((batch, PROMPT + NEW_TOKENS), "int32")
    token_ids[:, :PROMPT] = np.random.default_rng(batch).integers(
        1, VOCABULARY, (batch, PROMPT)
    )
    padding_mask = np.zeros_like(token_ids, bool)
    padding_mask[:, :PROMPT] = True
    inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
    return lambda: causal_lm.generate(inputs, stop_token_ids=None)


def _timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    results = {}
    for batch in (1, 8):
        runners = {"lmzoo": _lmzoo_runner(batch), "keras_hub": _keras_hub_runner(batch)}
        first = {name: _timed(run) for name, run in runners.items()}
        rounds = {name: [] for name in runners}
        for _ in range(args.rounds):
            for name, run in runners.items():
                rounds[name].append(_timed(run))
        for name in runners:
            seconds = statistics.median(rounds[name])
            results[f"{name}_b{batch}_tokens_per_s"] = round(
                batch * NEW_TOKENS / seconds, 1
            )
            results[f"{name}_b{batch}_first_call_s"] = round(first[name], 2)
            tokens_per_second = batch * NEW_TOKENS / seconds
            print(
                f"batch {batch} {name:9s}: {tokens_per_second:8.0f} tokens/s "
                f"(median of {args.rounds}: {seconds * 1000:.0f} ms), first call "
                f"{first[name]:.2f} s"
            )
        ratio = (
            results[f"lmzoo_b{batch}_tokens_per_s"]
            / results[f"keras_hub_b{batch}_tokens_per_s"]
        )
        results[f"lmzoo_over_keras_hub_b{batch}"] = round(ratio, 2)
        print(f"batch {batch} lmzoo / keras-hub: {ratio:.2f}x")
    results["lmzoo_first_call_s"] = max(
        results["lmzoo_b1_first_call_s"], results["lmzoo_b8_first_call_s"]
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()

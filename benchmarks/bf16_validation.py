"""Does mixed_bfloat16 train as well as float32? Same steps, same data, same seed.

Trains the width-512 GPT of `train_throughput.py` (4 layers, 8 heads,
feed-forward 2048, sequence 128, batch 32) on tiny Shakespeare for the same
number of steps in float32 (XLA) and in mixed_bfloat16 (no XLA, oneDNN), each
from the same initial weights and batches, and reports the validation loss of
each over the whole validation split, with the training time.

Run: .venv/bin/python benchmarks/bf16_validation.py [--steps 100]
The last line printed is JSON.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from lmzoo.experiments import train_preset  # noqa: E402

WIDE = {"hidden_dim": 512, "num_heads": 8, "intermediate_dim": 2048}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    args = parser.parse_args()
    results = {"steps": args.steps}
    for dtype in ("float32", "mixed_bfloat16"):
        _, result = train_preset(
            "gpt-mini",
            "tinyshakespeare",
            max_steps=args.steps,
            learning_rate=args.learning_rate,
            eval_interval=args.steps,
            verbose=0,
            model_overrides=WIDE | {"dtype": dtype},
        )
        results[f"{dtype}_val_loss"] = round(result["val_loss"], 4)
        results[f"{dtype}_train_seconds"] = round(result["train_seconds"], 1)
        print(
            f"{dtype}: val loss {result['val_loss']:.4f} after {args.steps} steps, "
            f"{result['train_seconds']:.0f} s"
        )
    results["bf16_minus_fp32_val_loss"] = round(
        results["mixed_bfloat16_val_loss"] - results["float32_val_loss"], 4
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()

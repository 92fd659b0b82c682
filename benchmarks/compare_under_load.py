"""Does background load change the compare job's verdict? (issue 23)

Runs `lmzoo compare --budget-minutes M` on a quiet machine, then with a
CPU-bound process busy on one core for a random half of the training
(seeded: its start falls in the first half of the expected training time,
which is two budgets). The ranking by validation loss must be the same, and
the ratio of tokens seen by the two models must agree within 10%. For
contrast, the loaded run is repeated with the models one after the other
(`--slice-seconds` longer than the budget), as `compare` ran before it took
turns. Ends with one JSON line.

    LMZOO_DATA=../shared/data .venv/bin/python benchmarks/compare_under_load.py
"""

import argparse
import json
import multiprocessing
import pathlib
import random
import subprocess
import sys
import tempfile
import threading
import time

import pandas as pd


def _spin(seconds):
    deadline = time.perf_counter() + seconds
    count = 0
    while time.perf_counter() < deadline:
        count += 1


def _run_compare(minutes, folder, load=None, slice_seconds=5.0):
    command = [
        str(pathlib.Path(sys.executable).with_name("lmzoo")),
        "compare",
        "--budget-minutes",
        str(minutes),
        "--output-dir",
        str(folder / "run"),
        "--no-export",
        "--quiet",
        "--slice-seconds",
        str(slice_seconds),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    loader = None
    if load is not None:
        delay, duration = load

        def occupy():
            time.sleep(delay)
            busy = multiprocessing.Process(target=_spin, args=(duration,))
            busy.start()
            busy.join()

        loader = threading.Thread(target=occupy, daemon=True)
        loader.start()
    output, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"lmzoo compare failed:\n{output}")
    table = pd.read_csv(folder / "run" / "results.csv")
    return table, output, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    training = 2 * args.minutes * 60
    rng = random.Random(args.seed)
    load = (rng.uniform(0, training / 2), training / 2)
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        runs = (
            ("quiet", None, 5.0),
            ("loaded", load, 5.0),
            ("loaded_one_after_another", load, 1e6),
        )
        for name, extra, slice_seconds in runs:
            table, output, wall = _run_compare(
                args.minutes, folder / name, extra, slice_seconds
            )
            print(f"== {name} ==\n{output}", flush=True)
            ranking = list(table.sort_values("val loss")["model"])
            tokens = dict(zip(table["model"], table["train tokens"], strict=True))
            first, second = table["model"]
            figures[name] = {
                "ranking": ranking,
                "val_loss": dict(zip(table["model"], table["val loss"], strict=True)),
                "train_tokens": tokens,
                "tokens_per_second": dict(
                    zip(table["model"], table["train tokens/s"], strict=True)
                ),
                "switch_share": float(
                    table["switch_seconds"].sum() / table["train time (s)"].sum()
                ),
                "token_ratio": tokens[second] / tokens[first],
                "wall_seconds": wall,
            }
    quiet_ratio = figures["quiet"]["token_ratio"]
    agreement = figures["loaded"]["token_ratio"] / quiet_ratio
    summary = {
        "benchmark": "compare_under_load",
        "minutes": args.minutes,
        "load_start_s": round(load[0], 1),
        "load_seconds": round(load[1], 1),
        "same_ranking": figures["quiet"]["ranking"] == figures["loaded"]["ranking"],
        "token_ratio_agreement": round(agreement, 4),
        "within_10_percent": abs(agreement - 1) <= 0.10,
        "one_after_another_agreement": round(
            figures["loaded_one_after_another"]["token_ratio"] / quiet_ratio, 4
        ),
        **figures,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

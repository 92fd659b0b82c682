"""Translation training speed: lmzoo's Seq2SeqTransformer against the Keras
English-to-Spanish example's model (keras-hub layers), on the same batches.

Both models have 3 encoder and 3 decoder blocks of width 256, 4 heads, a
feed-forward width of 1024, pre-LayerNorm, dropout 0.1, and the 8k-piece
SentencePiece vocabularies `lmzoo train-translation` learns on Tatoeba's
English-Spanish training split. They train on the same teacher-forced,
length-bucketed batches of 128 pairs (`lmzoo.data.translation_dataset`) with
Adam and a token-weighted cross-entropy:

- lmzoo: `models.get("transformer-small")`, `compile_translator` (label
  smoothing, lmzoo's fused AdamW), as `lmzoo train-translation` compiles it:
  float32 with XLA, float32 without, and `mixed_bfloat16` without XLA (the
  default for bfloat16, `lmzoo.training.default_jit_compile`).
- keras-hub: `TokenAndPositionEmbedding`, `TransformerEncoder` and
  `TransformerDecoder` (`normalize_first=True`) and a `Dense` softmax head, as
  in keras.io/examples/nlp/neural_machine_translation_with_transformer,
  compiled with Keras' defaults (`jit_compile="auto"`: XLA) in float32.

Each configuration first trains on one batch of every width (tracing, XLA
compilation); then rounds interleave the configurations, each training
`--steps` batches per round; each rate is the median over the rounds.

Run: LMZOO_DATA=../shared/data .venv/bin/python benchmarks/translation_throughput.py
The last line printed is JSON.
"""

import argparse
import json
import os
import pathlib
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_hub  # noqa: E402
from machine import cpu_name  # noqa: E402

from lmzoo import models  # noqa: E402
from lmzoo.data import (  # noqa: E402
    SentencePieceTokenizer,
    TranslationPreprocessor,
    read_pairs,
    split_pairs,
    translation_dataset,
)
from lmzoo.experiments.translation import compile_translator  # noqa: E402

BATCH = 128
WIDTH, HEADS, FEEDFORWARD, LAYERS, LENGTH = 256, 4, 1024, 3, 64


def keras_example_model(source_vocabulary, target_vocabulary):
    """The Keras example's translator, at lmzoo's transformer-small size."""
    source = keras.Input((None,), dtype="int32", name="encoder_token_ids")
    target = keras.Input((None,), dtype="int32", name="decoder_token_ids")
    x = keras_hub.layers.TokenAndPositionEmbedding(
        source_vocabulary, LENGTH, WIDTH, mask_zero=True
    )(source)
    for _ in range(LAYERS):
        x = keras_hub.layers.TransformerEncoder(
            FEEDFORWARD, HEADS, dropout=0.1, normalize_first=True
        )(x)
    encoded = keras.layers.LayerNormalization()(x)
    y = keras_hub.layers.TokenAndPositionEmbedding(
        target_vocabulary, LENGTH, WIDTH, mask_zero=True
    )(target)
    for _ in range(LAYERS):
        y = keras_hub.layers.TransformerDecoder(
            FEEDFORWARD, HEADS, dropout=0.1, normalize_first=True
        )(y, encoded)
    y = keras.layers.LayerNormalization()(y)
    logits = keras.layers.Dense(target_vocabulary)(y)
    model = keras.Model(
        {"encoder_token_ids": source, "decoder_token_ids": target}, logits
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def ids_only(features, labels, weights):
    keys = ("encoder_token_ids", "decoder_token_ids")
    return {key: features[key] for key in keys}, labels, weights


def steady_rate(model, batches):
    """Pairs per second over `batches` (each already seen once)."""
    pairs = sum(int(labels.shape[0]) for _, labels, _ in batches)
    started = time.perf_counter()
    for features, labels, weights in batches:
        model.train_on_batch(features, labels, sample_weight=weights)
    return pairs / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="batches per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = pathlib.Path(os.environ.get("LMZOO_DATA", "../shared/data"))
    train = split_pairs(read_pairs(data / "translation" / "spa-eng.txt.gz"))["train"]
    tokenizers = [
        SentencePieceTokenizer.train([pair[side] for pair in train], 8000)
        for side in (0, 1)
    ]
    preprocessor = TranslationPreprocessor(*tokenizers, LENGTH)
    batches = list(translation_dataset(train, preprocessor, BATCH, shuffle_seed=0))
    sizes = [tokenizer.vocabulary_size for tokenizer in tokenizers]

    def lmzoo_model(precision, jit_compile):
        keras.utils.set_random_seed(0)
        model = models.get(
            "transformer-small",
            sizes[0],
            target_vocabulary_size=sizes[1],
            dtype=precision,
        )
        model.build()
        return compile_translator(model, jit_compile=jit_compile), batches

    keras.utils.set_random_seed(0)
    reference = keras_example_model(*sizes)
    configurations = {
        "lmzoo float32 xla": lmzoo_model("float32", True),
        "lmzoo float32": lmzoo_model("float32", False),
        "lmzoo mixed_bfloat16": lmzoo_model("mixed_bfloat16", False),
        "keras-hub float32 xla": (reference, [ids_only(*b) for b in batches]),
    }
    for model, own in configurations.values():
        widths = {}
        for batch in own:
            widths.setdefault(batch[1].shape[1], batch)
        steady_rate(model, list(widths.values()))
    rates = {name: [] for name in configurations}
    for round_index in range(args.rounds):
        start = (1 + round_index) * args.steps
        for name, (model, own) in configurations.items():
            rates[name].append(steady_rate(model, own[start : start + args.steps]))
            print(f"round {round_index}: {name} {rates[name][-1]:.1f} pairs/s")
    medians = {name: statistics.median(values) for name, values in rates.items()}
    reference_rate = medians["keras-hub float32 xla"]
    result = {
        "benchmark": "translation_training",
        "cpu": cpu_name(),
        "batch_pairs": BATCH,
        "steps_per_round": args.steps,
        "rounds": args.rounds,
        "pairs_per_second": {name: round(rate, 1) for name, rate in medians.items()},
        "over_keras_hub": {
            name: round(rate / reference_rate, 2) for name, rate in medians.items()
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Training speed with `model.fit`: lmzoo's GPT against keras-hub's GPT2Backbone.

Same sizes for both (vocabulary 65, sequence 128, batch 32, 4 layers), random
token data, AdamW, sparse cross-entropy from logits. Variants are measured in
one process with rounds interleaved; each figure is the median over rounds of
`steps * batch * sequence / seconds`, timed inside one `fit` call after three
warm-up steps (so tracing and compilation are excluded).

Variants:
- width 128, float32: lmzoo (its default: XLA) vs keras-hub with XLA (its
  faster mode on this CPU);
- width 512 (8 heads, feed-forward 2048): lmzoo in float32 and in
  mixed_bfloat16 (its default for bf16: no XLA, so oneDNN uses AMX), and
  keras-hub in float32 with XLA.

Also the attention layer alone, forward + backward (batch 8, 8 heads, sequence
512, head size 64, causal): lmzoo with and without XLA against
`keras.layers.MultiHeadAttention`, in ms per call.

Run: .venv/bin/python benchmarks/train_throughput.py [--rounds 3 --steps 20]
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
import tensorflow as tf  # noqa: E402

from lmzoo.layers import MultiHeadAttention  # noqa: E402
from lmzoo.models import GPT  # noqa: E402
from lmzoo.training import compile_language_model  # noqa: E402

VOCABULARY, SEQUENCE, BATCH, LAYERS = 65, 128, 32, 4
WIDTHS = {
    128: {"num_heads": 4, "hidden_dim": 128, "intermediate_dim": 512},
    512: {"num_heads": 8, "hidden_dim": 512, "intermediate_dim": 2048},
}


def _data(dictionary):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, VOCABULARY, (BATCH * 8, SEQUENCE + 1)).astype("int32")
    x, y = ids[:, :-1], ids[:, 1:]
    if dictionary:
        x = {"token_ids": x, "padding_mask": np.ones_like(x, bool)}
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).repeat().prefetch(2)


def _lmzoo(width, dtype="float32"):
    model = GPT(
        VOCABULARY,
        max_sequence_length=SEQUENCE,
        num_layers=LAYERS,
        dtype=dtype,
        **WIDTHS[width],
    )
    compile_language_model(model)
    return model, _data(dictionary=False)


def _keras_hub(width):
    sizes = WIDTHS[width]
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=VOCABULARY,
        num_layers=LAYERS,
        num_heads=sizes["num_heads"],
        hidden_dim=sizes["hidden_dim"],
        intermediate_dim=sizes["intermediate_dim"],
        dropout=0.0,
        max_sequence_length=SEQUENCE,
    )
    model = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None)
    optimizer = keras.optimizers.AdamW(1e-3, weight_decay=0.1, global_clipnorm=1.0)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=True,
    )
    return model, _data(dictionary=True)


def _flops_per_token(model, width):
    return 6 * model.count_params() + 12 * LAYERS * width * SEQUENCE


class _StepClock(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter())


def _train_seconds(model, data, steps, warmup=3):
    """Seconds for `steps` steps inside one `fit` call, after `warmup` steps.

    Each `fit` call traces its train function again (seconds for these
    models), so timing whole calls would measure tracing, not training.
    """
    clock = _StepClock()
    model.fit(
        data, steps_per_epoch=warmup + steps, epochs=1, verbose=0, callbacks=[clock]
    )
    return clock.times[-1] - clock.times[warmup - 1]


def _throughputs(variants, rounds, steps):
    built = {name: make() for name, make in variants.items()}
    times = {name: [] for name in built}
    for _ in range(rounds):
        for name, (model, data) in built.items():
            times[name].append(_train_seconds(model, data, steps))
    tokens = steps * BATCH * SEQUENCE
    return {name: tokens / statistics.median(t) for name, t in times.items()}, built


def _attention_ms(rounds):
    data = tf.random.normal((8, 512, 512))
    layers = {
        "lmzoo_xla": (MultiHeadAttention(8, 64), True),
        "lmzoo_no_xla": (MultiHeadAttention(8, 64), False),
        "keras_mha": (keras.layers.MultiHeadAttention(8, 64), False),
        "keras_mha_xla": (keras.layers.MultiHeadAttention(8, 64), True),
    }
    steps = {}
    for name, (layer, jit) in layers.items():
        layer(data, data, use_causal_mask=True)

        def step(x, layer=layer):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(x, x, use_causal_mask=True))
            return tape.gradient(loss, layer.trainable_variables)

        steps[name] = tf.function(step, jit_compile=jit)
        steps[name](data)
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(3):
                tf.nest.map_structure(lambda t: t.numpy(), step(data))
            times[name].append((time.perf_counter() - start) / 3 * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    results = {}

    small, built = _throughputs(
        {"lmzoo_fp32": lambda: _lmzoo(128), "keras_hub": lambda: _keras_hub(128)},
        args.rounds,
        args.steps,
    )
    gflops = _flops_per_token(built["lmzoo_fp32"][0], 128) * small["lmzoo_fp32"] / 1e9
    results["lmzoo_fp32_tokens_per_s"] = round(small["lmzoo_fp32"])
    results["keras_hub_tokens_per_s"] = round(small["keras_hub"])
    results["lmzoo_over_keras_hub"] = round(small["lmzoo_fp32"] / small["keras_hub"], 3)
    results["lmzoo_fp32_gflops"] = round(gflops, 1)
    print(
        f"width 128 fp32: lmzoo {small['lmzoo_fp32']:,.0f} tokens/s "
        f"({gflops:.0f} GFLOP/s), "
        f"keras-hub {small['keras_hub']:,.0f} tokens/s, "
        f"ratio {results['lmzoo_over_keras_hub']:.2f}x"
    )

    wide, _ = _throughputs(
        {
            "lmzoo_fp32": lambda: _lmzoo(512),
            "lmzoo_bf16": lambda: _lmzoo(512, "mixed_bfloat16"),
            "keras_hub_fp32": lambda: _keras_hub(512),
        },
        args.rounds,
        args.steps,
    )
    results["lmzoo_512_fp32_tokens_per_s"] = round(wide["lmzoo_fp32"])
    results["lmzoo_bf16_tokens_per_s"] = round(wide["lmzoo_bf16"])
    results["keras_hub_512_fp32_tokens_per_s"] = round(wide["keras_hub_fp32"])
    results["bf16_over_fp32"] = round(wide["lmzoo_bf16"] / wide["lmzoo_fp32"], 3)
    results["bf16_over_keras_hub_fp32"] = round(
        wide["lmzoo_bf16"] / wide["keras_hub_fp32"], 3
    )
    print(
        f"width 512: lmzoo fp32 {wide['lmzoo_fp32']:,.0f}, lmzoo bf16 "
        f"{wide['lmzoo_bf16']:,.0f}, "
        f"keras-hub fp32 {wide['keras_hub_fp32']:,.0f} tokens/s; "
        f"bf16/fp32 {results['bf16_over_fp32']:.2f}x, "
        f"bf16/keras-hub {results['bf16_over_keras_hub_fp32']:.2f}x"
    )

    attention = _attention_ms(args.rounds)
    for name, ms in attention.items():
        results[f"attention_{name}_ms"] = round(ms, 1)
        print(f"attention fwd+bwd {name}: {ms:.1f} ms")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

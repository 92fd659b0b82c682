import keras
import numpy as np
import pytest

from lmzoo.training import AdamW


def _train(optimizer_class, jit_compile, **arguments):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(  # kernels, embeddings, biases and LayerNorm weights
        [
            keras.Input((16,), dtype="int32"),
            keras.layers.Embedding(65, 32),
            keras.layers.LayerNormalization(),
            keras.layers.Dense(65),
        ]
    )
    optimizer = optimizer_class(
        learning_rate=1e-2,
        weight_decay=0.1,
        beta_2=0.99,
        global_clipnorm=1.0,
        **arguments,
    )
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    ids = np.random.default_rng(0).integers(0, 65, (8, 17))
    model.fit(ids[:, :-1], ids[:, 1:], epochs=3, batch_size=4, verbose=0)
    return [weight.numpy() for weight in model.weights]


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fused_update_matches_keras_adamw(jit_compile):
    # Run after the jit_compile=False case, this one also checks that a second
    # lmzoo AdamW in the same process updates its own variables.
    theirs = _train(keras.optimizers.AdamW, jit_compile)
    ours = _train(AdamW, jit_compile)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=5e-6)


def test_amsgrad_falls_back_to_keras():
    ours = _train(AdamW, False, amsgrad=True)
    theirs = _train(keras.optimizers.AdamW, False, amsgrad=True)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=5e-6)

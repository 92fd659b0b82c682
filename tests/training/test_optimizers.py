import keras
import numpy as np
import pytest

from lmzoo.models import GPT
from lmzoo.training import AdamW


def _train(optimizer_class, jit_compile, **arguments):
    keras.utils.set_random_seed(0)
    model = GPT(65, 16, num_layers=1, hidden_dim=32, num_heads=4)
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


def test_sparse_clipping_matches_dense_clipping_with_repeated_rows():
    import tensorflow as tf

    from lmzoo.training import clip_by_global_norm

    rng = np.random.default_rng(0)
    sparse = tf.IndexedSlices(
        tf.constant(rng.normal(size=(5, 3)), tf.float32),
        tf.constant([4, 1, 4, 4, 0]),
        tf.constant([6, 3]),
    )
    dense = tf.constant(rng.normal(size=(2, 2)), tf.float32)
    for clip_norm in (0.5, 100.0):  # clipping, and not
        ours = clip_by_global_norm([sparse, None, dense], clip_norm)
        theirs, _ = tf.clip_by_global_norm(
            [tf.convert_to_tensor(sparse), dense], clip_norm
        )
        assert isinstance(ours[0], tf.IndexedSlices) and ours[1] is None
        assert sorted(ours[0].indices.numpy().tolist()) == [0, 1, 4]
        np.testing.assert_allclose(tf.convert_to_tensor(ours[0]), theirs[0], rtol=1e-6)
        np.testing.assert_allclose(ours[2], theirs[1], rtol=1e-6)


def test_sgd_with_sparse_clipping_trains_like_keras_sgd():
    from lmzoo.models import LSTMLanguageModel
    from lmzoo.training import SGD

    def train(optimizer_class):
        keras.utils.set_random_seed(0)
        model = LSTMLanguageModel(40, embedding_dim=8, hidden_dim=8)
        # Learning rate 1 and a clip at 0.5: every step is clipped.
        model.compile(
            optimizer=optimizer_class(learning_rate=1.0, global_clipnorm=0.5),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        ids = np.random.default_rng(0).integers(0, 10, (8, 13))  # rows 10-39 unseen
        model.fit(ids[:, :-1], ids[:, 1:], epochs=3, batch_size=4, verbose=0)
        return model

    ours, theirs = train(SGD), train(keras.optimizers.SGD)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    before = train(SGD).embedding.embeddings.numpy()
    keras.utils.set_random_seed(0)
    fresh = LSTMLanguageModel(40, embedding_dim=8, hidden_dim=8)
    fresh(np.zeros((1, 1), "int32"))
    np.testing.assert_array_equal(before[10:], fresh.embedding.embeddings.numpy()[10:])

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from lmzoo.layers import (
    MultiHeadAttention,
    merge_attention_masks,
    scaled_dot_product_attention,
)
from tests.harness import run_layer_test


def _reference_attention(query, key, value, mask=None):
    """softmax(Q K^T / sqrt(d_k)) V in float64 NumPy, heads on axis 2."""
    query, key, value = (np.asarray(t, np.float64) for t in (query, key, value))
    scores = np.einsum("bqhd,bkhd->bhqk", query, key) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(np.asarray(mask)[:, None], scores, -1e9)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bhqk,bkhd->bqhd", weights, value)


@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(1, 3),
    query_length=st.integers(1, 9),
    key_length=st.integers(1, 9),
    heads=st.integers(1, 4),
    head_dim=st.sampled_from([1, 4, 8]),
    seed=st.integers(0, 2**16),
)
def test_matches_float64_reference(
    batch, query_length, key_length, heads, head_dim, seed
):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(batch, query_length, heads, head_dim)).astype("float32")
    key = rng.normal(size=(batch, key_length, heads, head_dim)).astype("float32")
    value = rng.normal(size=(batch, key_length, heads, head_dim)).astype("float32")
    mask = rng.random((batch, query_length, key_length)) > 0.3
    mask[..., 0] = True
    for m in (None, mask):
        np.testing.assert_allclose(
            scaled_dot_product_attention(query, key, value, mask=m),
            _reference_attention(query, key, value, m),
            atol=1e-5,
        )


def test_worked_example_one_query_attends_by_similarity():
    query = np.array([[[[1.0, 0.0]]]], "float32")  # (1, 1, 1, 2)
    key = np.array([[[[1.0, 0.0]], [[0.0, 1.0]]]], "float32")  # (1, 2, 1, 2)
    value = np.array([[[[10.0, 0.0]], [[0.0, 10.0]]]], "float32")
    weight = 1 / (1 + np.exp(-1 / np.sqrt(2)))  # softmax([1/sqrt2, 0])[0]
    output, weights = scaled_dot_product_attention(
        query, key, value, return_weights=True
    )
    np.testing.assert_allclose(weights[0, 0, 0], [weight, 1 - weight], rtol=1e-6)
    np.testing.assert_allclose(
        output[0, 0, 0], [10 * weight, 10 * (1 - weight)], rtol=1e-5
    )


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_fully_masked_row_attends_uniformly(dtype):
    rng = np.random.default_rng(5)
    query, key, value = (
        keras.ops.cast(rng.normal(size=(1, 3, 2, 4)) * 4, dtype) for _ in range(3)
    )
    mask = np.array([[[True, False, False], [False, False, False], [True, True, True]]])
    output, weights = scaled_dot_product_attention(
        query, key, value, mask=mask, return_weights=True
    )
    weights = keras.ops.convert_to_numpy(keras.ops.cast(weights, "float32"))
    np.testing.assert_allclose(weights[0, :, 1], np.full((2, 3), 1 / 3), rtol=1e-6)
    np.testing.assert_allclose(weights[0, :, 0], [[1, 0, 0]] * 2, atol=1e-7)
    mean_value = keras.ops.convert_to_numpy(keras.ops.cast(value, "float32")).mean(1)
    row = keras.ops.convert_to_numpy(keras.ops.cast(output, "float32"))[0, 1]
    np.testing.assert_allclose(row, mean_value[0], rtol=1e-2, atol=1e-2)


def _composed_attention(query, key, value, mask):
    """The formula written with plain ops, for TensorFlow's own autodiff."""
    scores = tf.einsum("bqhd,bkhd->bhqk", query, key) / np.sqrt(query.shape[-1])
    scores = tf.where(mask[:, None], scores, -1e9)
    return tf.einsum("bhqk,bkhd->bqhd", tf.nn.softmax(scores), value)


@pytest.mark.parametrize("jit", [False, True])
def test_gradients_match_autodiff_of_the_formula(jit):
    rng = np.random.default_rng(3)
    query, key, value = (
        tf.constant(rng.normal(size=(2, 5, 3, 4)), tf.float32) for _ in range(3)
    )
    mask = rng.random((2, 5, 5)) > 0.4
    mask[0, 2] = False  # a fully masked row: no gradient may flow to its scores
    mask = tf.constant(mask)
    upstream = tf.constant(rng.normal(size=(2, 5, 3, 4)), tf.float32)

    def gradients(attention):
        def run(query, key, value):
            with tf.GradientTape() as tape:
                tape.watch([query, key, value])
                loss = tf.reduce_sum(attention(query, key, value, mask) * upstream)
            return tape.gradient(loss, [query, key, value])

        return (tf.function(run, jit_compile=True) if jit else run)(query, key, value)

    ours = gradients(lambda q, k, v, m: scaled_dot_product_attention(q, k, v, mask=m))
    for got, expected in zip(ours, gradients(_composed_attention), strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_merge_masks_combines_padding_causal_and_offset():
    mask = merge_attention_masks(
        2, 4, padding_mask=[[1, 1, 0, 1]], use_causal_mask=True, cache_update_index=2
    )
    expected = [[[True, True, False, False], [True, True, False, True]]]
    assert keras.ops.convert_to_numpy(mask).tolist() == expected


def test_layer_harness(tmp_path):
    data = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")
    for fused in (False, True):
        run_layer_test(
            MultiHeadAttention,
            {"num_heads": 2, "head_dim": 8, "fused_qkv": fused},
            data,
            (2, 6, 16),
            call_kwargs={"use_causal_mask": True},
        )


def _copy_into_keras_mha(ours, theirs, width, heads, head_dim):
    for name in ("query", "key", "value"):
        dense = getattr(ours, f"{name}_dense")
        sub = getattr(theirs, f"_{name}_dense")
        sub.kernel.assign(dense.kernel.numpy().reshape(width, heads, head_dim))
        sub.bias.assign(dense.bias.numpy().reshape(heads, head_dim))
    theirs._output_dense.kernel.assign(
        ours.output_dense.kernel.numpy().reshape(heads, head_dim, width)
    )
    theirs._output_dense.bias.assign(ours.output_dense.bias.numpy())


def test_matches_keras_multi_head_attention_with_copied_weights():
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 5, 16)).astype("float32")
    value = rng.normal(size=(2, 7, 16)).astype("float32")
    mask = rng.random((2, 5, 7)) > 0.3
    mask[..., 0] = True
    ours = MultiHeadAttention(num_heads=4, head_dim=4)
    theirs = keras.layers.MultiHeadAttention(num_heads=4, key_dim=4)
    expected = ours(query, value, attention_mask=mask)
    theirs(query, value, attention_mask=mask)
    _copy_into_keras_mha(ours, theirs, 16, 4, 4)
    np.testing.assert_allclose(
        expected, theirs(query, value, attention_mask=mask), atol=1e-5
    )


def test_xla_and_eager_agree():
    layer = MultiHeadAttention(num_heads=2, head_dim=8, fused_qkv=True)
    data = np.random.default_rng(1).normal(size=(2, 6, 16)).astype("float32")
    eager = layer(data, use_causal_mask=True)
    compiled = tf.function(lambda x: layer(x, use_causal_mask=True), jit_compile=True)(
        data
    )
    np.testing.assert_allclose(eager, compiled, atol=1e-5)


def test_fused_layer_refuses_cross_attention():
    layer = MultiHeadAttention(num_heads=2, head_dim=4, fused_qkv=True)
    with pytest.raises(ValueError, match="self-attention"):
        layer(np.zeros((1, 3, 8), "float32"), np.ones((1, 4, 8), "float32"))


_CAUSAL_LAYER = MultiHeadAttention(num_heads=2, head_dim=4)
_CAUSAL_LAYER.build((None, None, 8))


@settings(max_examples=15, deadline=None)
@given(length=st.integers(2, 12), cut=st.integers(0, 11), seed=st.integers(0, 2**16))
def test_causality_property(length, cut, seed):
    cut = min(cut, length - 1)
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(2, length, 8)).astype("float32")
    changed = data.copy()
    changed[:, cut + 1 :] = rng.normal(size=changed[:, cut + 1 :].shape)
    original = _CAUSAL_LAYER(data, use_causal_mask=True)
    perturbed = _CAUSAL_LAYER(changed, use_causal_mask=True)
    np.testing.assert_allclose(
        original[:, : cut + 1], perturbed[:, : cut + 1], atol=1e-5
    )


@settings(max_examples=15, deadline=None)
@given(length=st.integers(1, 10), extra=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_padding_invariance_property(length, extra, seed):
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(1, length, 8)).astype("float32")
    padded = np.concatenate([data, rng.normal(size=(1, extra, 8)).astype("float32")], 1)
    mask = np.arange(length + extra)[None] < length
    np.testing.assert_allclose(
        _CAUSAL_LAYER(data),
        _CAUSAL_LAYER(padded, padding_mask=mask)[:, :length],
        atol=1e-5,
    )

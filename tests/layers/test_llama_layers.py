"""RoPE, RMSNorm, SwiGLU, grouped-query attention and the Llama block."""

import keras
import numpy as np
import pytest

from lmzoo.layers import (
    GatedFeedForward,
    LlamaDecoderBlock,
    MultiHeadAttention,
    RMSNormalization,
    RotaryEmbedding,
    causal_mask,
)
from tests.harness import run_layer_test


def _rope_reference(x, theta, start):
    """Llama's rotate-half RoPE in float64."""
    width = x.shape[-1]
    inverse = theta ** (-np.arange(0, width, 2, dtype=np.float64) / width)
    positions = np.arange(x.shape[-2], dtype=np.float64) + start
    angles = np.concatenate([np.outer(positions, inverse)] * 2, axis=-1)
    half = width // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * np.cos(angles) + rotated * np.sin(angles)


@pytest.mark.parametrize("start", [0, 7, 900])
def test_rope_matches_a_float64_reference(start):
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 16))
    ours = RotaryEmbedding(max_wavelength=1e5)(x.astype("float32"), start_index=start)
    np.testing.assert_allclose(ours, _rope_reference(x, 1e5, start), atol=2e-4)


def test_rope_at_an_offset_equals_the_same_rows_of_the_whole_sequence():
    x = keras.random.normal((1, 2, 12, 8), seed=1)
    rope = RotaryEmbedding()
    whole = rope(x).numpy()
    np.testing.assert_allclose(
        rope(x[:, :, 5:], start_index=5), whole[:, :, 5:], atol=1e-6
    )


def test_linear_scaling_divides_the_positions():
    x = np.random.default_rng(2).normal(size=(1, 1, 4, 8))
    scaled = RotaryEmbedding(scaling_factor=2.0)(x.astype("float32"), start_index=6)
    positions = (np.arange(4) + 6) / 2.0
    expected = np.stack(
        [
            _rope_reference(x[:, :, i : i + 1], 1e4, p)[:, :, 0]
            for i, p in enumerate(positions)
        ],
        axis=2,
    )
    np.testing.assert_allclose(scaled, expected, atol=1e-5)


def test_rms_norm_matches_numpy_and_keeps_float32_statistics():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 8)).astype("float32") * 300
    small = rng.normal(size=(2, 3, 8)).astype("float32") * 3e-3  # epsilon counts
    layer = RMSNormalization(epsilon=1e-5)
    for values in (x, small):
        expected = values / np.sqrt((values**2).mean(-1, keepdims=True) + 1e-5)
        np.testing.assert_allclose(layer(values), expected, rtol=1e-5)
    expected = x / np.sqrt((x**2).mean(-1, keepdims=True) + 1e-5)
    mixed = RMSNormalization(epsilon=1e-5, dtype="mixed_float16")
    np.testing.assert_allclose(
        np.asarray(mixed(x), np.float32), expected, rtol=2e-3, atol=2e-3
    )


def test_gated_feedforward_is_down_of_silu_gate_times_up():
    layer = GatedFeedForward(intermediate_dim=6)
    x = np.random.default_rng(2).normal(size=(1, 2, 4)).astype("float32")
    layer(x)
    gate = x @ layer.gate.kernel.numpy()
    silu = gate / (1 + np.exp(-gate))
    expected = (silu * (x @ layer.up.kernel.numpy())) @ layer.down.kernel.numpy()
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-6)


def test_grouped_query_attention_equals_full_attention_with_repeated_heads():
    x = keras.random.normal((2, 7, 32), seed=3)
    grouped = MultiHeadAttention(8, 4, num_key_value_heads=2, rope_max_wavelength=1e4)
    expected_out = grouped(
        x, use_causal_mask=True, padding_mask=np.arange(7) < [[7], [5]]
    )
    full = MultiHeadAttention(8, 4, rope_max_wavelength=1e4)
    full(x)
    full.query_dense.set_weights(grouped.query_dense.get_weights())
    full.output_dense.set_weights(grouped.output_dense.get_weights())
    for name in ("key_dense", "value_dense"):
        kernel, bias = getattr(grouped, name).get_weights()
        repeat = lambda w: np.repeat(w.reshape(*w.shape[:-1], 2, 4), 4, axis=-2)  # noqa: E731
        getattr(full, name).set_weights(
            [repeat(kernel).reshape(32, 32), repeat(bias).reshape(32)]
        )
    np.testing.assert_allclose(
        full(x, use_causal_mask=True, padding_mask=np.arange(7) < [[7], [5]]),
        expected_out,
        atol=1e-5,
    )


def test_sliding_window_sees_only_the_last_positions():
    mask = causal_mask(4, 4, sliding_window=2).numpy()
    assert mask.astype(int).tolist() == [
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [0, 1, 1, 0],
        [0, 0, 1, 1],
    ]


def test_num_key_value_heads_must_divide_num_heads():
    with pytest.raises(ValueError, match="num_key_value_heads=3 does not divide"):
        MultiHeadAttention(8, 4, num_key_value_heads=3)


def test_llama_block_passes_the_layer_harness(tmp_path):
    run_layer_test(
        LlamaDecoderBlock,
        {"num_heads": 4, "intermediate_dim": 48, "num_key_value_heads": 2},
        np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32"),
        (2, 6, 16),
        tmp_path=tmp_path,
    )

import numpy as np
import pytest

from lmzoo.layers import (
    SinusoidalPositionEncoding,
    TokenAndPositionEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)
from tests.harness import run_layer_test

DATA = np.random.default_rng(0).normal(size=(2, 8, 16)).astype("float32")


@pytest.mark.parametrize("normalize_first", [True, False])
def test_encoder_block_harness(normalize_first):
    run_layer_test(
        TransformerEncoderBlock,
        {"num_heads": 2, "intermediate_dim": 32, "normalize_first": normalize_first},
        DATA,
        (2, 8, 16),
    )


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_decoder_block_harness(activation):
    run_layer_test(
        TransformerDecoderBlock,
        {"num_heads": 2, "intermediate_dim": 32, "activation": activation},
        DATA,
        (2, 8, 16),
    )


def test_decoder_block_is_causal():
    block = TransformerDecoderBlock(num_heads=2, intermediate_dim=32)
    changed = DATA.copy()
    changed[:, 5:] += 1.0
    np.testing.assert_allclose(block(DATA)[:, :5], block(changed)[:, :5], atol=1e-5)


def test_encoder_padding_invariance():
    block = TransformerEncoderBlock(num_heads=2, intermediate_dim=32)
    mask = np.ones((2, 8), bool)
    padded = np.concatenate([DATA, np.zeros((2, 3, 16), "float32")], axis=1)
    padded_mask = np.concatenate([mask, np.zeros((2, 3), bool)], axis=1)
    np.testing.assert_allclose(
        block(DATA, padding_mask=mask),
        block(padded, padding_mask=padded_mask)[:, :8],
        atol=1e-5,
    )


def test_decoder_cross_attention_uses_encoder_outputs():
    block = TransformerDecoderBlock(num_heads=2, intermediate_dim=32)
    source = np.random.default_rng(1).normal(size=(2, 5, 16)).astype("float32")
    output = block(DATA, encoder_outputs=source)
    assert output.shape == (2, 8, 16)
    assert np.abs(output - block(DATA, encoder_outputs=source * 2)).max() > 1e-3


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="not divisible by num_heads=3"):
        TransformerEncoderBlock(num_heads=3, intermediate_dim=8)(DATA)


def test_sinusoidal_encoding_values():
    encoding = SinusoidalPositionEncoding()(np.zeros((1, 3, 4), "float32"))
    position, channel = 2, 1  # sin/cos pairs: channel pair 1 has frequency 1e4^(-2/4)
    np.testing.assert_allclose(
        encoding[position, 2 * channel], np.sin(2 / 100), atol=1e-6
    )
    np.testing.assert_allclose(
        encoding[position, 2 * channel + 1], np.cos(2 / 100), atol=1e-6
    )
    np.testing.assert_allclose(encoding[0], [0, 1, 0, 1], atol=1e-7)


@pytest.mark.parametrize("position_encoding", ["learned", "sinusoidal"])
def test_token_and_position_embedding_harness(position_encoding):
    ids = np.random.default_rng(0).integers(0, 50, (2, 8)).astype("int32")
    layer = run_layer_test(
        TokenAndPositionEmbedding,
        {
            "vocabulary_size": 50,
            "max_sequence_length": 16,
            "embedding_dim": 8,
            "position_encoding": position_encoding,
        },
        ids,
        (2, 8, 8),
        fit_step=False,
    )
    hidden = layer(ids)
    embeddings = layer.token_embedding.embeddings.numpy()
    np.testing.assert_allclose(
        layer.attend(hidden), hidden.numpy() @ embeddings.T, rtol=1e-5, atol=1e-6
    )

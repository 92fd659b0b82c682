"""lmzoo's blocks compute what keras-hub's do, given the same weights."""

import keras_hub
import numpy as np
import pytest

from lmzoo.layers import TransformerDecoderBlock, TransformerEncoderBlock

_RENAMES = {
    "self_attention_layer/": "self_attention/",
    "feedforward_intermediate_dense/": "feedforward_intermediate/",
    "feedforward_output_dense/": "feedforward_output/",
}


def _copy_weights(ours, theirs):
    """Copies lmzoo's weights into the keras-hub layer, matched by path."""
    our_weights = {w.path.split("/", 1)[1]: w for w in ours.weights}
    assert len(our_weights) == len(theirs.weights)
    for weight in theirs.weights:
        name = weight.path.split("/", 1)[1]
        for old, new in _RENAMES.items():
            name = name.replace(old, new)
        weight.assign(our_weights[name].numpy().reshape(weight.shape))


DATA = np.random.default_rng(0).normal(size=(2, 7, 16)).astype("float32")
SOURCE = np.random.default_rng(1).normal(size=(2, 5, 16)).astype("float32")
MASK = np.array([[1] * 7, [1] * 4 + [0] * 3], bool)


@pytest.mark.parametrize("normalize_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_matches_keras_hub(normalize_first, activation):
    arguments = {
        "intermediate_dim": 32,
        "num_heads": 2,
        "activation": activation,
        "normalize_first": normalize_first,
    }
    ours = TransformerEncoderBlock(**arguments)
    theirs = keras_hub.layers.TransformerEncoder(**arguments)
    expected = ours(DATA, padding_mask=MASK)
    theirs(DATA, padding_mask=MASK)
    _copy_weights(ours, theirs)
    np.testing.assert_allclose(theirs(DATA, padding_mask=MASK), expected, atol=1e-5)


@pytest.mark.parametrize("normalize_first", [False, True])
def test_decoder_with_cross_attention_matches_keras_hub(normalize_first):
    arguments = {
        "intermediate_dim": 32,
        "num_heads": 2,
        "normalize_first": normalize_first,
    }
    ours = TransformerDecoderBlock(**arguments, activation="relu")
    theirs = keras_hub.layers.TransformerDecoder(**arguments)
    source_mask = np.array([[1] * 5, [1, 1, 0, 0, 0]], bool)
    expected = ours(DATA, SOURCE, padding_mask=MASK, encoder_padding_mask=source_mask)
    theirs(DATA, SOURCE, decoder_padding_mask=MASK, encoder_padding_mask=source_mask)
    _copy_weights(ours, theirs)
    actual = theirs(
        DATA, SOURCE, decoder_padding_mask=MASK, encoder_padding_mask=source_mask
    )
    np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_decoder_only_matches_keras_hub():
    ours = TransformerDecoderBlock(
        num_heads=4, intermediate_dim=32, activation="relu", normalize_first=False
    )
    theirs = keras_hub.layers.TransformerDecoder(intermediate_dim=32, num_heads=4)
    expected = ours(DATA)
    theirs(DATA)
    _copy_weights(ours, theirs)
    np.testing.assert_allclose(theirs(DATA), expected, atol=1e-5)

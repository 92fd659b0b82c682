"""Keras layers: attention, embeddings and Transformer blocks."""

from lmzoo.layers.activations import gelu, gelu_approximate
from lmzoo.layers.attention import MultiHeadAttention, scaled_dot_product_attention
from lmzoo.layers.embeddings import (
    SinusoidalPositionEncoding,
    TokenAndPositionEmbedding,
)
from lmzoo.layers.masks import causal_mask, merge_attention_masks
from lmzoo.layers.transformer import TransformerDecoderBlock, TransformerEncoderBlock

__all__ = [
    "MultiHeadAttention",
    "SinusoidalPositionEncoding",
    "TokenAndPositionEmbedding",
    "TransformerDecoderBlock",
    "TransformerEncoderBlock",
    "causal_mask",
    "gelu",
    "gelu_approximate",
    "merge_attention_masks",
    "scaled_dot_product_attention",
]

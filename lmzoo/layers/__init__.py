"""Keras layers: attention, embeddings and Transformer blocks."""

from lmzoo.layers.activations import gelu, gelu_approximate
from lmzoo.layers.attention import MultiHeadAttention, scaled_dot_product_attention
from lmzoo.layers.embeddings import (
    SinusoidalPositionEncoding,
    TokenAndPositionEmbedding,
)
from lmzoo.layers.feedforward import GatedFeedForward
from lmzoo.layers.llama_block import LlamaDecoderBlock
from lmzoo.layers.masks import causal_mask, merge_attention_masks
from lmzoo.layers.normalization import RMSNormalization
from lmzoo.layers.rotary import RotaryEmbedding
from lmzoo.layers.transformer import TransformerDecoderBlock, TransformerEncoderBlock

__all__ = [
    "GatedFeedForward",
    "LlamaDecoderBlock",
    "MultiHeadAttention",
    "RMSNormalization",
    "RotaryEmbedding",
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

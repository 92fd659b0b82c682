"""Text generation: one cached XLA decoding loop for every lmzoo decoder."""

from lmzoo.generation.chat_template import render_chat
from lmzoo.generation.decoding import Generator
from lmzoo.generation.mixin import GenerationMixin
from lmzoo.generation.prompts import prepare_prompts
from lmzoo.generation.samplers import SamplerConfig, filter_logits, next_tokens
from lmzoo.generation.streaming import TokenStream

__all__ = [
    "GenerationMixin",
    "Generator",
    "SamplerConfig",
    "TokenStream",
    "filter_logits",
    "next_tokens",
    "prepare_prompts",
    "render_chat",
]

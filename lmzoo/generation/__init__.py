"""Text generation: a cached XLA decoding loop and a simple reference sampler."""

from lmzoo.generation.decoding import Generator, prepare_prompts
from lmzoo.generation.mixin import GenerationMixin, token_log_probabilities
from lmzoo.generation.samplers import SamplerConfig, filter_logits, next_tokens
from lmzoo.generation.sampling import generate_ids, sample_next_token

__all__ = [
    "GenerationMixin",
    "Generator",
    "SamplerConfig",
    "filter_logits",
    "generate_ids",
    "next_tokens",
    "prepare_prompts",
    "sample_next_token",
    "token_log_probabilities",
]

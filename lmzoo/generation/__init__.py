"""Text generation."""

from lmzoo.generation.sampling import generate_ids, generate_text, sample_next_token

__all__ = ["generate_ids", "generate_text", "sample_next_token"]

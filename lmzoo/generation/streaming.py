"""Token-by-token decoding: a compiled prompt pass, then one compiled program per token.

`Generator` runs the whole decoding loop in one XLA program, which is
fastest but shows nothing until it ends. A chat shows each token as it
comes: here the prompt runs once through `decode_step` (its length
padded to a bucket), and each new token is one call of a second program.
Both programs are compiled once per cache length and reused across turns.
"""

import numpy as np
import tensorflow as tf

from lmzoo.generation.prompts import padded_width
from lmzoo.generation.samplers import next_tokens

CACHE_BUCKET = 256


class TokenStream:
    """Yields a model's new tokens one at a time.

    Args:
        model: a model with `init_cache` and `decode_step`.

    Example:
    >>> import lmzoo
    >>> from lmzoo.generation import SamplerConfig
    >>> model = lmzoo.models.GPT(vocabulary_size=10, num_layers=1, hidden_dim=8)
    >>> tokens = list(TokenStream(model)([1, 2, 3], SamplerConfig(), 4))
    >>> len(tokens)
    4
    """

    def __init__(self, model):
        self.model = model
        self._programs = {}

    def _compiled(self, total, config):
        key = (total, config)
        if key not in self._programs:
            model = self.model

            def choose(logits, seed, index):
                step_seed = tf.stack([seed[0], seed[1] + index])
                return next_tokens(tf.cast(logits, tf.float32), config, step_seed)

            @tf.function(jit_compile=True)
            def prompt(token_ids, length, seed):
                cache = model.init_cache(1, total)
                logits, cache = model.decode_step(token_ids, cache, 0)
                last = tf.gather(logits, [length - 1], axis=1)[:, 0]
                return choose(last, seed, length), cache

            @tf.function(jit_compile=True)
            def step(token, cache, index, seed):
                logits, cache = model.decode_step(token[:, None], cache, index)
                return choose(logits[:, -1], seed, index + 1), cache

            self._programs[key] = (prompt, step)
        return self._programs[key]

    def __call__(
        self, prompt_ids, config, max_new_tokens, stop_token_ids=(), seed=None
    ):
        """Generates after one prompt, yielding each token id as it is chosen.

        Args:
            prompt_ids: 1-D sequence of ints.
            config: `SamplerConfig` (greedy or sample; beam search cannot
                stream).
            max_new_tokens: int.
            stop_token_ids: ints; the stream ends after yielding one.
            seed: optional int.

        Yields:
            int token ids.

        Raises:
            ValueError: beam search, an empty prompt, or a prompt plus
                `max_new_tokens` beyond the model's `max_sequence_length`.
        """
        if config.strategy == "beam":
            raise ValueError("Beam search cannot stream: use generate().")
        prompt = np.asarray(prompt_ids, np.int32).reshape(-1)
        length = len(prompt)
        if length == 0:
            raise ValueError("The prompt has no tokens.")
        limit = getattr(self.model, "max_sequence_length", None)
        if limit and length + max_new_tokens > limit:
            raise ValueError(
                f"A prompt of {length} tokens plus max_new_tokens={max_new_tokens} "
                f"exceeds the model's max_sequence_length={limit}."
            )
        width = padded_width(length)
        total = padded_width(width + max_new_tokens, CACHE_BUCKET)
        if limit:
            total = min(total, max(limit, width))
        prompt_program, step = self._compiled(total, config)
        padded = np.zeros((1, width), np.int32)
        padded[0, :length] = prompt
        if seed is None:
            seed = np.random.default_rng().integers(2**31 - 1)
        seed = tf.constant([int(seed), 0], tf.int32)
        token, cache = prompt_program(tf.constant(padded), tf.constant(length), seed)
        stops = {int(stop) for stop in stop_token_ids}
        for index in range(length, length + max_new_tokens):
            value = int(token.numpy()[0])
            yield value
            if value in stops or index + 1 == length + max_new_tokens:
                return
            token, cache = step(token, cache, tf.constant(index), seed)

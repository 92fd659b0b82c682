"""The decoding loop drives an encoder-decoder through the same two-method hook."""

import keras
import numpy as np
from keras import ops

from lmzoo.generation import Generator, SamplerConfig, generate_ids
from lmzoo.layers import TokenAndPositionEmbedding, TransformerDecoderBlock

VOCABULARY, WIDTH = 23, 16


class _TinyTranslator(keras.Model):
    """A decoder over a fixed encoded source: the shape of a translation model."""

    max_sequence_length = 32

    def __init__(self, source):
        super().__init__()
        self.source = ops.convert_to_tensor(source)
        self.embedding = TokenAndPositionEmbedding(VOCABULARY, 32, WIDTH)
        self.blocks = [TransformerDecoderBlock(2, 32) for _ in range(2)]

    def call(self, token_ids):
        x = self.embedding(token_ids)
        for block in self.blocks:
            x = block(x, encoder_outputs=self.source)
        return self.embedding.attend(x)

    def init_cache(self, batch_size, max_length):
        shape = (batch_size, 2, max_length, WIDTH // 2)
        caches = []
        for block in self.blocks:
            cross = block.compute_cross_attention_cache(self.source)
            caches.append(((ops.zeros(shape), ops.zeros(shape)), cross))
        return tuple(caches)

    def decode_step(self, token_ids, cache, index):
        x = self.embedding(token_ids, start_index=index)
        updated = []
        for block, (self_cache, cross_cache) in zip(self.blocks, cache, strict=True):
            x, self_cache = block(
                x,
                cache=self_cache,
                cache_update_index=index,
                cross_attention_cache=cross_cache,
            )
            updated.append((self_cache, cross_cache))
        return self.embedding.attend(x), tuple(updated)


def test_cached_decoding_with_cross_attention_matches_full_recompute():
    source = np.random.default_rng(0).normal(size=(1, 7, WIDTH)).astype("float32")
    model = _TinyTranslator(source)
    model(np.zeros((1, 1), "int32"))
    output = Generator(model)([[1, 2]], SamplerConfig(), max_new_tokens=10)
    expected = generate_ids(lambda ids: model(ids), [1, 2], 10, temperature=0)
    assert output["token_ids"][0].tolist() == expected

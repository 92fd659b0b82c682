"""The decoding loop drives an encoder-decoder through the generation hook:
`init_cache` receives the encoder's outputs and padding mask, per row."""

import keras
import numpy as np
import pytest
from keras import ops

from lmzoo.generation import Generator, SamplerConfig
from lmzoo.layers import (
    TokenAndPositionEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)
from tests.generation.reference import generate_ids, reference_beam

VOCABULARY, WIDTH, HEADS = 23, 16, 2


class _TinyTranslator(keras.Model):
    """An encoder over the source and a cross-attending decoder over the target."""

    max_sequence_length = 32

    def __init__(self):
        super().__init__()
        self.source_embedding = TokenAndPositionEmbedding(VOCABULARY, 32, WIDTH)
        self.encoder_blocks = [TransformerEncoderBlock(HEADS, 32)]
        self.target_embedding = TokenAndPositionEmbedding(VOCABULARY, 32, WIDTH)
        self.decoder_blocks = [TransformerDecoderBlock(HEADS, 32) for _ in range(2)]

    def encode(self, source_ids, source_mask):
        x = self.source_embedding(source_ids)
        for block in self.encoder_blocks:
            x = block(x, padding_mask=source_mask)
        return x

    def call(self, inputs):
        """Full recompute: `{"source", "source_mask", "target"}` -> logits."""
        encoded = self.encode(inputs["source"], inputs["source_mask"])
        x = self.target_embedding(inputs["target"])
        for block in self.decoder_blocks:
            x = block(x, encoded, encoder_padding_mask=inputs["source_mask"])
        return self.target_embedding.attend(x)

    def init_cache(
        self, batch_size, max_length, encoder_outputs=None, encoder_padding_mask=None
    ):
        shape = (batch_size, HEADS, max_length, WIDTH // HEADS)
        layers = tuple(
            (
                (ops.zeros(shape), ops.zeros(shape)),
                block.compute_cross_attention_cache(encoder_outputs),
            )
            for block in self.decoder_blocks
        )
        return layers, encoder_padding_mask

    def decode_step(self, token_ids, cache, cache_update_index):
        layers, source_mask = cache
        x = self.target_embedding(token_ids, cache_update_index=cache_update_index)
        updated = []
        for block, (self_cache, cross_cache) in zip(
            self.decoder_blocks, layers, strict=True
        ):
            x, self_cache = block(
                x,
                cache=self_cache,
                cache_update_index=cache_update_index,
                cross_attention_cache=cross_cache,
                encoder_padding_mask=source_mask,
            )
            updated.append((self_cache, cross_cache))
        return self.target_embedding.attend(x), (tuple(updated), source_mask)


SOURCES = [[5, 6, 7, 8, 9, 10, 11], [12, 13], [14, 15, 16, 17]]
PROMPTS = [[1], [1, 2], [1]]


def _translator():
    keras.utils.set_random_seed(0)
    model = _TinyTranslator()
    source, mask = _padded(SOURCES)
    model({"source": source, "source_mask": mask, "target": np.ones((3, 1), "int32")})
    table = model.target_embedding.token_embedding.embeddings
    table.assign(table * 8.0)  # spread the logits: no near-ties between beams
    return model


def _padded(rows):
    width = max(len(row) for row in rows)
    ids = np.array([row + [0] * (width - len(row)) for row in rows], "int32")
    return ids, ids > 0


def _logits_for_row(model, row):
    """The model on one source alone, unpadded: a full recompute per call."""
    source = np.array([SOURCES[row]], "int32")
    return lambda target: model(
        {"source": source, "source_mask": source > 0, "target": target}
    )


def _generate(model, config, max_new_tokens, **kwargs):
    source, mask = _padded(SOURCES)
    return Generator(model)(
        PROMPTS,
        config,
        max_new_tokens,
        encoder_outputs=model.encode(source, mask),
        encoder_padding_mask=mask,
        **kwargs,
    )


def test_batched_greedy_over_padded_sources_matches_each_row_recomputed():
    model = _translator()
    output = _generate(model, SamplerConfig(), 6)
    for row, prompt in enumerate(PROMPTS):
        expected = generate_ids(_logits_for_row(model, row), prompt, 6, temperature=0)
        length = output["lengths"][row]
        assert output["token_ids"][row, :length].tolist() == expected


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_batched_beam_search_over_padded_sources_matches_full_recompute(
    length_penalty,
):
    model = _translator()
    config = SamplerConfig("beam", num_beams=3, length_penalty=length_penalty)
    greedy = _generate(model, SamplerConfig(), 3)["token_ids"]
    stop_ids = (int(greedy[0, 2]),)  # row 0 may end early on its second token
    output = _generate(model, config, 4, stop_token_ids=stop_ids)
    for row, prompt in enumerate(PROMPTS):
        ids, score, _ = reference_beam(
            _logits_for_row(model, row), prompt, 3, 4, stop_ids, length_penalty
        )
        length = output["lengths"][row]
        assert output["token_ids"][row, :length].tolist() == ids
        assert output["scores"][row] == pytest.approx(score, abs=1e-3)


def test_encoder_outputs_must_have_one_row_per_prompt():
    model = _translator()
    source, mask = _padded(SOURCES)
    with pytest.raises(ValueError, match="encoder_outputs has 2 rows for 3 prompts"):
        Generator(model)(
            PROMPTS,
            SamplerConfig(),
            2,
            encoder_outputs=model.encode(source[:2], mask[:2]),
        )

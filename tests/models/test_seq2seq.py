"""Seq2SeqTransformer: masks, causality, cached decoding, translate, saving."""

import keras
import numpy as np
import pytest

from lmzoo import models
from lmzoo.data import SentencePieceTokenizer, TranslationPreprocessor
from lmzoo.experiments.plots import plot_cross_attention
from lmzoo.generation import Generator, SamplerConfig
from tests.generation.reference import generate_ids, reference_beam

VOCABULARY = 31
SOURCES = [[5, 6, 7, 8, 9, 10, 3], [12, 13, 3], [14, 15, 16, 3]]
START, END = 2, 3


def _model(**overrides):
    keras.utils.set_random_seed(0)
    arguments = {
        "num_layers": 2,
        "num_heads": 2,
        "hidden_dim": 16,
        "intermediate_dim": 32,
        "max_sequence_length": 32,
        "dropout": 0.0,
    } | overrides
    model = models.Seq2SeqTransformer(VOCABULARY, **arguments)
    model.build()
    table = model.backbone.decoder_embedding.token_embedding.embeddings
    table.assign(table * 40.0)  # spread the logits: no near-ties between beams
    return model


def _padded(rows, width=None):
    width = width or max(len(row) for row in rows)
    ids = np.array([row + [0] * (width - len(row)) for row in rows], "int32")
    return ids, ids > 0


def _inputs(sources, targets, source_width=None, target_width=None):
    source, source_mask = _padded(sources, source_width)
    target, target_mask = _padded(targets, target_width)
    return {
        "encoder_token_ids": source,
        "encoder_padding_mask": source_mask,
        "decoder_token_ids": target,
        "decoder_padding_mask": target_mask,
    }


TARGETS = [[START, 20, 21, 22], [START, 23], [START, 24, 25]]


def test_padding_on_either_side_never_changes_real_positions():
    model = _model()
    tight = np.asarray(model(_inputs(SOURCES, TARGETS)))
    padded = np.asarray(model(_inputs(SOURCES, TARGETS, 12, 9)))
    for row, target in enumerate(TARGETS):
        real = len(target)
        np.testing.assert_allclose(
            padded[row, :real], tight[row, :real], atol=1e-5, rtol=1e-5
        )


def test_padding_values_do_not_leak_into_real_positions():
    model = _model()
    inputs = _inputs(SOURCES, TARGETS, 10, 8)
    before = np.asarray(model(inputs))
    noisy = dict(inputs)
    for side in ("encoder", "decoder"):
        ids, mask = inputs[f"{side}_token_ids"], inputs[f"{side}_padding_mask"]
        noisy[f"{side}_token_ids"] = np.where(mask, ids, 29)
    after = np.asarray(model(noisy))
    real = inputs["decoder_padding_mask"]
    np.testing.assert_allclose(after[real], before[real], atol=1e-5)


def test_decoder_is_causal():
    model = _model()
    inputs = _inputs(SOURCES, TARGETS)
    before = np.asarray(model(inputs))
    changed = dict(inputs, decoder_token_ids=inputs["decoder_token_ids"].copy())
    changed["decoder_token_ids"][:, 2] = 30
    after = np.asarray(model(changed))
    np.testing.assert_allclose(after[:, :2], before[:, :2], atol=1e-6)
    assert np.abs(after[0, 2:] - before[0, 2:]).max() > 1e-3


def test_source_reaches_every_target_position_through_cross_attention():
    model = _model()
    inputs = _inputs(SOURCES, TARGETS)
    changed = dict(inputs, encoder_token_ids=inputs["encoder_token_ids"].copy())
    changed["encoder_token_ids"][0, 0] = 30
    difference = np.abs(np.asarray(model(changed)) - np.asarray(model(inputs)))
    assert (difference[0].max(axis=-1) > 1e-4).all()
    np.testing.assert_allclose(difference[1:], 0.0, atol=1e-6)


def _logits_for_row(model, row):
    source = np.array([SOURCES[row]], "int32")
    return lambda target: model(
        {"encoder_token_ids": source, "decoder_token_ids": target}
    )


def _generate(model, config, max_new_tokens, **kwargs):
    source, mask = _padded(SOURCES)
    return Generator(model)(
        [[START]] * len(SOURCES),
        config,
        max_new_tokens,
        encoder_outputs=model.backbone.encode(source, mask),
        encoder_padding_mask=mask,
        **kwargs,
    )


def test_cached_greedy_over_sources_of_different_lengths_matches_recompute():
    model = _model()
    output = _generate(model, SamplerConfig(), 6)
    for row in range(len(SOURCES)):
        expected = generate_ids(_logits_for_row(model, row), [START], 6, temperature=0)
        assert output["token_ids"][row, : output["lengths"][row]].tolist() == expected


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_cached_beam_search_matches_full_recompute(length_penalty):
    model = _model()
    greedy = _generate(model, SamplerConfig(), 3)["token_ids"]
    stop_ids = (int(greedy[0, 2]),)
    config = SamplerConfig("beam", num_beams=3, length_penalty=length_penalty)
    output = _generate(model, config, 4, stop_token_ids=stop_ids)
    for row in range(len(SOURCES)):
        ids, score, _ = reference_beam(
            _logits_for_row(model, row), [START], 3, 4, stop_ids, length_penalty
        )
        assert output["token_ids"][row, : output["lengths"][row]].tolist() == ids
        assert output["scores"][row] == pytest.approx(score, abs=1e-3)


def test_beam_search_projects_each_source_once_and_repeats_it_per_beam():
    model = _model()
    calls = []
    init_cache = model.init_cache

    def recording_init_cache(batch_size, max_length, **encoder):
        calls.append((batch_size, encoder["encoder_outputs"].shape[0]))
        return init_cache(batch_size, max_length, **encoder)

    model.init_cache = recording_init_cache
    _generate(model, SamplerConfig("beam", num_beams=4), 3)
    assert calls == [(3, 3)]


def test_cross_attention_cache_is_projected_once_per_source_row():
    model = _model()
    source, mask = _padded(SOURCES)
    encoded = model.backbone.encode(source, mask)
    cache = model.init_cache(3, 8, encoded, mask)
    key, value = cache["cross"][0]
    expected_key, _ = model.backbone.decoder_blocks[0].compute_cross_attention_cache(
        encoded
    )
    assert tuple(key.shape) == (3, 2, source.shape[1], 8)
    np.testing.assert_allclose(np.asarray(key), np.asarray(expected_key), atol=1e-6)
    with pytest.raises(ValueError, match="pass encoder_outputs"):
        model.init_cache(3, 8)


@pytest.fixture(scope="module")
def translator():
    texts = ["where is the station", "the station is here", "here is a cat"] * 20
    tokenizer = SentencePieceTokenizer.train(texts, 40)
    keras.utils.set_random_seed(0)
    model = models.Seq2SeqTransformer(
        backbone=models.Seq2SeqBackbone(
            tokenizer.vocabulary_size,
            num_layers=1,
            num_heads=2,
            hidden_dim=16,
            max_sequence_length=24,
            dropout=0.0,
        ),
        preprocessor=TranslationPreprocessor(tokenizer, tokenizer, 24),
    )
    model.build()
    return model


def test_beam_width_one_equals_greedy(translator):
    sentences = ["where is the station", "here", "the cat is here"]
    greedy = translator.translate(sentences, strategy="greedy", max_new_tokens=8)
    beam = translator.translate(
        sentences, strategy="beam", num_beams=1, max_new_tokens=8
    )
    assert beam == greedy
    assert all(isinstance(text, str) for text in greedy)


def test_translate_in_batches_equals_one_by_one(translator):
    sentences = ["where is the station", "here", "the cat is here", "a cat"]
    together = translator.translate(sentences, max_new_tokens=8, batch_size=2)
    alone = [translator.translate(text, max_new_tokens=8) for text in sentences]
    assert together == alone


def test_saved_translator_translates_the_same(translator, tmp_path):
    path = tmp_path / "translator.keras"
    translator.save(path)
    loaded = keras.saving.load_model(path)
    sentences = ["where is the station", "the cat"]
    assert loaded.translate(sentences, max_new_tokens=8) == translator.translate(
        sentences, max_new_tokens=8
    )


def test_cross_attention_map_and_heatmap(translator, tmp_path):
    attention = translator.cross_attention("where is the station", "the station")
    weights = attention["weights"]
    assert attention["source_tokens"][-1] == "</s>"
    assert attention["target_tokens"][-1] == "</s>"
    assert weights.shape == (
        2,
        len(attention["target_tokens"]),
        len(attention["source_tokens"]),
    )
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    path = plot_cross_attention(attention, tmp_path / "attention.png")
    assert path.stat().st_size > 1000


def test_shared_embeddings_need_one_vocabulary():
    model = models.Seq2SeqTransformer(
        20, hidden_dim=8, num_heads=2, num_layers=1, share_embeddings=True
    )
    model.build()
    assert model.backbone.decoder_embedding is model.backbone.encoder_embedding
    with pytest.raises(ValueError, match="share_embeddings needs one vocabulary"):
        models.Seq2SeqBackbone(20, target_vocabulary_size=30, share_embeddings=True)


def test_bad_inputs_are_named():
    model = _model()
    with pytest.raises(ValueError, match="num_heads=3 does not divide hidden_dim=16"):
        models.Seq2SeqBackbone(20, hidden_dim=16, num_heads=3)
    with pytest.raises(ValueError, match="source has 40 tokens"):
        model(_inputs([[5] * 40], [[START]]))
    with pytest.raises(ValueError, match="takes a dict with keys"):
        model({"token_ids": np.ones((1, 3), "int32")})
    with pytest.raises(ValueError, match="no TranslationPreprocessor"):
        model.translate("hola")

import numpy as np
import pytest

from lmzoo import models


@pytest.mark.parametrize("name", sorted(models.PRESETS))
def test_every_preset_builds_with_its_arguments(name, token_batch):
    model = models.get(name, vocabulary_size=66)
    inputs = token_batch
    if isinstance(model, models.Seq2SeqTransformer):
        inputs = {"encoder_token_ids": token_batch, "decoder_token_ids": token_batch}
    outputs = model(inputs)
    logits = outputs["mlm_logits"] if isinstance(outputs, dict) else outputs
    assert logits.shape == (2, 16, 66) and logits.dtype == "float32"
    config = model.backbone.get_config()
    for argument, value in models.PRESETS[name].arguments.items():
        assert config[argument] == value, argument


def test_gpt_mini_sizes_and_overrides():
    model = models.get("gpt-mini", vocabulary_size=65, dropout=0.1)
    backbone = model.backbone
    assert (backbone.num_layers, backbone.num_heads, backbone.hidden_dim) == (4, 4, 128)
    assert backbone.dropout == 0.1 and model.vocabulary_size == 65


def test_unknown_preset_lists_known_ones():
    with pytest.raises(ValueError, match="gpt-mini.*lstm-small|lstm-small.*gpt-mini"):
        models.get("gpt-huge", vocabulary_size=65)
    with pytest.raises(ValueError, match="'bert-tiny' is not a language-model preset"):
        models.get_preset("bert-tiny", language_model=True)


def test_bert_presets_have_their_published_shapes():
    expected = {
        "bert-tiny": (2, 128, 2),
        "bert-base": (12, 768, 12),
        "minilm-l6": (6, 384, 12),
    }
    for name, (layers, width, heads) in expected.items():
        preset = models.get_preset(name)
        arguments = preset.arguments
        assert preset.vocabulary_size == 30522 and not preset.is_language_model
        assert (arguments["num_layers"], arguments["hidden_dim"]) == (layers, width)
        assert arguments["num_heads"] == heads
        assert arguments["intermediate_dim"] == 4 * width
    model = models.get("bert-tiny")
    assert type(model).__name__ == "BertPretrainer"
    assert model.backbone.vocabulary_size == 30522
    with pytest.raises(ValueError, match="gpt-mini needs the vocabulary_size"):
        models.get("gpt-mini")


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_a_vocabulary_size_that_is_not_a_positive_integer_is_named(size):
    with pytest.raises(ValueError, match="vocabulary_size must be a positive integer"):
        models.get("gpt-mini", vocabulary_size=size)


def test_num_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="num_heads=3 does not divide hidden_dim=64"):
        models.GPT(vocabulary_size=10, hidden_dim=64, num_heads=3)


def test_every_preset_has_a_recipe_for_a_known_corpus_and_sums_itself_up():
    from lmzoo.data import CORPORA
    from lmzoo.training import RECIPES, get_recipe

    language_models = {n for n, p in models.PRESETS.items() if p.is_language_model}
    assert set(RECIPES) == language_models
    for name in language_models:
        preset = models.PRESETS[name]
        assert get_recipe(name).corpus in CORPORA, name
        assert preset.summary().startswith(f"{preset.arguments.get('num_layers', 1)} ")
    assert (
        models.get_preset("lstm-ptb-small").summary() == "2 layers, width 200, stateful"
    )


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("preset", ["gpt-nano", "lstm-small"])
def test_training_under_mixed_precision_lowers_the_loss(
    preset, policy, shakespeare_ids
):
    from tests.harness import log_perplexity_drop

    overrides = {"dtype": policy}
    if preset == "lstm-small":
        overrides |= {"embedding_dim": 32, "hidden_dim": 64}
    model = models.get(preset, 66, **overrides)
    before, after = log_perplexity_drop(model, shakespeare_ids, 32, 16, 3e-3, steps=20)
    assert np.isfinite(after) and after < before - 0.3
    if policy == "mixed_float16":
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"

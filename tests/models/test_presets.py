import pytest

from lmzoo import models


@pytest.mark.parametrize("name", sorted(models.PRESETS))
def test_every_preset_builds(name, token_batch):
    model = models.get(name, vocabulary_size=66)
    assert model(token_batch).shape == (2, 16, 66)


def test_gpt_mini_sizes_and_overrides():
    model = models.get("gpt-mini", vocabulary_size=65, dropout=0.1)
    assert (model.num_layers, model.num_heads, model.hidden_dim) == (4, 4, 128)
    assert model.dropout == 0.1 and model.vocabulary_size == 65


def test_unknown_preset_lists_known_ones():
    with pytest.raises(ValueError, match="gpt-mini.*lstm-small|lstm-small.*gpt-mini"):
        models.get("gpt-huge", vocabulary_size=65)

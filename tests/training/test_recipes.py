import numpy as np
import pytest

from lmzoo import models
from lmzoo.data import language_model_dataset
from lmzoo.training import Recipe, get_recipe, train_with_recipe


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"optimizer": "adam"}, "Unknown optimizer 'adam'"),
        ({"schedule": "linear"}, "Unknown schedule 'linear'"),
        ({"schedule": "halving"}, "halving schedule needs `epochs`"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_a_bad_recipe_is_refused_by_name(fields, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**fields)


def test_overrides_replace_fields_and_none_keeps_them():
    recipe = get_recipe("lstm-ptb-small").updated(batch_size=4, epochs=None)
    assert (recipe.batch_size, recipe.epochs, recipe.optimizer) == (4, 13, "sgd")
    with pytest.raises(ValueError, match="Unknown recipe 'gpt-huge'"):
        get_recipe("gpt-huge")


def test_the_recipe_decides_optimizer_loss_and_schedule():
    data = language_model_dataset(np.arange(400) % 20, 8, 4)
    sgd = Recipe(
        learning_rate=1.0,
        sequence_length=8,
        batch_size=4,
        optimizer="sgd",
        schedule="halving",
        epochs=4,
        loss_per_window=True,
    )
    model = models.LSTMLanguageModel(20, 8, 8)
    budget = train_with_recipe(model, sgd, data, data, max_steps=2, verbose=0)
    assert type(model.optimizer).__name__ == "SGD"
    assert model.loss.sequence_length == 8
    assert float(model.optimizer.learning_rate) == 1.0  # the constant phase
    adamw = Recipe(sequence_length=8, batch_size=4, warmup_steps=10)
    model = models.LSTMLanguageModel(20, 8, 8)
    budget = train_with_recipe(model, adamw, data, data, max_steps=2, verbose=0)
    assert type(model.optimizer).__name__ == "AdamW"
    assert model.loss.sequence_length is None
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3 * 2 / 11)
    assert budget.steps == 2

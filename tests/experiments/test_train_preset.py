import math

import numpy as np
import pytest

from lmzoo.data import stateful_streams
from lmzoo.experiments import train_preset
from tests.harness import mean_cross_entropy, stateful_cross_entropy


def test_gpt_shakespeare_cpu_recipe_smoke(shakespeare):
    model, result = train_preset(
        "gpt-shakespeare-cpu",
        max_steps=6,
        eval_interval=3,
        eval_tokens=2 * 12 * 64,
        verbose=0,
    )
    assert model.max_sequence_length == 64
    assert result["steps"] == 6 and result["train_tokens"] == 6 * 12 * 64  # recipe
    validation = model.tokenizer.encode(shakespeare.validation)
    expected = mean_cross_entropy(model, validation, 64)
    assert result["val_loss"] == pytest.approx(expected, rel=1e-4)
    assert result["val_loss"] < math.log(66)
    assert "test_perplexity" not in result


def test_lstm_ptb_small_recipe_smoke(ptb_head):
    model, result = train_preset(
        "lstm-ptb-small",
        ptb_head,
        epochs=2,
        verbose=0,
        model_overrides={"hidden_dim": 32},
    )
    assert model.stateful
    # 12 validations spread over the budget; the last one, like the final
    # figure, runs over the whole validation split from a zero state.
    curve = result["curve"]
    assert len(curve) == 12 and curve[-1]["step"] == result["steps"]
    assert [point["step"] for point in curve] == sorted({p["step"] for p in curve})
    assert math.isclose(curve[-1]["val_loss"], result["val_loss"], rel_tol=1e-5)
    assert result["train_tokens"] == result["steps"] * 20 * 20
    tokenizer = model.tokenizer
    for split in ("validation", "test"):
        ids = tokenizer.encode(ptb_head.splits[split])
        streams = stateful_streams(ids, 20, 20, start_token=tokenizer.end_of_line_id)
        prefix = "val" if split == "validation" else split
        assert result[f"{prefix}_loss"] == pytest.approx(
            stateful_cross_entropy(model, streams), rel=1e-4
        )
    assert 1 < result["test_perplexity"] < tokenizer.vocabulary_size


def test_stateful_recipe_stretches_its_schedule_over_a_budget(ptb_head):
    model, result = train_preset(
        "lstm-ptb-small",
        ptb_head,
        max_steps=7,
        verbose=0,
        model_overrides={"hidden_dim": 16, "embedding_dim": 16},
    )
    assert result["steps"] == 7  # stopped inside the first epoch
    # 12 validations are due over 7 steps: one after each step.
    assert [point["step"] for point in result["curve"]] == [1, 2, 3, 4, 5, 6, 7]
    # The last step ran at 6/7 of the budget: the paper's epoch int(6 / 7 * 13) = 11.
    assert float(model.optimizer.learning_rate) == 0.5**8


def test_validating_mid_epoch_leaves_the_carried_state_alone(ptb_head):
    def final_weights(eval_interval):
        model, result = train_preset(
            "lstm-ptb-small",
            ptb_head,
            max_steps=6,
            eval_interval=eval_interval,
            verbose=0,
            model_overrides={"hidden_dim": 16, "embedding_dim": 16},
        )
        return [w.numpy() for w in model.weights], len(result["curve"])

    validated_every_step, points = final_weights(eval_interval=1)
    validated_at_the_end, one_point = final_weights(eval_interval=1000)
    assert (points, one_point) == (6, 1)
    for a, b in zip(validated_every_step, validated_at_the_end, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.serial
def test_a_wall_clock_budget_stops_real_training_on_time():
    # The LSTM compiles no XLA program, but its first step still traces the
    # train function (about 2 s, more on a loaded machine).
    model, result = train_preset(
        "lstm-small",
        max_seconds=6.0,
        sequence_length=32,
        batch_size=8,
        verbose=0,
        model_overrides={"embedding_dim": 32, "hidden_dim": 64},
    )
    steady = result["train_seconds"] / result["steps"]
    assert result["steps"] > 5
    # It stops at the first step that ends past the budget: within a step or so.
    assert 6.0 <= result["train_seconds"] <= 6.0 + max(3 * steady, 0.5)
    assert result["curve"][-1]["train_seconds"] == pytest.approx(
        result["train_seconds"], abs=0.05
    )

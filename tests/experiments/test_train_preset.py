import math

from lmzoo.experiments import train_preset


def test_gpt_shakespeare_cpu_recipe_smoke():
    model, result = train_preset(
        "gpt-shakespeare-cpu", max_steps=6, eval_interval=3, eval_batches=2, verbose=0
    )
    assert model.max_sequence_length == 64
    assert result["steps"] == 6 and result["train_tokens"] == 6 * 12 * 64  # recipe
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
    assert [point["epoch"] for point in result["curve"]] == [1, 2]
    assert result["train_tokens"] == result["steps"] * 20 * 20
    assert 1 < result["test_perplexity"] < ptb_head.build_tokenizer().vocabulary_size
    assert math.isclose(math.log(result["val_perplexity"]), result["val_loss"])


def test_stateful_recipe_stretches_its_schedule_over_a_budget(ptb_head):
    model, result = train_preset(
        "lstm-ptb-small",
        ptb_head,
        max_steps=7,
        verbose=0,
        model_overrides={"hidden_dim": 16, "embedding_dim": 16},
    )
    assert result["steps"] == 7  # stopped inside the first epoch
    assert len(result["curve"]) == 1 and result["curve"][0]["step"] == 7
    # The last step ran at 6/7 of the budget: the paper's epoch int(6 / 7 * 13) = 11.
    assert float(model.optimizer.learning_rate) == 0.5**8

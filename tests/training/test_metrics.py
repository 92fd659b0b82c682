import math

import keras
import numpy as np
import pytest

from lmzoo.training import LanguageModelLoss, Perplexity, TrainingBudget


def test_perplexity_is_exp_of_weighted_mean_cross_entropy():
    logits = np.log(np.array([[[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]]))
    targets = np.array([[0, 1, 0]])
    weights = np.array([[1.0, 1.0, 0.0]])
    metric = Perplexity()
    metric.update_state(targets, logits, sample_weight=weights)
    expected = math.exp(-(math.log(0.5) + math.log(0.8)) / 2)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-6)
    metric.update_state(targets[:, 2:], logits[:, 2:])
    expected = math.exp(-(math.log(0.5) + math.log(0.8) + math.log(0.2)) / 3)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-6)


def test_losses_and_perplexity_are_float32_and_stable_for_float16_logits():
    # The cross-entropy, 120,000 nats, overflows float16 (max 65,504).
    logits = keras.ops.cast(np.array([[[60000.0, -60000.0]]]), "float16")
    targets = np.array([[1]])
    loss = LanguageModelLoss()(targets, logits)
    assert loss.dtype == "float32"
    assert float(loss) == pytest.approx(120000.0, rel=1e-3)
    summed = LanguageModelLoss(sequence_length=1)(targets, logits)
    assert summed.dtype == "float32" and float(summed) == pytest.approx(
        120000.0, rel=1e-3
    )
    metric = Perplexity()
    metric.update_state(targets, keras.ops.cast(np.log([[[0.25, 0.75]]]), "float16"))
    assert float(metric.result()) == pytest.approx(1 / 0.75, rel=1e-3)


class _FakeOptimizer:
    def __init__(self):
        self.learning_rate = keras.Variable(0.0)


class _FakeModel:
    stop_training = False
    optimizer = _FakeOptimizer()


def test_budget_warms_up_decays_and_stops():
    budget = TrainingBudget(1e-3, tokens_per_step=10, max_steps=100, warmup_steps=10)
    budget.set_model(_FakeModel())
    budget.on_train_begin()
    rates = []
    for step in range(100):
        budget.on_train_batch_begin(step)
        rates.append(float(budget.model.optimizer.learning_rate.numpy()))
        assert not budget.model.stop_training
        budget.on_train_batch_end(step)
    assert budget.model.stop_training and budget.tokens == 1000
    # nanoGPT's get_lr: linear warmup, then the cosine over steps 10..100.
    assert rates[0] == pytest.approx(1e-3 / 11, rel=1e-6)
    assert rates[9] == pytest.approx(1e-3 * 10 / 11, rel=1e-6)
    assert rates[10] == pytest.approx(1e-3, rel=1e-6)
    assert rates[55] == pytest.approx(1e-4 + 0.9e-3 * 0.5, rel=1e-6)
    assert rates[99] == pytest.approx(
        1e-4 + 0.9e-3 * 0.5 * (1 + math.cos(math.pi * 89 / 90)), rel=1e-6
    )
    assert all(a >= b for a, b in zip(rates[10:], rates[11:], strict=False))


def test_budget_needs_a_limit():
    with pytest.raises(ValueError, match="max_steps"):
        TrainingBudget(1e-3, tokens_per_step=10)


class _FakeClock:
    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def test_time_budget_counts_only_training_steps(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr("lmzoo.training.budget.time", clock)
    budget = TrainingBudget(1e-3, tokens_per_step=10, max_seconds=10.0)
    budget.set_model(_FakeModel())
    budget.on_train_begin()
    stopped_after = None
    for step in range(10):
        clock.now += 100.0  # evaluation, a new epoch's iterator, ...
        budget.on_train_batch_begin(step)
        clock.now += 3.0
        budget.on_train_batch_end(step)
        if budget.model.stop_training:
            stopped_after = step + 1
            break
    assert stopped_after == 4
    assert budget.train_seconds == pytest.approx(12.0)
    clock.now += 50.0
    assert budget.train_seconds == pytest.approx(12.0)
    assert budget.steady_tokens_per_second() == pytest.approx(30 / 9.0)


@pytest.mark.parametrize(
    "limits, message",
    [
        ({"max_seconds": -60.0}, "max_seconds must be positive, got -60.0"),
        ({"max_steps": 0}, "max_steps must be positive, got 0"),
        ({"max_tokens": 0, "max_steps": 5}, "max_tokens must be positive, got 0"),
        ({"max_steps": 5, "eval_interval": 0}, "eval_interval must be positive"),
    ],
)
def test_budgets_that_never_end_or_never_start_are_refused(limits, message):
    with pytest.raises(ValueError, match=message):
        TrainingBudget(1e-3, tokens_per_step=10, **limits)


def test_time_budget_validates_at_evenly_spread_points(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr("lmzoo.training.budget.time", clock)
    perplexities = iter(range(2, 100))
    budget = TrainingBudget(
        1e-3,
        tokens_per_step=10,
        max_seconds=60.0,
        evaluate=lambda: next(perplexities),
        evaluations=4,
    )
    budget.set_model(_FakeModel())
    step = 0
    while not budget.model.stop_training:
        budget.on_train_batch_begin(step)
        clock.now += 7.0  # 60 s is spent during the ninth step
        budget.on_train_batch_end(step)
        clock.now += 1000.0  # evaluation does not count
        step += 1
    # Due at 15, 30, 45 and 60 seconds: after steps 3 (21 s), 5, 7 and 9.
    assert [point["step"] for point in budget.curve] == [3, 5, 7, 9]
    assert [point["train_seconds"] for point in budget.curve] == [21, 35, 49, 63]
    assert [point["val_loss"] for point in budget.curve] == pytest.approx(
        [math.log(p) for p in (2, 3, 4, 5)]
    )


def test_evaluation_counts_real_tokens_only():
    from lmzoo.data import language_model_dataset
    from lmzoo.models import get
    from lmzoo.training import compile_language_model, validation_perplexity
    from tests.harness import mean_cross_entropy

    ids = np.random.default_rng(0).integers(1, 20, 41).astype("int32")
    model = compile_language_model(get("gpt-nano", 20, max_sequence_length=32))
    # 40 targets in windows of 32: the second window is 8 tokens and 24 padding.
    perplexity = validation_perplexity(model, language_model_dataset(ids, 32, 2))
    assert math.log(perplexity) == pytest.approx(
        mean_cross_entropy(model, ids, 32), rel=1e-5
    )


def test_summed_cross_entropy_matches_float64_on_large_logits():
    from lmzoo.training import summed_cross_entropy

    rng = np.random.default_rng(1)
    logits = rng.normal(0, 40, (3, 5, 700)).astype("float32")
    targets = rng.integers(0, 700, (3, 5))
    weights = (rng.random((3, 5)) > 0.3).astype("float32")
    total, count = summed_cross_entropy(logits, targets, weights)
    wide = logits.astype("float64")
    peak = wide.max(-1, keepdims=True)
    log_probs = wide - peak - np.log(np.exp(wide - peak).sum(-1, keepdims=True))
    expected = -(np.take_along_axis(log_probs, targets[..., None], -1)[..., 0])
    assert float(count) == weights.sum()
    assert float(total) == pytest.approx((expected * weights).sum(), rel=1e-5)

import math
import time

import keras
import numpy as np
import pytest

from lmzoo.data import Corpus
from lmzoo.experiments import train_preset
from lmzoo.experiments.turns import TakeTurns


class LearningRates(keras.callbacks.Callback):
    """Records, before each step, the rate the step uses and the run's own
    training seconds so far (the time between its batch callbacks)."""

    def __init__(self):
        super().__init__()
        self.rates, self.own_seconds, self.wall = [], [], []
        self._spent, self._started = 0.0, None

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate.numpy()))
        self.own_seconds.append(self._spent)
        self.wall.append(time.perf_counter())
        self._started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._spent += time.perf_counter() - self._started


def _cosine(peak, progress):
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1))))


def _job(preset, corpus, rates=None, **budget):
    def run(*callbacks):
        model, result = train_preset(
            preset,
            corpus,
            seed=3,
            verbose=0,
            callbacks=[*([rates] if rates else []), *callbacks],
            **budget,
        )
        return model, result

    return run


def test_taking_turns_learns_what_training_alone_learns(ptb_head):
    # The stateful LSTM (SGD, carried state, mid-run validation) and a GPT
    # (AdamW, shuffled windows), switching every 2 steps.
    jobs = {
        "lstm-ptb-small": _job(
            "lstm-ptb-small", ptb_head, max_steps=7, eval_interval=3
        ),
        "gpt-nano": _job("gpt-nano", ptb_head, max_steps=5, batch_size=4),
    }
    turns = TakeTurns(slice_steps=2)
    taken = turns.run(jobs)
    assert turns.switches >= 5
    for name, job in jobs.items():
        alone_model, alone = job()
        model, result = taken[name]
        assert result["steps"] == alone["steps"]
        assert result["val_loss"] == pytest.approx(alone["val_loss"], rel=1e-6)
        for a, b in zip(model.get_weights(), alone_model.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.serial
def test_each_schedule_follows_its_own_share_of_a_wall_clock_budget(shakespeare):
    # A short training split fills the shuffle buffer at once, and one
    # validation at the end keeps the recorder's clock on training alone.
    corpus = Corpus(
        "toy",
        "char",
        {"train": shakespeare.train[:50_000], "validation": shakespeare.validation},
    )
    small = {"sequence_length": 32, "batch_size": 8, "warmup_steps": 0}
    rates = {"a": LearningRates(), "b": LearningRates()}
    jobs = {
        name: _job(
            "lstm-small",
            corpus,
            rates[name],
            max_seconds=seconds,
            model_overrides={"embedding_dim": 16, "hidden_dim": 32},
            eval_tokens=2048,
            eval_interval=10**6,
            **small,
        )
        for name, seconds in (("a", 6.0), ("b", 7.0))
    }
    started = time.perf_counter()
    turns = TakeTurns(slice_seconds=0.25)
    taken = turns.run(jobs)
    wall = time.perf_counter() - started
    assert turns.switches >= 8
    for name, seconds in (("a", 6.0), ("b", 7.0)):
        _, result = taken[name]
        steady = result["train_seconds"] / result["steps"]
        assert seconds <= result["train_seconds"] <= seconds + max(3 * steady, 0.5)
        peak = rates[name].rates[0]

        own = [_cosine(peak, spent / seconds) for spent in rates[name].own_seconds]
        np.testing.assert_allclose(rates[name].rates, own, atol=0.05 * peak)
        # By the wall clock, which runs on while the other model trains, the
        # rates would be far off: the test can tell the two apart.
        start = rates[name].wall[0]
        by_wall = [_cosine(peak, (at - start) / seconds) for at in rates[name].wall]
        assert np.abs(np.subtract(rates[name].rates, by_wall)).max() > 0.1 * peak
    overhead = sum(turns.overhead_seconds(name) for name in jobs)
    assert 0 <= overhead < 0.1 * wall


def test_a_failing_job_cancels_the_others():
    finished = []

    def fails(callback):
        raise ValueError("bad config in job a")

    def trains(callback):
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile(loss="mse")
        model.fit(
            np.ones((50, 1)), np.ones(50), batch_size=1, verbose=0, callbacks=[callback]
        )
        finished.append("b")

    with pytest.raises(ValueError, match="bad config in job a"):
        TakeTurns(slice_steps=1).run({"a": fails, "b": trains})
    assert finished == []


def test_turns_refuse_a_slice_that_is_not_positive():
    with pytest.raises(ValueError, match="slice_seconds must be positive, got 0"):
        TakeTurns(slice_seconds=0)
    with pytest.raises(ValueError, match="slice_steps must be positive, got -1"):
        TakeTurns(slice_steps=-1)

import keras
import numpy as np
import pytest

from lmzoo import models
from lmzoo.data import stateful_streams
from lmzoo.training import (
    LanguageModelLoss,
    Perplexity,
    ResetStates,
    halving_schedule,
    stretched_halving_schedule,
)


def test_halving_schedule_matches_the_paper():
    schedule = halving_schedule(1.0)
    assert [schedule(epoch) for epoch in range(13)] == [1.0] * 4 + [
        0.5**k for k in range(1, 10)
    ]


def test_stretched_schedule_is_the_paper_at_a_budget_of_13_epochs():
    per_epoch = halving_schedule(1.0)
    stretched = stretched_halving_schedule(1.0, epochs=13)
    steps_per_epoch = 7
    for step in range(13 * steps_per_epoch):
        progress = step / (13 * steps_per_epoch)
        assert stretched(progress) == per_epoch(step // steps_per_epoch)
    assert stretched(1.0) == per_epoch(12)  # the end of the budget: last epoch


def test_sequence_loss_is_sequence_length_times_the_mean():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 5, 7)).astype("float32")
    targets = rng.integers(0, 7, (3, 5))
    mean = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(targets, logits)
    summed = LanguageModelLoss(sequence_length=5)(targets, logits)
    assert float(summed) == pytest.approx(5 * float(mean), rel=1e-5)


def _stateful_model():
    model = models.get("lstm-ptb-small", 50, hidden_dim=8, embedding_dim=8)
    model.compile(
        optimizer=keras.optimizers.SGD(1.0, global_clipnorm=5.0),
        loss=LanguageModelLoss(4),
        metrics=[Perplexity()],
    )
    return model


def _state(model):
    states = model.backbone.lstm_layers[
        0
    ].states  # None until the first batch builds it
    return 0.0 if states is None else float(np.abs(states[0].numpy()).sum())


def test_state_carries_within_an_epoch_and_resets_between():
    model = _stateful_model()
    streams = stateful_streams(np.arange(1, 200) % 50, batch_size=2, sequence_length=4)
    seen = []
    probe = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(_state(model))
    )
    model.fit(streams, epochs=3, callbacks=[ResetStates(), probe], verbose=0)
    steps = int(streams.cardinality())
    # The state exists from the first batch on; epochs 2 and 3 start from zeros
    # although the batch before each had left a non-zero state.
    assert seen[steps - 1] > 0 and seen[steps] == 0.0
    assert seen[2 * steps - 1] > 0 and seen[2 * steps] == 0.0
    carried = [value for i, value in enumerate(seen) if i % steps]
    assert all(value > 0 for value in carried)  # carried between batches


def test_evaluation_starts_from_zero_state():
    model = _stateful_model()
    ids = np.arange(1, 300) % 50
    streams = stateful_streams(ids, batch_size=2, sequence_length=4, start_token=0)
    model.fit(streams, epochs=1, verbose=0)
    assert _state(model) > 0
    first = model.evaluate(
        streams, return_dict=True, verbose=0, callbacks=[ResetStates()]
    )
    second = model.evaluate(
        streams, return_dict=True, verbose=0, callbacks=[ResetStates()]
    )
    assert first["perplexity"] == pytest.approx(second["perplexity"], rel=1e-6)


def test_preset_parameter_counts():
    lstm = models.get("lstm-ptb-small", 10_000)
    lstm(np.zeros((20, 20), "int32"))
    lstm_layer = 4 * (200 * 200 + 200 * 200 + 200)
    assert lstm.count_params() == 10_000 * 200 + 2 * lstm_layer + 200 * 10_000 + 10_000
    assert lstm.count_params() == 4_651_600
    gpt = models.get("gpt-shakespeare-cpu", 65)
    gpt(np.zeros((1, 64), "int32"))
    block = 12 * 128 * 128 + 13 * 128  # weights + biases + 2 LayerNorms
    embeddings = 65 * 128 + 64 * 128
    assert gpt.count_params() == 4 * block + embeddings + 2 * 128
    # nanoGPT (bias=False) counts no biases, no LayerNorm betas, no position table:
    nanogpt_count = gpt.count_params() - 64 * 128 - 4 * 11 * 128 - 128
    assert nanogpt_count == 795_904  # nanoGPT prints "number of parameters: 0.80M"

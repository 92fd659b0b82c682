import numpy as np
import pytest

from lmzoo import models
from lmzoo.models import LSTMLanguageModel
from tests.harness import log_perplexity_drop, run_layer_test

SMALL = {"vocabulary_size": 66, "embedding_dim": 16, "hidden_dim": 24, "num_layers": 2}


def test_lstm_passes_the_layer_harness(token_batch, tmp_path):
    run_layer_test(
        LSTMLanguageModel,
        SMALL,
        token_batch,
        (2, 16, 66),
        tmp_path=tmp_path,
        float32_output=True,
    )


def test_state_carries_across_calls(token_batch):
    model = LSTMLanguageModel(**SMALL)
    full = model(token_batch)
    first, state = model(token_batch[:, :9], return_state=True)
    second = model(token_batch[:, 9:], initial_state=state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), full, atol=1e-5)


def test_left_and_right_padded_rows_match_each_row_alone(token_batch):
    model = LSTMLanguageModel(**SMALL)
    ids = np.zeros((3, 16), "int32")
    ids[0] = token_batch[0]
    ids[1, 5:] = token_batch[1, :11]  # left-padded by 5
    ids[2, :7] = token_batch[1, :7]  # right-padded after 7
    mask = np.zeros((3, 16), bool)
    mask[0], mask[1, 5:], mask[2, :7] = True, True, True
    logits = model({"token_ids": ids, "padding_mask": mask}).numpy()
    np.testing.assert_allclose(logits[0], model(token_batch[:1]).numpy()[0], atol=1e-5)
    np.testing.assert_allclose(
        logits[1, 5:], model(token_batch[1:2, :11]).numpy()[0], atol=1e-5
    )
    np.testing.assert_allclose(
        logits[2, :7], model(token_batch[1:2, :7]).numpy()[0], atol=1e-5
    )
    unmasked = model(ids).numpy()
    assert np.abs(unmasked[1, 5:] - logits[1, 5:]).max() > 1e-4


def test_tied_embeddings_need_equal_sizes(token_batch):
    tied = LSTMLanguageModel(66, embedding_dim=24, hidden_dim=24, tie_embeddings=True)
    assert tied(token_batch).shape == (2, 16, 66)
    untied = LSTMLanguageModel(66, 24, 24)
    untied(token_batch)
    assert tied.count_params() == untied.count_params() - (24 * 66 + 66)
    with pytest.raises(ValueError, match="embedding_dim == hidden_dim"):
        LSTMLanguageModel(66, embedding_dim=16, hidden_dim=24, tie_embeddings=True)


def test_init_scale_bounds_every_weight(token_batch):
    model = LSTMLanguageModel(**SMALL, init_scale=0.1)
    model(token_batch)
    for weight in model.weights:
        if "bias" not in weight.path:
            assert np.abs(weight.numpy()).max() <= 0.1


def test_lstm_loss_falls_on_tiny_shakespeare(shakespeare_ids):
    model = models.get("lstm-small", 66, hidden_dim=128, embedding_dim=64)
    before, after = log_perplexity_drop(model, shakespeare_ids, 32, 16, 1e-2)
    assert after < before - 0.7


def test_a_stateful_model_generates_at_any_batch_size_and_keeps_its_state():
    stateful = LSTMLanguageModel(**SMALL, stateful=True)
    stateful(np.ones((20, 5), "int32"))  # trained at batch 20: state is [20, hidden]
    carried = [state.numpy() for state in stateful.backbone.lstm_layers[0].states]
    stateless = LSTMLanguageModel(**SMALL)
    stateless(np.ones((1, 5), "int32"))
    stateless.set_weights(stateful.get_weights())
    prompt = np.array([[3, 4, 5]], "int32")
    ours = stateful.generate(prompt, max_new_tokens=8, strategy="greedy")
    expected = stateless.generate(prompt, max_new_tokens=8, strategy="greedy")
    np.testing.assert_array_equal(ours["token_ids"], expected["token_ids"])
    for before, after in zip(
        carried, stateful.backbone.lstm_layers[0].states, strict=True
    ):
        np.testing.assert_array_equal(before, after.numpy())


def test_lstm_backbone_passes_the_layer_harness(token_batch, tmp_path):
    run_layer_test(
        models.LSTMBackbone, SMALL, token_batch, (2, 16, 24), tmp_path=tmp_path
    )

import numpy as np
import pytest

from lmzoo import models
from lmzoo.models import GPT
from tests.harness import log_perplexity_drop, run_layer_test

SMALL = {
    "vocabulary_size": 66,
    "max_sequence_length": 32,
    "num_layers": 2,
    "num_heads": 4,
    "hidden_dim": 32,
}


def test_gpt_passes_the_layer_harness(token_batch, tmp_path):
    run_layer_test(
        GPT, SMALL, token_batch, (2, 16, 66), tmp_path=tmp_path, float32_output=True
    )


def test_lm_head_is_tied_to_token_embedding(token_batch):
    model = GPT(**SMALL)
    logits = model(token_batch)
    hidden = model.backbone.embedding(token_batch)
    for block in model.backbone.blocks:
        hidden = block(hidden)
    hidden = model.backbone.final_layer_norm(hidden).numpy()
    embeddings = model.backbone.embedding.token_embedding.embeddings.numpy()
    np.testing.assert_allclose(logits, hidden @ embeddings.T, rtol=1e-5, atol=1e-5)
    names = [w.path for w in model.weights]
    assert sum("embeddings" in name for name in names) == 2  # tokens + positions


def test_outputs_at_t_ignore_future_tokens(token_batch):
    model = GPT(**SMALL)
    changed = token_batch.copy()
    changed[:, 10:] = (changed[:, 10:] + 7) % 66
    np.testing.assert_allclose(
        model(token_batch)[:, :10], model(changed)[:, :10], atol=1e-5
    )
    assert np.abs(model(token_batch)[:, 10:] - model(changed)[:, 10:]).max() > 1e-3


def test_right_padded_rows_match_each_row_alone(token_batch):
    model = GPT(**SMALL)
    lengths = [16, 9]
    padded = token_batch.copy()
    padded[1, 9:] = 0
    mask = np.arange(16)[None] < np.array(lengths)[:, None]
    logits = model({"token_ids": padded, "padding_mask": mask}).numpy()
    for row, length in enumerate(lengths):
        alone = model(token_batch[row : row + 1, :length]).numpy()
        np.testing.assert_allclose(logits[row, :length], alone[0], atol=1e-5)
    with pytest.raises(ValueError, match="token_ids"):
        model({"ids": token_batch})


def test_masked_keys_do_not_reach_later_positions(token_batch):
    model = GPT(**SMALL)
    mask = np.ones_like(token_batch, dtype=bool)
    mask[:, 3:6] = False
    changed = token_batch.copy()
    changed[:, 3:6] = (changed[:, 3:6] + 5) % 66
    masked = model({"token_ids": token_batch, "padding_mask": mask}).numpy()
    masked_changed = model({"token_ids": changed, "padding_mask": mask}).numpy()
    np.testing.assert_allclose(masked[:, 6:], masked_changed[:, 6:], atol=1e-5)
    unmasked_changed = model(changed).numpy()
    assert (
        np.abs(unmasked_changed[:, 6:] - model(token_batch).numpy()[:, 6:]).max() > 1e-3
    )


def test_too_long_input_is_refused():
    model = GPT(**SMALL)
    with pytest.raises(ValueError, match="max_sequence_length is 32"):
        model(np.zeros((1, 33), "int32"))


def test_cached_forward_matches_full_forward(token_batch):
    model = GPT(**SMALL)
    full = model(token_batch)
    cache = model.init_cache(2)
    logits, cache = model.decode_step(token_batch[:, :10], cache, 0)
    np.testing.assert_allclose(logits, full[:, :10], atol=1e-5)
    for index in range(10, 16):
        step, cache = model.decode_step(token_batch[:, index : index + 1], cache, index)
        np.testing.assert_allclose(step[:, 0], full[:, index], atol=1e-5)


def test_gpt_loss_falls_on_tiny_shakespeare(shakespeare_ids):
    model = models.get("gpt-nano", 66, max_sequence_length=64)
    before, after = log_perplexity_drop(model, shakespeare_ids, 64, 16, 3e-3)
    assert before > np.log(50)  # about uniform over 66 symbols at the start
    assert after < before - 1.0


def test_without_biases_it_has_nanogpts_parameter_count():
    model = GPT(
        65,
        max_sequence_length=64,
        num_layers=4,
        num_heads=4,
        hidden_dim=128,
        use_bias=False,
    )
    model(np.zeros((1, 64), "int32"))
    names = [variable.path for variable in model.weights]
    assert not [name for name in names if name.endswith(("bias", "beta"))]
    # nanoGPT (bias=False) reports 795,904 parameters, leaving out its position table.
    assert model.count_params() == 795_904 + 64 * 128
    assert GPT.from_config(model.get_config()).backbone.use_bias is False


def test_gpt_backbone_passes_the_layer_harness(token_batch, tmp_path):
    run_layer_test(
        models.GPTBackbone, SMALL, token_batch, (2, 16, 32), tmp_path=tmp_path
    )

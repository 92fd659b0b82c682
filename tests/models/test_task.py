"""The task contract: backbone + head + preprocessor, strings in, one input dict."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from lmzoo.data import CausalLMPreprocessor, CharTokenizer
from lmzoo.models import GPT, GPTBackbone, LSTMLanguageModel, upgrade_keras_file
from lmzoo.training import compile_language_model
from tests.conftest import REPO

TEXTS = ["ROMEO: hello there", "JULIET: good night", "ROMEO: farewell", "JULIET: ay"]
TOKENIZER = CharTokenizer.from_text("".join(TEXTS))
TASKS = {
    "gpt": lambda: GPT(
        TOKENIZER.vocabulary_size,
        max_sequence_length=16,
        num_layers=1,
        hidden_dim=16,
        tokenizer=TOKENIZER,
    ),
    "lstm": lambda: LSTMLanguageModel(
        TOKENIZER.vocabulary_size, 8, 16, num_layers=1, tokenizer=TOKENIZER
    ),
}


@pytest.fixture(params=sorted(TASKS))
def task(request):
    return TASKS[request.param]()


def test_predict_on_strings_equals_the_model_on_preprocessed_inputs(task):
    logits = task.predict(TEXTS, batch_size=2, verbose=0)
    features, _, _ = task.preprocessor(TEXTS)
    np.testing.assert_allclose(logits, task(features), atol=1e-5)
    assert logits.shape == (4, task.preprocessor.sequence_length, 26)


def test_fit_on_strings_and_on_a_dataset_of_strings_lowers_the_loss(task):
    compile_language_model(task, learning_rate=1e-2)
    before = task.evaluate(TEXTS, verbose=0)[0]
    task.fit(TEXTS * 8, batch_size=4, epochs=3, verbose=0)
    task.fit(tf.data.Dataset.from_tensor_slices(TEXTS * 8), epochs=1, verbose=0)
    assert task.evaluate(TEXTS, verbose=0)[0] < before - 0.5


def test_a_preprocessor_does_not_cost_the_model_its_xla_step():
    model = TASKS["gpt"]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile_language_model(model, jit_compile=True)
    assert model.jit_compile is True


def test_tasks_can_share_one_backbone(token_batch):
    backbone = GPTBackbone(66, max_sequence_length=16, num_layers=1, hidden_dim=16)
    first, second = GPT(backbone=backbone), GPT(backbone=backbone)
    np.testing.assert_array_equal(first(token_batch), second(token_batch))
    table = backbone.embedding.token_embedding.embeddings
    table.assign(table * 2.0)
    np.testing.assert_array_equal(first(token_batch), second(token_batch))
    with pytest.raises(ValueError, match="a backbone or its arguments, not both"):
        GPT(backbone=backbone, num_layers=2)


def test_keras_round_trip_keeps_the_preprocessor(task, tmp_path):
    expected = task.predict(TEXTS, verbose=0)
    task.save(tmp_path / "task.keras")
    restored = keras.models.load_model(tmp_path / "task.keras")
    assert restored.tokenizer.vocabulary == TOKENIZER.vocabulary
    assert restored.preprocessor.sequence_length == task.preprocessor.sequence_length
    np.testing.assert_allclose(restored.predict(TEXTS, verbose=0), expected, atol=1e-6)


@pytest.mark.parametrize("make", [TASKS["gpt"], TASKS["lstm"]])
def test_the_input_contract(make):
    model = make()
    ids = np.array([[1, 2, 3]], "int32")
    np.testing.assert_array_equal(model(ids), model({"token_ids": ids}))
    with pytest.raises(ValueError, match="has no segments: drop 'segment_ids'"):
        model({"token_ids": ids, "segment_ids": np.zeros_like(ids)})
    with pytest.raises(ValueError, match=r"got keys \['mask', 'token_ids'\]"):
        model({"token_ids": ids, "mask": ids > 0})


def test_a_preprocessor_runs_inside_a_saved_model(tmp_path):
    preprocessor = CausalLMPreprocessor(TOKENIZER, sequence_length=8)
    module = tf.Module()
    module.preprocessor = preprocessor
    module.pack = tf.function(
        lambda text: module.preprocessor(text)[0]["token_ids"],
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    tf.saved_model.save(module, str(tmp_path / "preprocessor"))
    served = tf.saved_model.load(str(tmp_path / "preprocessor"))
    expected = CausalLMPreprocessor(TOKENIZER, 8)(TEXTS)[0]["token_ids"]
    np.testing.assert_array_equal(served.pack(tf.constant(TEXTS)), expected)


@pytest.mark.parametrize("name", ["gpt", "lstm"])
def test_files_saved_before_the_split_upgrade_to_the_same_model(name, tmp_path):
    legacy = REPO / "tests" / "models" / "legacy"
    expected = np.load(legacy / "expected.npz")
    with pytest.raises(ValueError, match="upgrade_keras_file"):
        keras.models.load_model(legacy / f"{name}.keras")
    model = upgrade_keras_file(legacy / f"{name}.keras", tmp_path / "new.keras")
    np.testing.assert_allclose(
        model(expected["token_ids"]), expected[name], rtol=1e-6, atol=1e-6
    )
    assert model.tokenizer.decode(expected["token_ids"][0]) == "hello ROMEO"
    assert keras.models.load_model(tmp_path / "new.keras").tokenizer is not None

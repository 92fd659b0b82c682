"""Bad input gets an error that names the problem, in Python and on the command line.

Cases tested elsewhere: `num_heads` that does not divide the width
(`models/test_presets.py`), a sequence longer than the position table
(`models/test_gpt.py`), empty and non-UTF-8 corpus files
(`data/test_corpora.py`), corrupt safetensors and unsupported Hugging Face
architectures (`interop/test_huggingface.py`), corrupt checkpoints and
foreign run folders (`training/test_checkpoints.py`), unknown strategies
(`training/test_distribute.py`), unknown presets and corpora and
non-positive budgets (`test_cli.py`, `experiments/test_compare.py`).
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from lmzoo import data, models
from lmzoo.export import save
from lmzoo.training import compile_language_model

LMZOO = os.path.join(os.path.dirname(sys.executable), "lmzoo")


def _cli(*arguments, cwd):
    result = subprocess.run(
        [LMZOO, *arguments], capture_output=True, text=True, cwd=cwd
    )
    return result.returncode, result.stderr.strip().splitlines()


@pytest.fixture(scope="module")
def gpt():
    tokenizer = data.CharTokenizer.from_text("abcdefgh ")
    model = models.GPT(
        tokenizer=tokenizer,
        num_layers=1,
        hidden_dim=16,
        vocabulary_size=tokenizer.vocabulary_size,
        max_sequence_length=32,
    )
    compile_language_model(model)
    return model


def test_a_vocabulary_smaller_than_the_tokenizers_is_refused():
    tokenizer = data.CharTokenizer.from_text("abcdefghijklmnop")
    with pytest.raises(
        ValueError,
        match=r"The tokenizer has 17 ids but the model's vocabulary for token_ids "
        r"has 10: ids 10 to 16 would fall outside its embedding",
    ):
        models.GPT(vocabulary_size=10, tokenizer=tokenizer, num_layers=1)


def test_ids_out_of_range_are_named_at_fit_and_predict(gpt):
    ids = np.array([[1, 2, 3, 40]], "int32")
    message = r"token_ids: token id 40 is out of range; the model's vocabulary has 10"
    with pytest.raises(ValueError, match=message):
        gpt.fit(ids, ids, verbose=0)
    with pytest.raises(ValueError, match=message):
        gpt.predict(ids, verbose=0)
    with pytest.raises(ValueError, match=r"token id -1 is out of range"):
        gpt.evaluate(np.array([[-1, 2]]), np.array([[1, 2]]), verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((ids, ids)).batch(1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[40\] \[is out of"):
        gpt.fit(dataset, verbose=0)


def test_an_encoder_decoder_checks_each_vocabulary():
    model = models.Seq2SeqTransformer(
        20, target_vocabulary_size=8, num_layers=1, hidden_dim=8, num_heads=2
    )
    features = {
        "encoder_token_ids": np.array([[1, 19]]),
        "encoder_padding_mask": np.array([[True, True]]),
        "decoder_token_ids": np.array([[1, 9]]),
        "decoder_padding_mask": np.array([[True, True]]),
    }
    with pytest.raises(ValueError, match="decoder_token_ids: token id 9 .* has 8 ids"):
        model.predict(features, verbose=0)


def test_a_mask_of_the_wrong_dtype_or_shape_is_refused(gpt):
    ids = np.ones((2, 5), "int32")
    with pytest.raises(ValueError, match="GPT's padding_mask must be bool .* float32"):
        gpt({"token_ids": ids, "padding_mask": np.ones((2, 5), "float32")})
    with pytest.raises(
        ValueError, match=r"padding_mask has shape \[2, 4\] but its token_ids \[2, 5\]"
    ):
        gpt({"token_ids": ids, "padding_mask": np.ones((2, 4), bool)})


def test_a_binary_corpus_file_is_named_with_the_offset(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04 some text\x00\x00")
    with pytest.raises(
        ValueError,
        match=r"model\.bin is binary, not text: a NUL "
        r"byte at offset 14",
    ):
        data.load_corpus(path)


def test_a_truncated_keras_file_is_one_line_on_the_command_line(gpt, tmp_path):
    gpt.save(tmp_path / "whole.keras")
    broken = tmp_path / "broken.keras"
    broken.write_bytes((tmp_path / "whole.keras").read_bytes()[:300])
    status, lines = _cli(
        "generate", "--model", str(broken), "--prompt", "ab", cwd=tmp_path
    )
    assert status == 1 and len(lines) == 1
    assert lines[0].startswith(
        f"lmzoo generate: error: {broken} is not a readable .keras file (truncated "
        "or corrupt"
    )


def test_an_unknown_signature_is_refused_with_the_valid_ones(gpt, tmp_path):
    with pytest.raises(
        ValueError,
        match="Unknown signature 'predict'; this model "
        "has serve, serve_padded, generate, tokenize",
    ):
        save(gpt, tmp_path / "gpt" / "1", signatures=["generate", "predict"])
    path = save(gpt, tmp_path / "gpt" / "2", signatures=["generate"])
    served = tf.saved_model.load(str(path))
    assert set(served.signatures) == {"generate", "serving_default"}


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"strategy": "sample", "temperature": -0.5}, "temperature must be > 0"),
        ({"strategy": "sample", "top_p": 1.5}, r"top_p must be in \(0, 1\]"),
        ({"strategy": "sample", "top_p": 0.0}, r"top_p must be in \(0, 1\]"),
        ({"strategy": "sample", "top_k": -1}, "top_k must be >= 1"),
        (
            {"max_new_tokens": 40},
            "max_new_tokens=40 exceeds the model's max_sequence_length=32",
        ),
        ({"max_new_tokens": 0}, "max_new_tokens must be >= 1"),
    ],
)
def test_generation_settings_out_of_range_are_named(gpt, settings, message):
    settings = {"max_new_tokens": 4} | settings
    with pytest.raises(ValueError, match=message):
        gpt.generate("abc", **settings)

"""Byte-level BPE against Hugging Face's `tokenizers` on hard text, in graphs too."""

import json

import numpy as np
import pytest
import tensorflow as tf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from lmzoo.data import BytePairTokenizer
from lmzoo.interop.gguf import read_gguf
from tests.conftest import FIXTURES

HARD_TEXT = [
    "Hello world! The quick brown fox jumps over the lazy dog.",
    "def f(x):\n    return x ** 2  # square\n\n\tprint(f(3))\n",
    "a  b   c    d\n\n\ne \t\tf \n g  ",
    "   leading and trailing   ",
    "日本語のテキストと中文字符，还有한국어。",
    "Family: 👨‍👩‍👧‍👦 flags 🇫🇷 thumbs 👍🏽 and ❤️‍🔥",
    "Crème brûlée, naïve café, Ångström, façade, jalapeño",
    "Digits 1234567890 and 3.14159, 1,000,000 and ٣٤٥",
    "x" * 300,
    "antidisestablishmentarianism" * 11,
    "",
    "<|im_start|>user\nWhat's 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "I'm sure you'll see they've done it; it's what we'd do. DON'T 's",
    "nbsp\u00a0here and\u3000ideographic space\u2009thin",
]


def _reference(vocabulary, merges, special_tokens, digits):
    """A `tokenizers.Tokenizer` with the same vocabulary, merges and pre-tokenizer."""
    reference = Tokenizer(
        models.BPE(
            {token: index for index, token in enumerate(vocabulary)},
            [tuple(merge.split(" ")) for merge in merges],
        )
    )
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    reference.pre_tokenizer = (
        pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level]
        )
        if digits
        else byte_level
    )
    reference.decoder = decoders.ByteLevel()
    reference.add_special_tokens(list(special_tokens))
    return reference


@pytest.fixture(scope="module")
def smollm2_tokenizer(smollm2_path):
    return BytePairTokenizer(**read_gguf(smollm2_path)["tokenizer"])


@pytest.fixture(scope="module")
def gpt2_layout():
    return BytePairTokenizer.from_huggingface(FIXTURES / "hf_tiny_gpt2_bpe")


def _assert_same_ids(ours, reference):
    for text in HARD_TEXT:
        expected = reference.encode(text, add_special_tokens=False).ids
        assert ours.encode(text).tolist() == expected, text[:40]
        assert ours.decode(expected) == text


def test_smollm2_vocabulary_matches_tokenizers_with_its_digit_split(smollm2_tokenizer):
    tokenizer = smollm2_tokenizer
    assert tokenizer.pre_tokenizer == "smollm"
    assert tokenizer.vocabulary_size == 49152 and len(tokenizer.merges) == 48900
    reference = _reference(
        tokenizer.vocabulary, tokenizer.merges, tokenizer.special_tokens, digits=True
    )
    _assert_same_ids(tokenizer, reference)


def test_gpt2_layout_matches_tokenizers_byte_level_bpe(gpt2_layout):
    from tokenizers import ByteLevelBPETokenizer

    folder = FIXTURES / "hf_tiny_gpt2_bpe"
    reference = ByteLevelBPETokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt")
    )
    reference.add_special_tokens(["<|endoftext|>"])
    assert gpt2_layout.pre_tokenizer == "gpt2"
    assert gpt2_layout.special_tokens == ["<|endoftext|>"]
    _assert_same_ids(gpt2_layout, reference)


def test_tokenizer_json_gives_the_same_tokenizer(smollm2_tokenizer, tmp_path):
    tokenizer = smollm2_tokenizer
    _reference(
        tokenizer.vocabulary, tokenizer.merges, tokenizer.special_tokens, digits=True
    ).save(str(tmp_path / "tokenizer.json"))
    loaded = BytePairTokenizer.from_huggingface(tmp_path)
    assert loaded.pre_tokenizer == "smollm"
    assert loaded.special_tokens == tokenizer.special_tokens
    for text in HARD_TEXT:
        assert loaded.encode(text).tolist() == tokenizer.encode(text).tolist()


def test_special_tokens_stay_whole_and_plain_text_around_them_does_not(
    smollm2_tokenizer,
):
    tokenizer = smollm2_tokenizer
    ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>").tolist()
    assert ids[0] == tokenizer.token_to_id("<|im_start|>") == 1
    assert ids[-1] == tokenizer.token_to_id("<|im_end|>") == 2
    assert 1 not in tokenizer.encode("<|im_start").tolist()


def test_a_batch_in_a_tf_data_pipeline_equals_one_text_at_a_time(smollm2_tokenizer):
    tokenizer = smollm2_tokenizer
    dataset = tf.data.Dataset.from_tensor_slices(HARD_TEXT).batch(5).map(tokenizer)
    batched = [row for batch in dataset for row in batch.to_list()]
    assert batched == [tokenizer.encode(text).tolist() for text in HARD_TEXT]
    detokenized = tokenizer.detokenize(tf.ragged.constant(batched)).numpy()
    assert [text.decode("utf-8") for text in detokenized] == HARD_TEXT


def test_config_round_trip_tokenizes_alike(gpt2_layout):
    clone = BytePairTokenizer.from_config(gpt2_layout.get_config())
    for text in HARD_TEXT:
        np.testing.assert_array_equal(clone.encode(text), gpt2_layout.encode(text))


def test_a_pre_tokenizer_it_lacks_is_refused_by_name(tmp_path):
    spec = {
        "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁"},
        "decoder": {"type": "ByteLevel"},
        "added_tokens": [],
    }
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="Unsupported pre-tokenizer.*Metaspace"):
        BytePairTokenizer.from_huggingface(tmp_path)
    spec["model"]["type"] = "WordPiece"
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="byte-level BPE.*WordPiece"):
        BytePairTokenizer.from_huggingface(tmp_path)


def test_a_merge_that_makes_no_token_is_refused():
    with pytest.raises(ValueError, match=r"Merge 0 \('a c'\)"):
        BytePairTokenizer(["a", "b", "c", "ab"], ["a c"])

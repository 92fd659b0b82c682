import keras
import numpy as np
import pytest
import tensorflow as tf

from lmzoo.data import CharTokenizer, WordTokenizer, load_corpus


def test_char_round_trip_on_real_text(shakespeare, shakespeare_tokenizer):
    text = shakespeare.validation[:5000]
    ids = shakespeare_tokenizer.encode(text)
    assert len(ids) == len(text)
    assert shakespeare_tokenizer.decode(ids) == text


def test_char_vocabulary_is_sorted_characters_of_train_split(
    shakespeare, shakespeare_tokenizer
):
    assert shakespeare_tokenizer.vocabulary == sorted(set(shakespeare.train))
    assert shakespeare_tokenizer.vocabulary_size == 66  # 65 characters + <unk>


def test_unknown_character_maps_to_zero():
    tokenizer = CharTokenizer.from_text("abc")
    assert tokenizer.encode("abzc").tolist() == [1, 2, 0, 3]
    assert tokenizer.decode([1, 0]) == "a<unk>"


def test_word_tokenizer_ptb_vocabulary_and_eos():
    ptb = load_corpus("ptb")
    tokenizer = ptb.build_tokenizer()
    assert tokenizer.vocabulary_size == 10_000  # the published PTB vocabulary
    ids = tokenizer.encode(ptb.validation)
    assert len(ids) == 73_760  # words plus one <eos> per line
    assert not (ids == 0).all()
    first_line = ptb.validation.split("\n")[0].strip()
    decoded = tokenizer.decode(tokenizer.encode(first_line + "\n"))
    assert decoded.strip() == first_line


def test_word_tokenizer_orders_by_frequency():
    tokenizer = WordTokenizer.from_text("b a b\nc b\n", max_vocabulary_size=3)
    assert tokenizer.vocabulary == ["b", "<eos>"]
    assert tokenizer.encode("a b\n").tolist() == [0, 1, 2]


def test_tokenizer_runs_inside_tf_data_map(shakespeare_tokenizer):
    dataset = tf.data.Dataset.from_tensor_slices(["To be", "or not"]).map(
        shakespeare_tokenizer
    )
    batches = [ids.numpy().tolist() for ids in dataset]
    assert batches[0] == shakespeare_tokenizer.encode("To be").tolist()
    assert len(batches[1]) == 6


def test_config_round_trip_restores_the_same_ids(shakespeare_tokenizer):
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(shakespeare_tokenizer)
    )
    assert isinstance(restored, CharTokenizer)
    text = "ROMEO: hello"
    np.testing.assert_array_equal(
        restored.encode(text), shakespeare_tokenizer.encode(text)
    )


def test_vocabulary_with_oov_token_is_refused():
    with pytest.raises(ValueError, match="OOV token"):
        CharTokenizer(["a", "<unk>"])
    with pytest.raises(ValueError, match="repeated"):
        WordTokenizer(["a", "a"])

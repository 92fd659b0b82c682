import pytest
import tensorflow_datasets as tfds

from lmzoo.data import load_corpus
from lmzoo.data.tfds_source import _with_validation


def test_tfds_tiny_shakespeare_with_mock_data():
    with tfds.testing.mock_data(num_examples=2):
        corpus = load_corpus("tfds:tiny_shakespeare")
    assert corpus.name == "tfds:tiny_shakespeare"
    assert corpus.level == "char"
    assert corpus.train and corpus.validation and corpus.test
    assert corpus.build_tokenizer().vocabulary_size > 1


def test_tfds_imdb_reviews_reads_the_text_feature_as_words():
    with tfds.testing.mock_data(num_examples=3):
        corpus = load_corpus("tfds:imdb_reviews", level="word")
    assert corpus.level == "word"
    assert corpus.train.count("\n") == 2  # three examples joined by newlines
    assert corpus.build_tokenizer().vocabulary_size > 2


def test_missing_validation_split_takes_tail_of_train():
    texts = _with_validation({"train": "a" * 90 + "b" * 10, "test": "c"})
    assert texts == {"train": "a" * 90, "validation": "b" * 10, "test": "c"}


def test_unprepared_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="tfds build tiny_shakespeare"):
        load_corpus("tfds:tiny_shakespeare", data_dir=tmp_path)

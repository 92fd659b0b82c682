import tensorflow_datasets as tfds

from lmzoo.data import load_corpus


def test_tfds_tiny_shakespeare_with_mock_data():
    with tfds.testing.mock_data(num_examples=2):
        corpus = load_corpus("tfds:tiny_shakespeare")
    assert corpus.name == "tfds:tiny_shakespeare"
    assert corpus.level == "char"
    assert corpus.train and corpus.validation and corpus.test
    assert corpus.build_tokenizer().vocabulary_size > 1


def test_tfds_without_validation_split_takes_tail_of_train():
    with tfds.testing.mock_data(num_examples=4):
        corpus = load_corpus("tfds:imdb_reviews", level="word")
    assert corpus.level == "word"
    assert corpus.validation
    assert len(corpus.validation) < len(corpus.train)

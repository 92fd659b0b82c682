import numpy as np
import pytest
import tensorflow_datasets as tfds

from lmzoo.data import load_corpus
from lmzoo.data.corpora.tfds import _with_validation


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


class LmzooTestNotes(tfds.core.GeneratorBasedBuilder):
    """A small prepared TFDS dataset with a `valid` split and two text features."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {"title": tfds.features.Text(), "body": tfds.features.Text()}
            )
        )

    def _split_generators(self, dl_manager):
        return {
            "train": self._generate_examples(["alpha beta", "gamma"]),
            "valid": self._generate_examples(["delta"]),
        }

    def _generate_examples(self, bodies):
        for index, body in enumerate(bodies):
            yield index, {"title": f"t{index}", "body": body}


class LmzooTestNumbers(tfds.core.GeneratorBasedBuilder):
    """A prepared TFDS dataset without any text feature."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {"value": tfds.features.Scalar(np.int64)}
            )
        )

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples()}

    def _generate_examples(self):
        for index in range(3):
            yield index, {"value": index}


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tfds")
    for builder in (LmzooTestNotes, LmzooTestNumbers):
        builder(data_dir=folder).download_and_prepare()
    return folder


def test_tfds_valid_alias_text_key_and_separator(tfds_dir):
    corpus = load_corpus(
        "tfds:lmzoo_test_notes", data_dir=tfds_dir, text_key="body", separator=" | "
    )
    assert sorted(corpus.train.split(" | ")) == ["alpha beta", "gamma"]
    assert corpus.validation == "delta" and corpus.test is None
    titles = load_corpus("tfds:lmzoo_test_notes", data_dir=tfds_dir, text_key="title")
    assert sorted(titles.train.split("\n")) == ["t0", "t1"]


def test_tfds_dataset_without_text_is_a_clear_error(tfds_dir):
    with pytest.raises(ValueError, match="'lmzoo_test_numbers' has no text feature"):
        load_corpus("tfds:lmzoo_test_numbers", data_dir=tfds_dir)

"""Corpora, tokenizers and `tf.data` pipelines."""

from lmzoo.data.corpora import (
    CORPORA,
    Corpus,
    cache_dir,
    download,
    load_corpus,
    read_text,
)
from lmzoo.data.pipelines import language_model_dataset
from lmzoo.data.streams import stateful_streams
from lmzoo.data.tfds_source import load_tfds_corpus
from lmzoo.data.tokenizers import CharTokenizer, WordTokenizer, tokenizer_for_level

__all__ = [
    "CORPORA",
    "CharTokenizer",
    "Corpus",
    "WordTokenizer",
    "cache_dir",
    "download",
    "language_model_dataset",
    "load_corpus",
    "load_tfds_corpus",
    "read_text",
    "stateful_streams",
    "tokenizer_for_level",
]

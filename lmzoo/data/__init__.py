"""Corpora, tokenizers and `tf.data` pipelines."""

from lmzoo.data.batching import length_bucketed, trim_batch
from lmzoo.data.corpora import CORPORA, Corpus, load_corpus
from lmzoo.data.files import cache_dir, download, read_text
from lmzoo.data.masking import MaskedLMMasker, masked_lm_dataset
from lmzoo.data.pipelines import language_model_dataset
from lmzoo.data.preprocessors import BertPreprocessor, CausalLMPreprocessor
from lmzoo.data.splits import find_split_files, looks_like_lines, split_text
from lmzoo.data.streams import stateful_streams
from lmzoo.data.tfds_source import load_tfds_corpus
from lmzoo.data.tokenizers import CharTokenizer, WordTokenizer, tokenizer_for_level
from lmzoo.data.tsv import read_labelled_tsv
from lmzoo.data.wordpiece import WordPieceTokenizer

__all__ = [
    "CORPORA",
    "BertPreprocessor",
    "CausalLMPreprocessor",
    "CharTokenizer",
    "MaskedLMMasker",
    "Corpus",
    "WordPieceTokenizer",
    "WordTokenizer",
    "cache_dir",
    "download",
    "find_split_files",
    "language_model_dataset",
    "length_bucketed",
    "load_corpus",
    "load_tfds_corpus",
    "masked_lm_dataset",
    "looks_like_lines",
    "read_labelled_tsv",
    "read_text",
    "split_text",
    "stateful_streams",
    "tokenizer_for_level",
    "trim_batch",
]

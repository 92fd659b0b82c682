"""Corpora, tokenizers and `tf.data` pipelines."""

from lmzoo.data.batching import length_bucketed, trim_batch
from lmzoo.data.corpora.corpus import Corpus
from lmzoo.data.corpora.files import cache_dir, download, read_text
from lmzoo.data.corpora.named import CORPORA, load_corpus
from lmzoo.data.corpora.sources import DATASETS, DataFile, data_file, fetch
from lmzoo.data.corpora.splits import find_split_files, looks_like_lines, split_text
from lmzoo.data.corpora.tfds import load_tfds_corpus
from lmzoo.data.masking import MaskedLMMasker, masked_lm_dataset
from lmzoo.data.pipelines import language_model_dataset
from lmzoo.data.preprocessors import BertPreprocessor, CausalLMPreprocessor
from lmzoo.data.readers.conll import CONLL2003_TAGS, read_conll
from lmzoo.data.readers.labelled import read_labelled_tsv
from lmzoo.data.readers.pairs import (
    read_pairs,
    references_by_source,
    split_of,
    split_pairs,
)
from lmzoo.data.readers.pretraining import (
    pretraining_dataset,
    sentence_pairs,
    wikitext_documents,
)
from lmzoo.data.readers.squad import SpanRecord, pack_span_records, read_squad
from lmzoo.data.streams import stateful_streams
from lmzoo.data.tokenizers.byte_pair import BytePairTokenizer
from lmzoo.data.tokenizers.characters_and_words import (
    CharTokenizer,
    WordTokenizer,
    tokenizer_for_level,
)
from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
from lmzoo.data.tokenizers.word_packing import WordPacking, pack_words
from lmzoo.data.tokenizers.wordpiece import WordPieceTokenizer
from lmzoo.data.translation import TranslationPreprocessor, translation_dataset

__all__ = [
    "WordPacking",
    "SpanRecord",
    "CONLL2003_TAGS",
    "CORPORA",
    "DATASETS",
    "DataFile",
    "data_file",
    "fetch",
    "BertPreprocessor",
    "BytePairTokenizer",
    "CausalLMPreprocessor",
    "CharTokenizer",
    "MaskedLMMasker",
    "Corpus",
    "WordPieceTokenizer",
    "SentencePieceTokenizer",
    "TranslationPreprocessor",
    "read_pairs",
    "references_by_source",
    "split_of",
    "split_pairs",
    "translation_dataset",
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
    "wikitext_documents",
    "sentence_pairs",
    "read_squad",
    "read_conll",
    "pretraining_dataset",
    "pack_span_records",
    "pack_words",
    "trim_batch",
]

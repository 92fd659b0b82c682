"""Tokenizers: characters, words, WordPiece, SentencePiece, byte-level BPE, packing.

The names are exported by `lmzoo.data`.
"""

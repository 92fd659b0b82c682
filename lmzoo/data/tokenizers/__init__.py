"""Tokenizers: characters and words, WordPiece, SentencePiece, and word packing.

The names are exported by `lmzoo.data`.
"""

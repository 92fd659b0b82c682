"""Corpora and downloads: named datasets, their sources and cache, text files,
splits, and TensorFlow Datasets.

The names are exported by `lmzoo.data`.
"""

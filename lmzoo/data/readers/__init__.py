"""Readers of task files: sentence pairs, CoNLL, SQuAD, labelled text, and the
sentence pairs of pre-training.

The names are exported by `lmzoo.data`.
"""

"""Hugging Face safetensors checkpoints -> lmzoo weights, without PyTorch.

Users call `GPT.from_huggingface`, `BertBackbone.from_huggingface`, a BERT
task's `from_huggingface` or `SentenceEncoder.from_huggingface`; this package
holds the one loader module they share.
"""

from lmzoo.interop import huggingface

__all__ = ["huggingface"]

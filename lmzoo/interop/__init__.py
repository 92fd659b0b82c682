"""Hugging Face safetensors checkpoints -> lmzoo weights, without PyTorch."""

from lmzoo.interop.bert import load_hf_bert
from lmzoo.interop.gpt2 import load_hf_gpt2

__all__ = ["load_hf_bert", "load_hf_gpt2"]

"""Models: backbones (inputs -> hidden states), the tasks over them, and presets.

Every model takes the inputs described in `lmzoo.models.inputs`.
"""

from lmzoo.models import inputs
from lmzoo.models.bert import BertBackbone
from lmzoo.models.bert_classifier import BertClassifier, BertTokenClassifier
from lmzoo.models.bert_pretrainer import BertPretrainer
from lmzoo.models.bert_span_qa import BertSpanQA
from lmzoo.models.gpt import GPT, GPTBackbone
from lmzoo.models.legacy import upgrade_keras_file
from lmzoo.models.llama import Llama, LlamaBackbone
from lmzoo.models.lstm import LSTMBackbone, LSTMLanguageModel
from lmzoo.models.presets import PRESETS, Preset, get, get_preset
from lmzoo.models.pretrained import is_pretrained, load_pretrained
from lmzoo.models.sentence_encoder import SentenceEncoder
from lmzoo.models.seq2seq import Seq2SeqTransformer
from lmzoo.models.seq2seq_backbone import Seq2SeqBackbone
from lmzoo.models.task import Task

__all__ = [
    "BertBackbone",
    "BertClassifier",
    "BertPretrainer",
    "BertSpanQA",
    "BertTokenClassifier",
    "GPT",
    "GPTBackbone",
    "LSTMBackbone",
    "Llama",
    "LlamaBackbone",
    "LSTMLanguageModel",
    "PRESETS",
    "Preset",
    "SentenceEncoder",
    "Seq2SeqBackbone",
    "Seq2SeqTransformer",
    "Task",
    "get",
    "get_preset",
    "inputs",
    "is_pretrained",
    "load_pretrained",
    "upgrade_keras_file",
]

"""Experiments: train a preset, compare the LSTM baseline with GPT, pre-train and
fine-tune BERT, train a translator."""

from lmzoo.experiments.bert_tasks import fit_task, load_bert_task, padding_multiple
from lmzoo.experiments.compare import compare, format_table
from lmzoo.experiments.finetune import finetune_conll2003, finetune_sst2
from lmzoo.experiments.plots import plot_cross_attention, plot_learning_curves
from lmzoo.experiments.pretrain_bert import compile_pretrainer, pretrain_bert
from lmzoo.experiments.train import evaluate_split, train_preset
from lmzoo.experiments.translation import bleu_scores, train_translation

__all__ = [
    "compare",
    "compile_pretrainer",
    "evaluate_split",
    "finetune_conll2003",
    "finetune_sst2",
    "fit_task",
    "format_table",
    "load_bert_task",
    "padding_multiple",
    "plot_cross_attention",
    "plot_learning_curves",
    "pretrain_bert",
    "train_preset",
    "train_translation",
    "bleu_scores",
]

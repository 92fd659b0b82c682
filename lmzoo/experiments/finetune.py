"""Fine-tune BERT on SST-2 (sentiment) or CoNLL-2003 (named entities) and score it."""

import math

import keras
import numpy as np
import tensorflow as tf

from lmzoo.data import (
    CONLL2003_TAGS,
    data_file,
    length_bucketed,
    pack_words,
    read_conll,
    read_labelled_tsv,
)
from lmzoo.experiments.bert_tasks import (
    fit_task,
    load_bert_task,
    padding_multiple,
)
from lmzoo.models import BertClassifier, BertTokenClassifier
from lmzoo.training import entity_scores

SST2_LABELS = ("negative", "positive")


def _fit(model, examples, count, batch_size, epochs, learning_rate, **budget):
    """Fits `model` on single examples, length-bucketed and shuffled each pass."""
    batches = length_bucketed(
        examples.cache(),
        batch_size,
        multiple=padding_multiple(model),
        shuffle_seed=0,
    )
    steps_per_epoch = math.ceil(count / batch_size)
    budget = fit_task(
        model,
        batches,
        steps_per_epoch,
        epochs,
        learning_rate,
        **budget,
    )
    seconds = budget.train_seconds
    return {
        "steps": budget.steps,
        "epochs": round(budget.steps / steps_per_epoch, 2),
        "train_seconds": round(seconds, 1),
        "examples_per_s": round(budget.steps * batch_size / seconds, 1),
    }


def finetune_sst2(
    model_path,
    data_dir=None,
    max_seconds=None,
    epochs=3,
    batch_size=32,
    learning_rate=5e-5,
    sequence_length=128,
    precision=None,
    seed=0,
    verbose=1,
):
    """Fine-tunes a `BertClassifier` on SST-2 and reports its dev accuracy.

    Args:
        model_path: a Hugging Face BERT folder, a `.keras` file or an lmzoo
            run folder (see `load_bert_task`).
        data_dir: folder holding `sst2/train.tsv` and `sst2/dev.tsv`
            (default: `$LMZOO_DATA`, the cache, then a download; see
            `lmzoo.data.data_file`).
        max_seconds: optional training-time budget.
        epochs: int. Passes over the training set at most.
        batch_size: int.
        learning_rate: float. Peak learning rate.
        sequence_length: int. Word pieces per sentence at most.
        precision: optional dtype policy (`"mixed_bfloat16"`).
        seed: int. Seeds the head's weights, dropout and shuffling.
        verbose: 0 for silence, otherwise progress lines.

    Returns:
        `(model, result)`: the fine-tuned classifier (labels `"negative"`,
        `"positive"`) and a dict with `dev_accuracy` (percent),
        `train_seconds`, `examples_per_s`, `steps` and `epochs`.
    """
    keras.utils.set_random_seed(seed)
    sentences, labels = read_labelled_tsv(
        data_file("sst2", "train.tsv", data_dir), labels=(0, 1)
    )
    dev_sentences, dev_labels = read_labelled_tsv(
        data_file("sst2", "dev.tsv", data_dir), labels=(0, 1)
    )
    model = load_bert_task(
        BertClassifier,
        model_path,
        sequence_length,
        precision,
        num_classes=2,
        label_names=SST2_LABELS,
    )
    examples = tf.data.Dataset.from_tensor_slices((sentences, labels))
    examples = examples.batch(1024).map(model.preprocessor).unbatch()
    result = {"task": "sst2", "model": str(model_path)}
    result |= _fit(
        model,
        examples,
        len(sentences),
        batch_size,
        epochs,
        learning_rate,
        max_seconds=max_seconds,
        verbose=verbose,
    )
    predicted = model.predict(dev_sentences, batch_size=64)
    truth = np.asarray(SST2_LABELS)[np.asarray(dev_labels)]
    result["dev_accuracy"] = round(100.0 * float(np.mean(predicted == truth)), 2)
    result["dev_examples"] = len(dev_sentences)
    return model, result


def finetune_conll2003(
    model_path,
    data_dir=None,
    max_seconds=None,
    epochs=3,
    batch_size=32,
    learning_rate=1e-4,
    sequence_length=128,
    precision=None,
    seed=0,
    verbose=1,
):
    """Fine-tunes a `BertTokenClassifier` on CoNLL-2003 and scores it with seqeval.

    Each word's tag sits on its first word piece; the loss ignores the rest.
    The test score is entity-level (seqeval, strict IOB2).

    Args:
        model_path: a Hugging Face BERT folder, a `.keras` file or an lmzoo
            run folder (see `load_bert_task`).
        data_dir: folder holding `conll2003/{train,test}.txt` (default:
            `$LMZOO_DATA`).
        max_seconds: optional training-time budget.
        epochs: int. Passes over the training set at most.
        batch_size: int.
        learning_rate: float. Peak learning rate.
        sequence_length: int. Word pieces per sentence at most.
        precision: optional dtype policy (`"mixed_bfloat16"`).
        seed: int.
        verbose: 0 for silence, otherwise progress lines.

    Returns:
        `(model, result)`: the tagger and a dict with `test_f1`,
        `test_precision`, `test_recall` (percent), `per_type` (precision,
        recall, F1 and support per entity type), `train_seconds`,
        `examples_per_s`, `steps` and `epochs`.
    """
    keras.utils.set_random_seed(seed)
    train = read_conll(data_file("conll2003", "train.txt", data_dir), CONLL2003_TAGS)
    test = read_conll(data_file("conll2003", "test.txt", data_dir), CONLL2003_TAGS)
    model = load_bert_task(
        BertTokenClassifier,
        model_path,
        sequence_length,
        precision,
        num_classes=len(CONLL2003_TAGS),
        label_names=CONLL2003_TAGS,
    )
    model.backbone.pooler.trainable = False  # a tagger reads no pooled output
    packed = pack_words(
        model.tokenizer,
        [words for words, _ in train],
        sequence_length,
        [tags for _, tags in train],
    )
    examples = tf.data.Dataset.from_tensor_slices(
        (packed.features, packed.labels, packed.sample_weight)
    )
    result = {"task": "conll2003", "model": str(model_path)}
    result |= _fit(
        model,
        examples,
        len(train),
        batch_size,
        epochs,
        learning_rate,
        max_seconds=max_seconds,
        verbose=verbose,
    )
    predicted = model.predict_words([words for words, _ in test], batch_size=64)
    scores = entity_scores(
        [[CONLL2003_TAGS[t] for t in tags] for _, tags in test],
        [[CONLL2003_TAGS[t] for t in tags] for tags in predicted],
    )
    for name in ("f1", "precision", "recall"):
        result[f"test_{name}"] = round(scores[name], 2)
    result["per_type"] = {
        kind: {key: round(value, 2) for key, value in figures.items()}
        for kind, figures in scores["per_type"].items()
    }
    result["test_sentences"] = len(test)
    return model, result


FINETUNE_JOBS = {"sst2": finetune_sst2, "conll2003": finetune_conll2003}

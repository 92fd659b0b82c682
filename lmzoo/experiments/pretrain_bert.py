"""Pre-train a BERT preset on WikiText-2: masked-LM and next-sentence prediction."""

import keras
import numpy as np

from lmzoo import models
from lmzoo.data import (
    BertPreprocessor,
    MaskedLMMasker,
    WordPieceTokenizer,
    data_file,
    pretraining_dataset,
    read_text,
    sentence_pairs,
    wikitext_documents,
)
from lmzoo.training import (
    TrainingBudget,
    default_jit_compile,
    fit_under_budget,
    transformer_adamw,
)

PRETRAINING_CORPORA = ("wikitext-2",)
_OUTPUTS = ("mlm_logits", "nsp_logits")


def _wikitext(data_dir, split):
    path = data_file("wikitext-2", f"wiki.{split}.tokens", data_dir)
    return wikitext_documents(read_text(path))


def unigram_baseline_accuracy(dataset, token_id):
    """Masked-LM accuracy of always predicting one piece.

    Args:
        dataset: batches `(features, labels, sample_weight)` as
            `pretraining_dataset` makes them.
        token_id: int. The piece always predicted.

    Returns:
        float: the share of selected positions whose original piece is
        `token_id`.
    """
    hits = chosen = 0.0
    for _, labels, weights in dataset:
        weight = weights["mlm_logits"].numpy()
        hits += float((weight * (labels["mlm_logits"].numpy() == token_id)).sum())
        chosen += float(weight.sum())
    return hits / chosen


def compile_pretrainer(model, learning_rate=1e-3, weight_decay=0.01):
    """Compiles a `BertPretrainer` for `fit` on `pretraining_dataset` batches.

    Each loss is averaged over the positions that carry weight (the selected
    pieces; every pair for next-sentence), so the masked-LM loss reads in
    nats per selected piece. Both heads report weighted accuracy.

    Args:
        model: a `BertPretrainer`.
        learning_rate: float or schedule.
        weight_decay: float. Not applied to biases and LayerNorm.

    Returns:
        `model`, compiled.
    """
    loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="mean_with_sample_weight"
    )
    model.compile(
        optimizer=transformer_adamw(learning_rate, weight_decay),
        loss={name: loss for name in _OUTPUTS},
        weighted_metrics={name: ["sparse_categorical_accuracy"] for name in _OUTPUTS},
        jit_compile=default_jit_compile(model),
    )
    return model


def pretrain_bert(
    preset="bert-tiny",
    corpus="wikitext-2",
    data_dir=None,
    max_seconds=None,
    max_steps=None,
    vocabulary_size=8192,
    sequence_length=128,
    batch_size=32,
    learning_rate=1e-3,
    warmup_steps=500,
    precision=None,
    seed=0,
    verbose=1,
):
    """Pre-trains a BERT preset with masked-LM and next-sentence prediction.

    A WordPiece vocabulary is learned on the training split's sentences.
    Sentence pairs (half with a random second sentence from another
    document) are packed, length-grouped and masked anew on every pass. The
    held-out figures come from the validation split, masked once.

    Args:
        preset: a BERT preset name (`lmzoo presets`).
        corpus: `"wikitext-2"`.
        data_dir: folder holding `wikitext-2/` (default: `$LMZOO_DATA`).
        max_seconds: optional training-time budget.
        max_steps: optional step budget.
        vocabulary_size: int. WordPiece vocabulary to learn.
        sequence_length: int. Word pieces per pair at most.
        batch_size: int.
        learning_rate: float. Peak learning rate (warmup, then cosine to 10%).
        warmup_steps: int.
        precision: optional dtype policy (`"mixed_bfloat16"`).
        seed: int. Seeds weights, pairs, shuffling and masks.
        verbose: 0 for silence, otherwise progress lines.

    Returns:
        `(model, result)`: the `BertPretrainer` (with its preprocessor) and a
        dict with `mlm_accuracy`, `nsp_accuracy` and
        `unigram_baseline_accuracy` (percent, held-out), `mlm_loss`,
        `train_seconds`, `steps` and `parameters`.

    Raises:
        ValueError: an unknown corpus or a preset that is not BERT.
    """
    if corpus not in PRETRAINING_CORPORA:
        raise ValueError(
            f"Unknown pre-training corpus {corpus!r}; use one of {PRETRAINING_CORPORA}."
        )
    if models.get_preset(preset).model_class is not models.BertPretrainer:
        raise ValueError(f"{preset} is not a BERT preset.")
    keras.utils.set_random_seed(seed)
    train_documents = _wikitext(data_dir, "train")
    held_out_documents = _wikitext(data_dir, "valid")
    sentences = [sentence for document in train_documents for sentence in document]
    tokenizer = WordPieceTokenizer.train(sentences, vocabulary_size)
    preprocessor = BertPreprocessor(tokenizer, sequence_length)
    specials = [tokenizer.token_id("[CLS]"), tokenizer.token_id("[SEP]")]
    masker = MaskedLMMasker(
        tokenizer.vocabulary_size, tokenizer.token_id("[MASK]"), specials
    )
    train = pretraining_dataset(
        sentence_pairs(train_documents, seed), preprocessor, masker, batch_size, seed
    )
    held_out = pretraining_dataset(
        sentence_pairs(held_out_documents, seed + 1),
        preprocessor,
        masker,
        batch_size,
        seed + 1,
        shuffle=False,
    ).cache()
    overrides = {} if precision is None else {"dtype": precision}
    model = models.get(
        preset, tokenizer.vocabulary_size, preprocessor=preprocessor, **overrides
    )
    compile_pretrainer(model, learning_rate)
    budget = TrainingBudget(
        learning_rate,
        tokens_per_step=batch_size,
        max_steps=max_steps,
        max_seconds=max_seconds,
        warmup_steps=warmup_steps,
    )
    fit_under_budget(model, train, budget, verbose=verbose)
    scores = model.evaluate(held_out, return_dict=True, verbose=0)
    counts = np.bincount(tokenizer(sentences).flat_values.numpy())
    baseline = unigram_baseline_accuracy(held_out, int(counts.argmax()))
    result = {
        "preset": preset,
        "corpus": corpus,
        "parameters": model.count_params(),
        "vocabulary_size": tokenizer.vocabulary_size,
        "steps": budget.steps,
        "train_seconds": round(budget.train_seconds, 1),
        "mlm_loss": round(scores["mlm_logits_loss"], 4),
        "mlm_accuracy": round(
            100 * scores["mlm_logits_sparse_categorical_accuracy"], 2
        ),
        "nsp_accuracy": round(
            100 * scores["nsp_logits_sparse_categorical_accuracy"], 2
        ),
        "unigram_baseline_accuracy": round(100 * baseline, 2),
        "unigram_piece": tokenizer.vocabulary[int(counts.argmax())],
    }
    return model, result

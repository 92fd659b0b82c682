"""Every model family trains under both mixed policies; float16 survives padding.

GPT and the LSTM are trained under both policies in `test_presets.py`; here
the BERT classifier and the translator, then batches that are mostly (or
wholly) padding in float16.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from lmzoo import models
from lmzoo.data import BertPreprocessor, WordPieceTokenizer, data_file
from lmzoo.data.readers.pairs import read_pairs
from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
from lmzoo.data.translation import TranslationPreprocessor, translation_dataset
from lmzoo.experiments.translation import compile_translator
from lmzoo.training import LanguageModelLoss

POLICIES = ["mixed_float16", "mixed_bfloat16"]
WORDS = ["good", "great", "fine", "bad", "awful", "poor", "the", "film", "was"]


def _sentiment(count, seed):
    """Sentences of positive words (label 1) or of negative words (label 0)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    texts = [
        " ".join(rng.choice(WORDS[:3] if label else WORDS[3:6], 4)) + " film"
        for label in labels
    ]
    return texts, labels


def _assert_float16_setup(model, policy):
    if policy == "mixed_float16":
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"


@pytest.mark.parametrize("policy", POLICIES)
def test_bert_classifier_trains_under_mixed_precision(policy):
    tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])
    model = models.BertClassifier(
        vocabulary_size=tokenizer.vocabulary_size,
        num_layers=2,
        hidden_dim=32,
        num_heads=2,
        dtype=policy,
        preprocessor=BertPreprocessor(tokenizer, sequence_length=16),
    )
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    _assert_float16_setup(model, policy)
    texts, labels = _sentiment(256, 0)
    before = model.evaluate(texts, labels, batch_size=64, verbose=0)
    model.fit(texts, labels, batch_size=32, epochs=4, verbose=0)
    after = model.evaluate(texts, labels, batch_size=64, verbose=0)
    assert np.isfinite(after) and after < before - 0.3
    assert model.predict(texts[:4]).shape == (4,)


@pytest.mark.parametrize("policy", POLICIES)
def test_translator_trains_under_mixed_precision(policy):
    pairs = read_pairs(data_file("translation", "spa-eng.txt"))[:640]
    source = SentencePieceTokenizer.train([s for s, _ in pairs], 120)
    target = SentencePieceTokenizer.train([t for _, t in pairs], 120)
    model = models.Seq2SeqTransformer(
        source.vocabulary_size,
        target_vocabulary_size=target.vocabulary_size,
        num_layers=1,
        hidden_dim=32,
        num_heads=2,
        max_sequence_length=32,
        dtype=policy,
        preprocessor=TranslationPreprocessor(source, target, 32),
    )
    compile_translator(model, learning_rate=3e-3, jit_compile=False)
    _assert_float16_setup(model, policy)
    batches = translation_dataset(pairs, model.preprocessor, 64, shuffle_seed=0)
    before = model.evaluate(batches, verbose=0, return_dict=True)["loss"]
    model.fit(batches, epochs=3, verbose=0)
    after = model.evaluate(batches, verbose=0, return_dict=True)["loss"]
    assert np.isfinite(after) and after < before - 0.5


def _finite(*tensors):
    return all(
        np.isfinite(np.asarray(tf.convert_to_tensor(t), "float32")).all()
        for t in tensors
    )


def test_padding_heavy_and_fully_padded_rows_stay_finite_in_float16():
    """Rows of 64 positions with 1 or 2 real tokens, and one row with none."""
    mask = np.zeros((4, 64), bool)
    mask[0, :1] = mask[1, :2] = mask[2, :1] = True
    ids = np.where(mask, 5, 0).astype("int32")
    gpt = models.get("gpt-nano", 20, dtype="mixed_float16")
    bert = models.BertClassifier(
        vocabulary_size=20,
        num_layers=1,
        hidden_dim=16,
        num_heads=2,
        dtype="mixed_float16",
    )
    translator = models.Seq2SeqTransformer(
        20, num_layers=1, hidden_dim=16, num_heads=2, dtype="mixed_float16"
    )
    features = {"token_ids": ids, "padding_mask": mask}
    seq2seq = {
        "encoder_token_ids": ids,
        "encoder_padding_mask": mask,
        "decoder_token_ids": ids,
        "decoder_padding_mask": mask,
    }
    for model, inputs in [(gpt, features), (bert, features), (translator, seq2seq)]:
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = (
                LanguageModelLoss()(ids, logits)
                if logits.ndim == 3
                else (tf.reduce_mean(logits))
            )
        assert logits.dtype == tf.float32, type(model).__name__
        gradients = tape.gradient(loss, model.trainable_variables)
        assert _finite(logits, loss), type(model).__name__
        assert _finite(*[g for g in gradients if g is not None]), type(model).__name__

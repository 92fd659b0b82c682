import keras
import numpy as np
import pytest

from lmzoo.data import BertPreprocessor, WordPieceTokenizer, data_file, read_text
from lmzoo.models import (
    BertBackbone,
    BertClassifier,
    BertPretrainer,
    BertSpanQA,
    BertTokenClassifier,
)
from lmzoo.training import LanguageModelLoss
from tests.harness import run_layer_test

SMALL = {"vocabulary_size": 66, "num_layers": 1, "num_heads": 2, "hidden_dim": 16}


@pytest.mark.parametrize(
    ("task", "arguments", "shape"),
    [
        (BertClassifier, {"num_classes": 3, "dropout": 0.0}, (2, 3)),
        (BertTokenClassifier, {"num_classes": 5, "dropout": 0.0}, (2, 16, 5)),
        (BertSpanQA, {}, (2, 16)),
        (BertPretrainer, {}, (2, 16, 66)),
    ],
)
def test_each_head_passes_the_layer_harness(
    task, arguments, shape, token_batch, tmp_path
):
    run_layer_test(
        task,
        SMALL | {"dropout": 0.0} | arguments,
        token_batch,
        shape,
        tmp_path=tmp_path,
        float32_output=True,
    )


def test_heads_share_one_backbone(token_batch):
    backbone = BertBackbone(**SMALL, dropout=0.0)
    classifier = BertClassifier(backbone, dropout=0.0)
    tagger = BertTokenClassifier(backbone, num_classes=4, dropout=0.0)
    classifier(token_batch), tagger(token_batch)
    assert classifier.backbone is tagger.backbone
    shared = {id(v) for v in classifier.backbone.weights}
    assert shared <= {id(v) for v in tagger.weights}


def test_a_classifier_learns_real_sst2_sentences_from_strings():
    lines = read_text(data_file("sst2", "train.tsv")).splitlines()[1:33]
    sentences, labels = zip(*(line.rsplit("\t", 1) for line in lines), strict=True)
    tokenizer = WordPieceTokenizer.train(sentences, vocabulary_size=300)
    model = BertClassifier(
        vocabulary_size=tokenizer.vocabulary_size,
        hidden_dim=32,
        num_heads=2,
        dropout=0.0,
        preprocessor=BertPreprocessor(tokenizer, sequence_length=64),
    )
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=LanguageModelLoss(),
        jit_compile=True,
    )
    labels = [int(label) for label in labels]
    history = model.fit(list(sentences), labels, batch_size=32, epochs=25, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    logits = model.predict(BertPreprocessor(tokenizer, 64)(list(sentences[:8])))
    predicted = model.predict(list(sentences[:8]))
    assert predicted.tolist() == logits.argmax(-1).tolist()
    assert (predicted == labels[:8]).mean() >= 0.75


def _real_batch():
    """32 real SST-2 sentences, packed by a WordPiece vocabulary trained on them."""
    lines = read_text(data_file("sst2", "train.tsv")).splitlines()[1:33]
    sentences = [line.rsplit("\t", 1)[0] for line in lines]
    tokenizer = WordPieceTokenizer.train(sentences, vocabulary_size=300)
    features = BertPreprocessor(tokenizer, sequence_length=32)(sentences)
    return {key: value.numpy() for key, value in features.items()}, tokenizer


def _labels(task, features, tokenizer):
    """Targets a model can learn from the text itself."""
    ids, mask = features["token_ids"], features["padding_mask"]
    rows = np.arange(len(ids))
    last = mask.sum(1) - 2  # the last word piece before [SEP]
    if task is BertTokenClassifier:  # is the piece a continuation (##)?
        pieces = np.array(tokenizer.vocabulary)[ids]
        return np.char.startswith(pieces, "##").astype("int32"), mask.astype("float32")
    if task is BertSpanQA:  # the span from the first to the last word piece
        return {"start_logits": np.ones_like(rows), "end_logits": last}, None
    masked = ids.copy()
    chosen = (np.arange(ids.shape[1])[None] % 5 == 1) & mask & (ids > 4)
    masked[chosen] = tokenizer.token_id("[MASK]")
    features["token_ids"] = masked
    return {"mlm_logits": ids, "nsp_logits": last % 2}, {
        "mlm_logits": chosen.astype("float32"),
        "nsp_logits": np.ones(len(ids), "float32"),
    }


@pytest.mark.parametrize("task", [BertTokenClassifier, BertSpanQA, BertPretrainer])
def test_each_head_lowers_its_loss_on_a_real_batch(task):
    keras.utils.set_random_seed(1)
    features, tokenizer = _real_batch()
    labels, weights = _labels(task, features, tokenizer)
    model = task(
        vocabulary_size=tokenizer.vocabulary_size,
        num_layers=1,
        hidden_dim=32,
        num_heads=2,
        dropout=0.0,
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss, jit_compile=True)
    history = model.fit(
        features, labels, sample_weight=weights, batch_size=32, epochs=30, verbose=0
    )
    assert history.history["loss"][-1] < 0.65 * history.history["loss"][0]
